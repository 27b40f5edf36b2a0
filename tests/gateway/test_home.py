"""« Ce qui vous attend » (`/accueil`), where login lands: per role, what needs the person, each line a link to
where it is done; a service down leaves its part missing with a word, not an error page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from gateway.app import create_app
from tests.components import free_port
from tests.conftest import auth, identity, paris_today
from tests.gateway.conftest import Gateway, gateway_settings, transports_for
from tests.gateway.indicator_helpers import SECRETARIAT, definition, words_of

PERIOD = "2039"  # a campaign no other test of the shared stack opens


async def _campaign_and_a_value_sent_back(stack: dict[str, Any]) -> dict[str, Any]:
    client = stack["indicateurs"].client
    places = await definition(stack, 28, "Nombre de collèges")
    campaign = await client.post("/api/v1/campaigns", headers=auth(SECRETARIAT), json={
        "title": f"Bilan {PERIOD}", "period": PERIOD, "closes_on": (paris_today() + timedelta(days=12)).isoformat()})
    assert campaign.status_code == 201, campaign.text
    sent = await client.post("/api/v1/submissions", headers=auth(identity("etat-dsden", name="Alix DSDEN")),
                             json={"indicator_id": places["id"], "period": PERIOD, "value": 7})
    assert sent.status_code == 201, sent.text
    back = await client.post(f"/api/v1/submissions/{sent.json()['id']}/reject", headers=auth(SECRETARIAT),
                             json={"reason": "Sept collèges ? Le réseau en compte neuf."})
    assert back.status_code == 200, back.text
    return places


@asynccontextmanager
async def _gateway(stack: dict[str, Any], tmp_path: Path, **settings: Any) -> AsyncIterator[Gateway]:
    values = gateway_settings(tmp_path, **settings)
    transports = transports_for(stack)
    for name in [k for k in settings if k.endswith("_url")]:  # that service is reached over the network
        transports.pop(name.removesuffix("_url"))
    app = create_app(values, transports=transports)
    async with app.router.lifespan_context(app):
        yield Gateway(app, values)


async def test_login_lands_on_what_needs_a_referent_who_sits_in_a_body(stack, tmp_path) -> None:
    places = await _campaign_and_a_value_sent_back(stack)
    async with _gateway(stack, tmp_path, last_copil_date=paris_today()) as gateway:
        await _referent_s_home(gateway, stack, places)


async def _referent_s_home(gateway: Gateway, stack: dict[str, Any], places: dict[str, Any]) -> None:
    referent = await gateway.account("etat-dsden", name="Alix DSDEN")
    part = stack["participation"].client
    seat = await part.post("/api/v1/bodies/gtc/members", headers=auth(SECRETARIAT), json={
        "person": {"name": "Alix DSDEN", "email": referent.email}, "organisation_id": "etat-dsden",
        "starts_on": str(paris_today() - timedelta(days=30))})
    assert seat.status_code == 201, seat.text
    day = paris_today() + timedelta(days=20)
    meeting = await part.post("/api/v1/meetings", headers=auth(SECRETARIAT), json={
        "body_id": "gtc", "title": "GTC de l'accueil", "starts_at": f"{day}T14:00",
        "proposals_until": str(paris_today() + timedelta(days=3))})
    assert meeting.status_code == 201, meeting.text
    async with gateway.client() as client:
        login = await gateway.login(client, referent.email, referent.password)
        assert login.headers["location"] == "/accueil"
        page = await client.get("/accueil")
    assert page.status_code == 200
    words = words_of(page)
    # the value sent back, its reason, and the link to take it up again on its indicator's page
    assert "Valeurs renvoyées à reprendre (1)" in words
    assert "Motif : Sept collèges ? Le réseau en compte neuf." in words
    assert f'href="/indicateurs/{places["id"]}?periode={PERIOD}#valeur-{PERIOD}"' in page.text
    # what is still to enter for the open campaign, before its deadline
    owed = re.search(rf"(\d+) valeurs? à saisir pour « Bilan {PERIOD} » .*?avant le (.+?) — encore 12 jours", words)
    assert owed, words
    assert f'href="/indicateurs/a-renseigner?periode={PERIOD}"' in page.text
    # the organisation's engagements not updated since the last COPIL, one link to the filtered list
    assert "Engagements pas mis à jour depuis le dernier COPIL" in words
    assert re.search(r'href="/mes-engagements\?retard=1&amp;depuis=\d{4}-\d\d-\d\d"', page.text)
    assert 'href="/mes-engagements/28/modifier"' in page.text
    # the meeting of the body the referent sits in, proposals still open
    assert "GTC de l'accueil" in words and "propositions de points jusqu'au" in words
    assert f'href="/reunions/{meeting.json()["id"]}"' in page.text
    assert "Valeurs à valider" not in words, "the validation queue is the secretariat's"


async def test_the_secretariat_sees_the_queue_the_campaigns_and_the_agendas_to_send(gateway, stack) -> None:
    await definition(stack, 28, "Nombre de collèges")
    caf = identity("caf", name="Claude CAF")
    places = await definition(stack, 24, "Nombre de places")
    waiting = await stack["indicateurs"].client.post("/api/v1/submissions", headers=auth(caf), json={
        "indicator_id": places["id"], "period": "2097", "value": 3})  # a period no other test uses
    assert waiting.status_code == 201, waiting.text
    day = paris_today() + timedelta(days=9)
    meeting = await stack["participation"].client.post("/api/v1/meetings", headers=auth(SECRETARIAT), json={
        "body_id": "copil", "title": "COPIL à préparer", "starts_at": f"{day}T09:30"})
    assert meeting.status_code == 201, meeting.text
    secretariat = await gateway.account("nantes-metropole", "secretariat", name="Claire Dubois")
    try:
        async with gateway.client() as client:
            await gateway.logged_in(client, secretariat)
            page = await client.get("/accueil")
    finally:  # the shared stack's queue as the other tests expect it
        done = await stack["indicateurs"].client.post(f"/api/v1/submissions/{waiting.json()['id']}/approve",
                                                      headers=auth(SECRETARIAT))
        assert done.status_code == 200, done.text
    words = words_of(page)
    queued = re.search(r"(\d+) valeurs? en attente de validation", words)
    assert queued and int(queued[1]) >= 1, words
    assert 'href="/indicateurs/validation"' in page.text
    assert re.search(r"« Bilan \d{4} » : \d+ valeurs? reçues? sur \d+ \(\d+ %\)", words), words
    assert "Ordres du jour à envoyer" in words and "COPIL à préparer" in words
    assert "ordre du jour à envoyer avant le" in words and "en retard" in words  # 15 days' lead time, 9 left
    assert f'href="/reunions/{meeting.json()["id"]}"' in page.text


async def test_nothing_waits_for_an_integrator_and_an_anonymous_visitor_logs_in_first(gateway) -> None:
    reader = await gateway.account(None, "integrator", name="Intégratrice Observatoire")
    async with gateway.client() as client:
        anonymous = await client.get("/accueil")
        assert anonymous.status_code == 303 and anonymous.headers["location"] == "/connexion?next=/accueil"
        await gateway.logged_in(client, reader)
        page = await client.get("/accueil")
    assert "Rien ne vous attend pour le moment" in words_of(page)


async def test_a_service_down_leaves_its_part_missing_with_a_word(stack, tmp_path) -> None:
    async with _gateway(stack, tmp_path, last_copil_date=paris_today(),
                        indicateurs_url=f"http://127.0.0.1:{free_port()}") as gateway:  # nobody listens there
        referent = await gateway.account("etat-dsden", name="Alix DSDEN")
        async with gateway.client() as client:
            await gateway.logged_in(client, referent)
            page = await client.get("/accueil")
    assert page.status_code == 200
    words = words_of(page)
    assert "le service Indicateurs ne répond pas pour le moment" in words
    assert "Engagements pas mis à jour depuis le dernier COPIL" in words  # the rest of the page works
