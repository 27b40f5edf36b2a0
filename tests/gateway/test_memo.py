"""The gateway's memo of the services' answers (`gateway.cache`): a page seen again costs no call while nothing
changed, the person who saves sees their change at once, a change made elsewhere shows within a second, and what
one person may see is never shown to another."""

from __future__ import annotations

import asyncio
import re
import uuid

import httpx

from tests.conftest import Running, auth, identity
from tests.gateway.conftest import Gateway, csrf_of
from tests.participation.conftest import day_at

SECRETARIAT = identity("nantes-metropole", "secretariat", name="Claire Secrétariat")


async def _comment_shown(client: httpx.AsyncClient) -> str:
    """The comment of the Ville de Nantes' part, as engagement 1's page shows it."""
    page = (await client.get("/engagements/1")).text
    return re.search(r'id="part-ville-nantes".*?<dd class="comment">(.*?)</dd>', page, re.S)[1]  # type: ignore[index]


async def test_a_saved_change_shows_at_once_and_a_change_made_elsewhere_within_a_second(
        gateway: Gateway, stack: dict[str, Running]) -> None:
    referent = await gateway.account("ville-nantes", "referent")
    eng = stack["engagements"].client
    async with gateway.client() as client:
        token = await gateway.logged_in(client, referent)
        before = await _comment_shown(client)
        assert await _comment_shown(client) == before  # seen again: from memory, the same

        # Saved through the gateway: the very next view shows it (no waiting).
        form = (await client.get("/mes-engagements/1/modifier", headers={"HX-Request": "true"})).text
        version = int(re.search(r'name="version" value="(\d+)"', form)[1])  # type: ignore[index]
        mine = f"Saisi sur la page {uuid.uuid4().hex[:6]}"
        saved = await client.post("/engagements/1/parts/ville-nantes", data={
            "csrf_token": token, "version": str(version), "status": "en_cours", "progress": "30", "comment": mine,
            "vue": "fiche"})
        assert saved.status_code == 303, saved.text
        assert await _comment_shown(client) == mine

        # Changed behind the gateway's back (the secretariat through the service's API): shown within a second.
        theirs = f"Saisi ailleurs {uuid.uuid4().hex[:6]}"
        r = await eng.patch("/api/v1/engagements/1/parts/ville-nantes", headers=auth(SECRETARIAT),
                            json={"version": version + 1, "status": "en_cours", "progress": 40, "comment": theirs})
        assert r.status_code == 200, r.text
        shown = None
        for _ in range(30):
            shown = await _comment_shown(client)
            if shown == theirs:
                break
            await asyncio.sleep(0.1)
        assert shown == theirs, "a change made elsewhere shows within the memo's second"


async def test_what_one_person_may_see_is_never_shown_to_another(gateway: Gateway,
                                                                 stack: dict[str, Running]) -> None:
    """An internal decision about an engagement: the secretariat sees it on the engagement's page; a referent who
    opens the same page right after, and the public page, do not (each identity has its own memo)."""
    part = stack["participation"].client
    meeting = await part.post("/api/v1/meetings", headers=auth(SECRETARIAT), json={
        "body_id": "copil", "title": "COPIL", "starts_at": day_at(-3), "place": "Hôtel de Métropole"})
    assert meeting.status_code == 201, meeting.text
    secret = f"Décision interne {uuid.uuid4().hex[:8]}"
    decided = await part.post(f"/api/v1/meetings/{meeting.json()['id']}/decisions", headers=auth(SECRETARIAT),
                              json={"text": secret, "internal": True, "engagements": [4]})
    assert decided.status_code == 201, decided.text

    secretariat = await gateway.account("nantes-metropole", "secretariat", name="Claire Secrétariat")
    referent = await gateway.account("caf", "referent", name="Karim Référent")
    async with gateway.client() as insider, gateway.client() as outsider, gateway.client() as visitor:
        await gateway.logged_in(insider, secretariat)
        await gateway.logged_in(outsider, referent)
        for _ in range(30):  # made behind the gateway's back: within its memo's second
            if secret in (await insider.get("/engagements/4")).text:
                break
            await asyncio.sleep(0.1)
        assert secret in (await insider.get("/engagements/4")).text
        outsiders_page = await outsider.get("/engagements/4")
        assert outsiders_page.status_code == 200 and "Engagement n° 4" in outsiders_page.text
        assert secret not in outsiders_page.text
        public = await visitor.get("/contrat/engagements/4")
        assert public.status_code == 200 and secret not in public.text
        assert csrf_of(outsiders_page.text)
