"""Preferences, digests and one-click unsubscribe, end to end: indicateurs' events in, e-mails out through a
real SMTP server, choices made on the gateway's pages, the unsubscribe link POSTed as a mail client does."""

from __future__ import annotations

import asyncio
import html
from datetime import UTC, datetime

from gateway import notify
from services.indicateurs import events as ie
from services.notifications import digests
from tests.conftest import auth, identity
from tests.gateway.conftest import csrf_of
from tests.notifications.conftest import link_in, wait_until


def submission(event_cls, *, who, version: int, state: str, **extra):  # type: ignore[no-untyped-def]
    return event_cls(submission_id=version, contract_id="nm-2019", indicator_id=7001,
                     indicator_label="Nombre de jeunes accompagnés", engagement_number=12, period="2026",
                     qpv_id=None, qpv_code=None, value=120 + version, unit="personnes", qualification="provisoire",
                     state=state, organisation_id="ville-reze", actor_name=who, actor_organisation_id=(
                         "ville-reze" if state == "soumis" else None), version=version, **extra)


async def test_preferences_digest_and_one_click_unsubscribe(portal, notifications, bus, sink) -> None:
    referent = await portal.account("ville-reze", "referent", name="Inès Référente")
    other = await portal.account("ville-reze", "referent", name="Paul Collègue")
    assert await notify.sync_accounts(portal.app.state.clients, [referent.account, other.account])
    await bus.publish(submission(ie.SubmissionSubmitted, who="Inès Référente", version=1, state="soumis"))
    await bus.publish(submission(ie.SubmissionRejected, who="Claire Secrétariat", version=1, state="a_reprendre",
                                 reason="Le chiffre 2026 inclut les jeunes hors QPV."))

    # Sent back: to the person who submitted it (not her colleague), immediately, with a working unsubscribe.
    await wait_until(lambda: sink.to(referent.email), what="the sent-back value e-mail")
    [mail] = sink.to(referent.email)
    assert mail["Subject"] == "Valeur à reprendre : Nombre de jeunes accompagnés (2026)"
    text = next(p for p in mail.walk() if p.get_content_type() == "text/plain").get_content()
    assert "Le chiffre 2026 inclut les jeunes hors QPV." in text
    assert "https://cdv.test/notifications/preferences" in text
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = mail["List-Unsubscribe"].strip("<>").removeprefix("https://cdv.test")
    assert link_in(mail, "https://cdv.test/desabonnement/") == unsubscribe
    assert not sink.to(other.email)

    # She chooses a daily digest for indicators: the next notice waits for the digest.
    async with portal.client() as client:
        await portal.logged_in(client, referent)
        page = await client.get("/notifications/preferences")
        assert "ne peuvent pas être désactivés" in page.text
        saved = await client.post("/notifications/preferences", data={
            "csrf_token": csrf_of(page.text), "indicateurs": "resume", "rappels": "immediat",
            "instances": "jamais"})
        assert saved.status_code == 200 and "Vos choix sont enregistrés." in saved.text
        assert 'value="resume" checked' in saved.text
    api = notifications.client
    who = identity("ville-reze", "referent", user_id=referent.account.id)
    refused = await api.put("/api/v1/preferences", json={"ordre_du_jour": "jamais"}, headers=auth(who))
    assert refused.status_code == 422 and "ne peut pas être désactivé" in refused.json()["message"]

    await bus.publish(submission(ie.SubmissionSubmitted, who="Inès Référente", version=2, state="soumis"))
    await bus.publish(submission(ie.SubmissionValidated, who="Claire Secrétariat", version=2, state="approuve"))
    await wait_until(lambda: _notice_count(api, who, 2), what="the approval notice in her centre")
    await asyncio.sleep(1)
    assert len(sink.to(referent.email)) == 1  # no e-mail yet: it waits for the digest

    # The digest hour comes (the job's clock): one digest with the approval; the next run sends nothing more.
    runtime = notifications.runtime
    for _ in range(2):
        async with runtime.db.session() as session:
            await digests.send_digests(session, at=datetime.now(UTC), domain="cdv.test")
    await wait_until(lambda: len(sink.to(referent.email)) == 2, what="the digest")
    digest = sink.to(referent.email)[1]
    assert digest["Subject"] == "Votre résumé du jour : 1 notification"
    assert "Valeur approuvée : Nombre de jeunes accompagnés (2026)" in next(
        p for p in digest.walk() if p.get_content_type() == "text/plain").get_content()

    # One click, as a mail client does it (RFC 8058): no session, no cookie, just the POST.
    async with portal.client() as mail_client:
        clicked = await mail_client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
        assert clicked.status_code == 200 and "vous ne recevrez plus de courriels" in clicked.text
        forged = await mail_client.post(unsubscribe[:-4] + "AAAA", data={"List-Unsubscribe": "One-Click"})
        assert forged.status_code == 404 and "n'est pas valide" in html.unescape(forged.text)
    modes = {c["category"]: c["mode"] for c in
             (await api.get("/api/v1/preferences", headers=auth(who))).json()["categories"]}
    assert modes["indicateurs"] == "jamais" and modes["ordre_du_jour"] == "immediat"

    await bus.publish(submission(ie.SubmissionRejected, who="Claire Secrétariat", version=2, state="a_reprendre",
                                 reason="Encore une erreur."))
    await wait_until(lambda: _notice_count(api, who, 3), what="the third notice in her centre")
    async with runtime.db.session() as session:
        await digests.send_digests(session, at=datetime.now(UTC), domain="cdv.test")
    await asyncio.sleep(1.5)
    assert len(sink.to(referent.email)) == 2  # unsubscribed: neither an e-mail nor a digest


async def _notice_count(api, who, count: int) -> bool:  # type: ignore[no-untyped-def]
    found = (await api.get("/api/v1/notices", headers=auth(who))).json()
    return len(found["items"]) >= count
