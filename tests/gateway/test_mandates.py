"""Mandats citoyens through the pages: the secretariat opens a mandate and names (and invites) its members, a member
publishes a finding and a recommendation, the organisation named answers; the public reads it all, overdue answers
flagged, without the names of members who did not agree. Every route, role by role."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import timedelta

from gateway import accounts
from services.participation.service.recommendations import Recommendation
from tests.conftest import paris_today
from tests.gateway.conftest import Gateway


def _page(response) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(response.text)


async def test_a_mandate_from_opening_to_the_answer_role_by_role(gateway: Gateway, stack) -> None:  # type: ignore[no-untyped-def]
    secretariat = await gateway.account("nantes-metropole", "secretariat", name="Claire Secrétariat")
    resident = await gateway.account(None, "membre", name="Awa Résidente")
    pilot = await gateway.account("ville-nantes", "referent", name="Référente Ville")
    outsider = await gateway.account("ville-reze", "referent", name="Référent Rezé")

    async with gateway.client() as visitor:
        assert (await visitor.get("/mandats")).status_code == 200
        anonymous = await visitor.post("/mandats", data={"title": "X"})
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/connexion")
    async with gateway.client() as client:
        token = await gateway.logged_in(client, resident)
        refused = await client.post("/mandats", data={"csrf_token": token, "title": "X"})
        assert refused.status_code == 403 and "Seul le secrétariat du COPIL peut ouvrir un mandat" in _page(refused)

    async with gateway.client() as client:
        token = await gateway.logged_in(client, secretariat)
        bad = await client.post("/mandats", data={"csrf_token": token, "title": "X", "engagements": "77"})
        assert bad.status_code == 422 and "Engagement inconnu : n° 77. Rien n'a été enregistré." in _page(bad)
        opened = await client.post("/mandats", data={"csrf_token": token, "title": "Tranquillité des halls",
                                                     "engagements": "5, 48", "qpv_ids": ["malakoff"]})
        assert opened.status_code == 303
        path = opened.headers["location"].split("?")[0]
        mandate_id = path.rsplit("/", 1)[1]
        added = await client.post(f"{path}/membres", data={"csrf_token": token, "name": "Awa Résidente",
                                                          "email": resident.email, "invite": "oui"})
        assert added.status_code == 303 and added.headers["location"].endswith("fait=membre#membres")
        invited = await client.post(f"{path}/membres", data={"csrf_token": token, "name": "Bastien Nouveau",
                                                            "email": "bastien.nouveau@exemple.test", "invite": "oui",
                                                            "public_name": "oui"})
        assert invited.headers["location"].endswith("fait=invite#membres")
    async with gateway.app.state.db.session() as session:
        account = await accounts.get_by_email(session, "bastien.nouveau@exemple.test")
    assert account is not None and account.roles == ["membre"]  # invited: chooses a password through the mail

    async with gateway.client() as client:
        token = await gateway.logged_in(client, resident)
        for action in ("etat", "membres"):
            refused = await client.post(f"{path}/{action}", data={"csrf_token": token, "status": "termine",
                                                                 "version": "1", "name": "Intrus"})
            assert refused.status_code == 403 and "Seul le secrétariat du COPIL" in _page(refused), action
        page = await client.get(path)
        assert "Publier le constat" in page.text
        done = await client.post(f"{path}/constats", data={"csrf_token": token,
                                                           "text": "Les halls sont sombres le soir."})
        assert done.status_code == 303
        recommended = await client.post(f"{path}/preconisations", data={
            "csrf_token": token, "text": "Changer l'éclairage des halls.", "organisation_id": "ville-nantes",
            "due_on": (paris_today() + timedelta(days=30)).strftime("%d/%m/%Y")})
        assert recommended.status_code == 303, recommended.text

    async with gateway.client() as visitor:
        public = _page(await visitor.get(path))
        assert "Les halls sont sombres le soir." in public and "Changer l'éclairage des halls." in public
        assert "Awa" not in public and "Bastien Nouveau" in public  # only the member who agreed is named
        assert "Publier" not in public and "Votre réponse" not in public
    recommendation_id = re.search(r'id="preconisation-([0-9a-f]{32})"', public)[1]  # type: ignore[index]

    async with gateway.client() as client:
        token = await gateway.logged_in(client, outsider)
        assert "Votre réponse" not in (await client.get(path)).text
        refused = await client.post(f"{path}/preconisations/{recommendation_id}/reponse", data={
            "csrf_token": token, "answer": "acceptee", "text": "Oui", "version": "1"})
        assert refused.status_code == 403 and "organisation à qui la préconisation s'adresse" in _page(refused)

    # Past its due date without an answer: everyone sees it is late.
    async with stack["participation"].runtime.db.session() as session:
        row = await session.get(Recommendation, recommendation_id)
        row.due_on = paris_today() - timedelta(days=2)
        session.add(row)
        await session.commit()
    async with gateway.client() as visitor:
        for _ in range(30):  # a change made behind the gateway's back shows within its memo's second
            if "réponse en retard" in (await visitor.get(path)).text:
                break
            await asyncio.sleep(0.1)
        assert "réponse en retard" in (await visitor.get(path)).text
        listing = _page(await visitor.get("/mandats"))
        assert "Tranquillité des halls" in listing and "1 réponse en retard" in listing

    async with gateway.client() as client:
        token = await gateway.logged_in(client, pilot)
        owed = _page(await client.get("/mandats"))
        assert "Préconisations qui attendent la réponse de ville-nantes" in owed
        empty = await client.post(f"{path}/preconisations/{recommendation_id}/reponse", data={
            "csrf_token": token, "answer": "acceptee", "text": "", "version": "1"})
        assert empty.status_code == 422 and "Réponse : champ obligatoire" in _page(empty)
        answered = await client.post(f"{path}/preconisations/{recommendation_id}/reponse", data={
            "csrf_token": token, "answer": "partielle", "text": "Les halls du bâtiment A d'abord.", "version": "1"})
        assert answered.status_code == 303, answered.text
    async with gateway.client() as visitor:
        public = _page(await visitor.get(path))
        assert "Acceptée en partie" in public and "Les halls du bâtiment A d'abord." in public
        assert "Réponse de la Ville de Nantes : Acceptée en partie" in public
        assert "réponse en retard" not in public and "arrivée après l'échéance" in public
    assert mandate_id
