"""Governance pages over HTTP: the public sees bodies, published agendas and the public register without an
account; the secretariat runs a meeting from scheduling to minutes; a member proposes an item; uploads stream
through; the engagement page lists the decisions about it."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import UTC, datetime, timedelta

import nats

from services.notifications.events import DeliveryFailed, DeliverySent
from tests.conftest import auth, paris_today
from tests.participation.conftest import SECRETARIAT
from tests.participation.test_pack_and_circulation import _publish


def _meeting_id(location: str) -> str:
    found = re.search(r"/reunions/([0-9a-f]{32})", location)
    assert found, location
    return found[1]


async def _gtc_draft(client, token: str, title: str, days_ahead: int) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A GTC scheduled from the calendar page: its id and its draft agenda's revision, as the page shows it."""
    day = (paris_today() + timedelta(days=days_ahead)).isoformat()
    scheduled = await client.post("/reunions", data={"csrf_token": token, "body_id": "gtc", "title": title,
                                                     "day": day, "start": "09:30", "place": "Salle 1"})
    mid = _meeting_id(scheduled.headers["location"])
    page = await client.get(f"/reunions/{mid}")
    return mid, re.search(r'name="draft_rev" value="(\d+)"', page.text)[1]


async def test_the_public_reads_bodies_and_the_register_without_an_account(gateway) -> None:
    async with gateway.client() as client:
        page = await client.get("/instances")
        assert page.status_code == 200
        assert "Comité de pilotage (COPIL) du contrat de ville" in page.text
        assert "Conseil citoyen de Malakoff" in page.text and "nom à confirmer" in page.text
        copil = await client.get("/instances/copil")
        assert copil.status_code == 200 and "Ajouter un membre" not in copil.text
        assert (await client.get("/decisions")).status_code == 200
        assert (await client.get("/mes-instances")).status_code == 303  # an account is needed


async def test_the_secretariat_runs_a_meeting_and_a_member_proposes(gateway, stack, nats_url, namespace) -> None:
    part = stack["participation"].client
    secretariat = await gateway.account("nantes-metropole", "secretariat", name="Claire Secrétariat")
    member = await gateway.account("caf", "referent", name="Karim Membre")
    added_member = await part.post("/api/v1/bodies/gtc/members", headers=auth(SECRETARIAT), json={
        "person": {"name": "Karim Membre", "email": member.email}, "organisation_id": "caf",
        "starts_on": str(paris_today() - timedelta(days=30))})
    assert added_member.status_code == 201, added_member.text
    added_member = added_member.json()
    async with gateway.client() as client:
        token = await gateway.logged_in(client, secretariat)
        day = (paris_today() + timedelta(days=4)).isoformat()
        wrong = await client.post("/reunions", data={"csrf_token": token, "body_id": "gtc", "title": "GTC test",
                                                     "day": day, "start": "25:99", "place": "Salle 1"})
        said = html.unescape(wrong.text)
        assert wrong.status_code == 422 and "Heure de début : « 25:99 » n'est pas une heure" in said
        assert 'value="GTC test"' in wrong.text  # what was typed stays
        scheduled = await client.post("/reunions", data={"csrf_token": token, "body_id": "gtc", "title": "GTC test",
                                                         "day": day, "start": "09:30", "place": "Salle 1"})
        assert scheduled.status_code == 303
        mid = _meeting_id(scheduled.headers["location"])
        for form_address in (f"/reunions/{mid}/points", f"/reunions/{mid}/decisions"):  # opened directly
            reloaded = await client.get(form_address)
            assert (reloaded.status_code, reloaded.headers["location"]) == (303, f"/reunions/{mid}"), form_address
        page = await client.get(f"/reunions/{mid}")
        assert "Échéance dépassée" in page.text and "GTC test" in page.text
        rev = re.search(r'name="draft_rev" value="(\d+)"', page.text)[1]
        added = await client.post(f"/reunions/{mid}/points", data={"csrf_token": token, "draft_rev": rev,
                                                                  "title": "Bilan emploi", "engagements": "17"})
        assert added.status_code == 303
        page = await client.get(f"/reunions/{mid}")
        rev = re.search(r'name="draft_rev" value="(\d+)"', page.text)[1]
        upload = await client.post(f"/reunions/{mid}/documents", data={"csrf_token": token, "draft_rev": rev,
                                                                       "title": "Diaporama", "public": "oui"},
                                   files={"file": ("diapo.pdf", b"%PDF-1.4\n% test\n", "application/pdf")})
        assert upload.status_code == 303, upload.text
        page = await client.get(f"/reunions/{mid}")
        rev = re.search(r'name="draft_rev" value="(\d+)"', page.text)[1]
        late = await client.post(f"/reunions/{mid}/publier", data={"csrf_token": token, "draft_rev": rev})
        notice = re.search(r'id="publication".*?<p class="notice__text">(.*?)</p>', late.text, re.S)
        assert late.status_code == 422 and notice, late.text[-3000:]  # the refusal shows beside the publish form
        assert notice[1].startswith("Publication tardive") and html.unescape(notice[1]).endswith(
            "Rien n'a été enregistré.")
        ok = await client.post(f"/reunions/{mid}/publier", data={"csrf_token": token, "draft_rev": rev,
                                                                 "late_reason": "Salle confirmée tardivement"})
        assert ok.status_code == 303
        page = await client.get(f"/reunions/{mid}")
        assert "Ordre du jour diffusé en retard" in page.text and "Salle confirmée tardivement" in page.text
        doc = re.search(r'href="http://127\.0\.0\.1:8100(/documents/[0-9a-f]+)"', page.text)[1]
        download = await client.get(doc)
        assert download.status_code == 200 and download.content.startswith(b"%PDF")

        # The notifications service's proof of delivery shows as the circulation status.
        nc = await nats.connect(nats_url)
        try:
            for i, (kind, extra) in enumerate((("sent", {"smtp_response": "250 OK"}),
                                               ("failed", {"reason": "adresse refusée"}))):
                model = DeliverySent if kind == "sent" else DeliveryFailed
                await _publish(nc.jetstream(), namespace, "notifications", model(
                    delivery_id=f"{mid}-{i}", notice_kind="agenda", source_event_id="e", meeting_id=mid,
                    agenda_version=1, attempts=1, at=datetime(2026, 3, 12, 8, 14, tzinfo=UTC),
                    recipient_id=added_member["person"]["id"] if i == 0 else "inconnu", **extra))
        finally:
            await nc.close()
        for _ in range(50):
            page = await client.get(f"/reunions/{mid}")
            if "1 échec" in page.text:
                break
            await asyncio.sleep(0.2)
        # The session's notifications service circulates the agenda for real too: its own delivery may count.
        assert re.search(r"Ordre du jour v1</strong> envoyé à [12] membres? le \d+(?:er)? \w+ 20\d\d à \d+ h \d\d ; "
                         r"<span class=\"late\">1 échec</span> \(adresse refusée\)", page.text), page.text[-3000:]

    async with gateway.client() as client:
        token = await gateway.logged_in(client, member)
        mine = await client.get("/mes-instances")
        assert "Groupe technique de coordination (GTC)" in mine.text and "GTC test" in mine.text
        page = await client.get(f"/reunions/{mid}")
        assert "Raison donnée par le secrétariat : Salle confirmée tardivement" in page.text
        proposed = await client.post(f"/reunions/{mid}/propositions", data={"csrf_token": token,
                                                                            "title": "Point CAF"})
        assert proposed.status_code == 422  # the cut-off defaults to the agenda's deadline, already passed
        assert "la date limite est passée" in proposed.text

    async with gateway.client() as client:  # the public: the published agenda, not the editor
        page = await client.get(f"/reunions/{mid}")
        assert page.status_code == 200 and "Bilan emploi" in page.text and "Projet d'ordre du jour" not in page.text


async def test_the_secretariat_reads_a_proposal_before_deciding_and_the_wording_is_clean(gateway, stack) -> None:
    """The secretariat sees the proposal's text and engagements, its decision reads as one sentence, agenda lines
    have no empty separators, and the home page says when the services were checked."""
    part = stack["participation"].client
    secretariat = await gateway.account("nantes-metropole", "secretariat", name="Claire Secrétariat")
    member = await gateway.account("caf", "referent", name="Nora Membre")
    seated = await part.post("/api/v1/bodies/gtc/members", headers=auth(SECRETARIAT), json={
        "person": {"name": "Nora Membre", "email": member.email}, "organisation_id": "caf",
        "starts_on": str(paris_today() - timedelta(days=30))})
    assert seated.status_code == 201, seated.text
    async with gateway.client() as client:
        token = await gateway.logged_in(client, secretariat)
        mid, rev = await _gtc_draft(client, token, "GTC mots", 60)
        added = await client.post(f"/reunions/{mid}/points", data={
            "csrf_token": token, "draft_rev": rev, "title": "Point sans durée", "engagements": "30",
            "presenter_organisation_id": "ville-nantes"})
        assert added.status_code == 303, added.text[-2000:]
        page = await client.get(f"/reunions/{mid}")
        line = re.search(r'<p class="muted">présenté par ([^<]*)</p>', page.text)
        assert line and line[1].endswith(" · engagements 30") and "· ·" not in line[1], line
        home = await client.get("/fragments/health")
        assert "Vérifié le " in home.text and "Vérifié à" not in home.text

    async with gateway.client() as client:
        token = await gateway.logged_in(client, member)
        proposed = await client.post(f"/reunions/{mid}/propositions", data={
            "csrf_token": token, "title": "Point CAF", "description": "Bilan des permanences CAF dans les QPV.",
            "engagements": "12, 13"})
        assert proposed.status_code == 303, proposed.text[-2000:]

    async with gateway.client() as client:
        token = await gateway.logged_in(client, secretariat)
        home = html.unescape((await client.get("/accueil")).text)  # where the secretariat learns of it
        assert "Points proposés à décider" in home and f'href="/reunions/{mid}#propositions">« Point CAF »' in home
        page = await client.get(f"/reunions/{mid}")
        assert "Bilan des permanences CAF dans les QPV." in page.text
        assert 'Engagements liés : <a href="/engagements/12">n° 12</a>, <a href="/engagements/13">n° 13</a>' \
            in page.text
        pid, version = re.search(r'action="/reunions/[0-9a-f]+/propositions/([0-9a-f]+)".*?name="version" '
                                 r'value="(\d+)"', page.text, re.S).groups()
        decided = await client.post(f"/reunions/{mid}/propositions/{pid}", data={
            "csrf_token": token, "version": version, "accepted": "oui",
            "reason": "Retenu : ajouté à l'ordre du jour."})
        assert decided.status_code == 303, decided.text[-2000:]
        page = html.unescape((await client.get(f"/reunions/{mid}")).text)
        assert "Acceptée. Réponse du secrétariat : « Retenu : ajouté à l'ordre du jour. »" in page
        assert "Acceptée :" not in page and ".." not in page.split("Propositions de points")[1].split("</section>")[0]
        assert "« Point CAF »" not in html.unescape((await client.get("/accueil")).text)  # decided


def _notice(page: str, place: str) -> str:
    found = re.search(rf'id="{place}".*?<p class="notice__text">(.*?)</p>', page, re.S)
    assert found, page[-3000:]
    return html.unescape(found[1])


async def test_engagement_numbers_are_checked_and_what_was_typed_is_kept(gateway, stack) -> None:
    """Letters are refused by the page, unknown numbers by participation; the form keeps what was typed."""
    secretariat = await gateway.account("nantes-metropole", "secretariat", name="Claire Secrétariat")
    async with gateway.client() as client:
        token = await gateway.logged_in(client, secretariat)
        mid, rev = await _gtc_draft(client, token, "GTC liens", 70)
        for typed, said in (("19, abc, 999", "Engagements liés : « abc » n'est pas un numéro d'engagement. "
                                             "Rien n'a été enregistré."),
                            ("19, 999", "Engagement inconnu : n° 999. Rien n'a été enregistré.")):
            added = await client.post(f"/reunions/{mid}/points", data={"csrf_token": token, "draft_rev": rev,
                                                                      "title": "Bilan emploi", "engagements": typed})
            assert added.status_code == 422 and _notice(added.text, "ordre-du-jour") == said
            assert f'name="engagements" type="text" inputmode="numeric" placeholder="ex. 12, 47" value="{typed}"' \
                in added.text
        decided = await client.post(f"/reunions/{mid}/decisions", data={"csrf_token": token, "text": "Décidé",
                                                                       "engagements": "abc"})
        assert decided.status_code == 422
        assert "Engagements concernés : « abc » n'est pas un numéro d'engagement." in html.unescape(decided.text)
        decided = await client.post(f"/reunions/{mid}/decisions", data={"csrf_token": token, "text": "Décidé",
                                                                       "engagements": "77"})
        assert decided.status_code == 422 and "Engagement inconnu : n° 77." in html.unescape(decided.text)
        assert 'value="77"' in decided.text
        page = await client.get(f"/reunions/{mid}")
        assert "Bilan emploi" not in page.text and "Décidé" not in page.text


async def test_the_dossier_page_writes_approved_values_in_french_once(gateway, stack) -> None:
    from services.participation.service.readmodel import ValueSeen

    secretariat = await gateway.account("nantes-metropole", "secretariat", name="Claire Secrétariat")
    label = "Valeur du test du dossier"
    now = datetime.now(UTC)
    async with stack["participation"].runtime.db.session() as session:
        for n, value in enumerate((4.0, 12.5), 1):
            session.add(ValueSeen(event_id=f"dossier-{n}", submission_id=9000 + n, indicator_id=9470,
                                  indicator_label=label, engagement_number=47, period="2026", qpv_id=None,
                                  value=value, unit="nombre", organisation_id="nantes-metropole",
                                  at=now - timedelta(minutes=5 - n)))
        await session.commit()
    async with gateway.client() as client:
        token = await gateway.logged_in(client, secretariat)
        day = (paris_today() + timedelta(days=1)).isoformat()
        scheduled = await client.post("/reunions", data={"csrf_token": token, "body_id": "rdv-politique-de-la-ville",
                                                         "title": "RDV dossier", "day": day, "start": "09:30",
                                                         "place": "Salle 1"})
        page = (await client.get(f"/reunions/{_meeting_id(scheduled.headers['location'])}/dossier")).text
        assert page.count(label) == 1 and "12,5 nombre" in page and "4.0" not in page and "12.5" not in page
