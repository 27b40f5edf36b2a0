"""Reminders computed from events and a clock: sent when due, to whom they concern, once, and not when their
cause went away; they are rows, so a restart resumes them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from gateway import notify
from services.indicateurs import events as ie
from services.notifications import reminders
from services.participation import events as pe
from tests.conftest import paris_today
from tests.notifications.conftest import agenda_published, meeting_ref, seat_members, wait_until


async def sweep(notifications, at: datetime) -> int:  # type: ignore[no-untyped-def]
    runtime = notifications.runtime
    async with runtime.db.session() as session:
        return await reminders.send_due(session, at=at, settings=runtime.settings)


async def pending_kinds(notifications) -> list[str]:  # type: ignore[no-untyped-def]
    async with notifications.runtime.db.session() as session:
        return sorted(r.kind for r in await reminders.pending(session))


async def test_campaign_closing_reminders_list_what_each_organisation_still_owes(portal, notifications, bus,
                                                                                sink) -> None:
    reze = await portal.account("ville-reze", "referent", name="Inès Rezé")
    nantes = await portal.account("ville-nantes", "referent", name="Léa Nantes")
    assert await notify.sync_accounts(portal.app.state.clients, [reze.account, nantes.account])
    # The third indicator is computed by the platform: its pilots owe none of its values.
    for indicator_id, label, responsible, computed in (
            (8001, "Places en crèche", ["ville-reze", "ville-nantes"], False),
            (8002, "Jeunes en service civique", ["ville-reze"], False),
            (8003, "Taux de couverture calculé", ["ville-reze", "ville-nantes"], True)):
        await bus.publish(ie.DefinitionDefined(indicator_id=indicator_id, contract_id="nm", engagement_number=3,
                                               label=label, unit="places", periodicity="annuelle", target=None,
                                               by_qpv=False, responsible=responsible, active=True, version=1,
                                               computed=computed))
    # Nantes has submitted its only value; Rezé owes two.
    await bus.publish(ie.SubmissionSubmitted(
        submission_id=1, contract_id="nm", indicator_id=8001, indicator_label="Places en crèche",
        engagement_number=3, period="2026", qpv_id=None, qpv_code=None, value=40, unit="places",
        qualification="definitif", state="soumis", organisation_id="ville-nantes", actor_name="Léa Nantes",
        actor_organisation_id="ville-nantes", version=1))
    closes_on = paris_today() + timedelta(days=20)
    await bus.publish(ie.CampaignOpened(campaign_id=4242, title="Bilan 2026", period="2026", closes_on=closes_on))
    await wait_until(lambda: len(sink.to(reze.email)) == 1 and len(sink.to(nantes.email)) == 1,
                     what="the campaign-opened e-mails")
    assert sink.to(reze.email)[0]["Subject"] == "Campagne de collecte ouverte : Bilan 2026"
    await wait_until(lambda: _has(notifications, "campaign_closing", 2), what="two closing reminders")

    assert await sweep(notifications, datetime.now(UTC)) == 0  # not due yet
    seven_days_before = datetime.combine(closes_on - timedelta(days=7), datetime.min.time(), tzinfo=UTC) \
        + timedelta(hours=12)
    assert await sweep(notifications, seven_days_before) == 1
    await wait_until(lambda: len(sink.to(reze.email)) == 2, what="the 7-day reminder to Rezé")
    reminder = sink.to(reze.email)[1]
    assert reminder["Subject"].startswith("Campagne « Bilan 2026 » : clôture dans 7 jours")
    text = next(p for p in reminder.walk() if p.get_content_type() == "text/plain").get_content()
    assert "Places en crèche — 2026" in text and "Jeunes en service civique — 2026" in text
    assert "Il manque encore 2 valeurs" in text and "Taux de couverture calculé" not in text
    assert reminder["List-Unsubscribe"]  # reminders may be turned off
    assert await sweep(notifications, seven_days_before) == 0  # never twice
    two_days_before = seven_days_before + timedelta(days=5)
    assert await sweep(notifications, two_days_before) == 1
    await wait_until(lambda: len(sink.to(reze.email)) == 3, what="the 2-day reminder")
    assert "clôture dans 2 jours" in sink.to(reze.email)[2]["Subject"]
    assert len(sink.to(nantes.email)) == 1  # Nantes owes nothing: no reminder


async def test_agenda_due_reminder_goes_to_the_secretariat_unless_the_agenda_is_out(portal, notifications, bus,
                                                                                   sink) -> None:
    secretariat = await portal.account("nantes-metropole", "secretariat", name="Claire Secrétariat")
    assert await notify.sync_accounts(portal.app.state.clients, [secretariat.account])
    body = await seat_members(bus, 2)
    due = date(2027, 3, 1)
    late = meeting_ref("reunion-retard", body.body_id)
    ready = meeting_ref("reunion-prete", body.body_id)
    for meeting in (late, ready):
        await bus.publish(pe.MeetingScheduled(meeting=meeting, agenda_due_on=due))
    await bus.publish(agenda_published(ready))  # this one's agenda is out: its reminders are cancelled
    await wait_until(lambda: len(sink.received) >= 2, what="the ready meeting's agenda")
    await wait_until(lambda: _has(notifications, "agenda_due", 1), what="the pending reminder")
    assert await pending_kinds(notifications) == ["agenda_due", "proposals"]

    three_days_before = datetime(2027, 2, 26, 9, 0, tzinfo=UTC)
    assert await sweep(notifications, three_days_before) == 2  # the secretariat's, and the members' proposals
    await wait_until(lambda: sink.to(secretariat.email), what="the agenda-due reminder")
    [mail] = sink.to(secretariat.email)
    assert mail["Subject"] == ("Ordre du jour à diffuser avant le 1er mars 2027 — "
                               "Groupe technique de coordination (GTC)")
    await wait_until(lambda: all(len(sink.to(a)) == 2 for a in body.emails), what="the proposals reminder")
    assert "Proposer un point avant le 1er mars 2027" in sink.to(body.emails[0])[1]["Subject"]
    assert await sweep(notifications, three_days_before + timedelta(days=1)) == 0


async def _has(notifications, kind: str, count: int) -> bool:  # type: ignore[no-untyped-def]
    return (await pending_kinds(notifications)).count(kind) >= count


async def test_recommendation_reminders_go_to_the_organisation_named_until_it_answers(portal, notifications, bus,
                                                                                      sink) -> None:
    nantes = await portal.account("ville-nantes", "referent", name="Léa Nantes")
    reze = await portal.account("ville-reze", "referent", name="Inès Rezé")
    assert await notify.sync_accounts(portal.app.state.clients, [nantes.account, reze.account])
    due = date(2027, 5, 31)
    for rid, org in (("preco-nantes", "ville-nantes"), ("preco-reze", "ville-reze")):
        await bus.publish(pe.RecommendationPublished(
            recommendation_id=rid, mandate_id="mandat-1", mandate_title="Propreté des halls",
            text=f"Préconisation {rid}", organisation_id=org, due_on=due, engagements=[5], url="https://cdv.test/mandats/mandat-1"))
    await wait_until(lambda: _has(notifications, "recommendation_due", 4), what="two reminders per recommendation")
    await bus.publish(pe.RecommendationAnswered(  # Rezé answered: its reminders go away
        recommendation_id="preco-reze", mandate_id="mandat-1", organisation_id="ville-reze", answer="acceptee",
        text="D'accord.", due_on=due, answered_at=datetime(2027, 4, 1, tzinfo=UTC), on_time=True))
    await wait_until(lambda: _count(notifications, "recommendation_due", 2), what="Rezé's reminders cancelled")

    fourteen_days_before = datetime(2027, 5, 17, 12, 0, tzinfo=UTC)
    assert await sweep(notifications, fourteen_days_before) == 1
    await wait_until(lambda: sink.to(nantes.email), what="the reminder to Nantes")
    [mail] = sink.to(nantes.email)
    assert mail["Subject"] == ("Réponse attendue d'ici le 31 mai 2027 : préconisation du mandat citoyen "
                               "« Propreté des halls »")
    text = next(p for p in mail.walk() if p.get_content_type() == "text/plain").get_content()
    assert "Préconisation preco-nantes" in text and "https://cdv.test/mandats/mandat-1" in text
    assert sink.to(reze.email) == []


async def _count(notifications, kind: str, count: int) -> bool:  # type: ignore[no-untyped-def]
    return (await pending_kinds(notifications)).count(kind) == count
