"""Invitation and reset links: e-mailed through notifications, single-use, expiring, and silent about which
addresses have an account."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import update

from gateway.models import PasswordToken, now
from tests.gateway.conftest import csrf_of
from tests.notifications.conftest import link_in, wait_until

NEW_PASSWORD = "une phrase de passe assez longue"


async def test_an_invitation_link_sets_the_password_once(portal, sink) -> None:
    admin = await portal.account(None, "admin", name="Alex Admin")
    address = "nadia.invitee@exemple.test"
    async with portal.client() as client:
        token = await portal.logged_in(client, admin)
        created = await client.post("/admin/comptes", data={
            "csrf_token": token, "email": address, "name": "Nadia Invitée", "organisation_id": "etat-ddsp",
            "roles": ["referent"]})
        assert created.status_code == 201, created.text
        assert f"une invitation à choisir son mot de passe est envoyée à {address}" in created.text
    await wait_until(lambda: sink.to(address), what="the invitation e-mail")
    [mail] = sink.to(address)
    assert mail["Subject"] == "Votre compte sur la plateforme du contrat de ville"
    assert mail["List-Unsubscribe"] is None  # account e-mails cannot be turned off
    link = link_in(mail, "https://cdv.test/mot-de-passe/")

    async with portal.client() as visitor:
        form = await visitor.get(link)
        assert form.status_code == 200 and "Bienvenue : choisissez votre mot de passe" in form.text
        csrf = csrf_of(form.text)
        mismatch = await visitor.post(link, data={"csrf_token": csrf, "password": NEW_PASSWORD,
                                                  "confirmation": NEW_PASSWORD + "!"})
        assert mismatch.status_code == 422 and "différentes" in mismatch.text
        short = await visitor.post(link, data={"csrf_token": csrf, "password": "court", "confirmation": "court"})
        assert short.status_code == 422 and "12 caractères" in short.text
        forged = await visitor.post(link, data={"csrf_token": "pas-le-bon", "password": NEW_PASSWORD,
                                                "confirmation": NEW_PASSWORD})
        assert forged.status_code == 403
        done = await visitor.post(link, data={"csrf_token": csrf, "password": NEW_PASSWORD,
                                              "confirmation": NEW_PASSWORD})
        assert done.status_code == 200 and "Mot de passe enregistré" in done.text
        again = await visitor.post(link, data={"csrf_token": csrf, "password": "un autre mot de passe long",
                                               "confirmation": "un autre mot de passe long"})
        assert again.status_code == 404 and "déjà servi" in again.text
        assert (await visitor.get(link)).status_code == 404
    async with portal.client() as nadia:
        assert (await portal.login(nadia, address, NEW_PASSWORD)).status_code == 303
        centre = await nadia.get("/notifications")
        assert "Bienvenue sur la plateforme du contrat de ville" in centre.text  # the new account's notice


async def test_a_reset_link_says_nothing_about_unknown_addresses_and_expires(portal, sink) -> None:
    who = await portal.account("ville-nantes", "referent", name="Léo Oublieux")
    unknown = "personne.inconnue@exemple.test"
    async with portal.client() as visitor:
        page = await visitor.get("/mot-de-passe-oublie")
        answers = []
        for address in (who.email, unknown):
            answer = await visitor.post("/mot-de-passe-oublie", data={"csrf_token": csrf_of(page.text),
                                                                      "email": address})
            assert answer.status_code == 200
            answers.append(re.sub(r"<input[^>]*>", "", answer.text.replace(address, "ADRESSE")))
        assert answers[0] == answers[1]  # the same page, whether the address has an account or not
    await wait_until(lambda: sink.to(who.email), what="the reset e-mail")
    await asyncio.sleep(1)
    assert unknown not in sink.rcpt_attempts  # nothing was sent to an address without an account
    [mail] = sink.to(who.email)
    link = link_in(mail, "https://cdv.test/mot-de-passe/")
    assert "Si vous n'avez rien demandé" in next(p for p in mail.walk()
                                                 if p.get_content_type() == "text/plain").get_content()

    async with portal.client() as visitor:
        assert (await visitor.get(link)).status_code == 200
        # The link's hour passes (the clock moves on): it no longer works, and says so without detail.
        async with portal.app.state.db.session() as session:
            await session.exec(update(PasswordToken).where(PasswordToken.account_id == who.account.id)
                               .values(expires_at=now()))
            await session.commit()
        expired = await visitor.get(link)
        assert expired.status_code == 404 and "expiré" in expired.text
        tampered = await visitor.get(link[:-3] + "abc")
        assert tampered.status_code == 404
    async with portal.client() as client:  # the old password still works: nothing changed
        assert (await portal.login(client, who.email, who.password)).status_code == 303
