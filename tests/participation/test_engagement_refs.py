"""Every list of engagement numbers participation stores names engagements it knows (its copy of the contract's
catalogue, from the engagements' events): an unknown number is refused with a structured 422 naming it, and
nothing is written. Before any engagement is known (the contract not loaded yet), no number is taken."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import delete

from tests.conftest import paris_today
from tests.participation.aap_helpers import call_body
from tests.participation.conftest import person


def _unknown(response, *numbers: int, field: str = "engagements") -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.text
    body = response.json()
    shown = ", ".join(str(n) for n in numbers)
    plural = "s" if len(numbers) > 1 else ""
    assert body["message"] == f"Engagement{plural} inconnu{plural} : n° {shown}.", body
    assert body["field"] == field and body["unknown"] == list(numbers), body


async def test_unknown_engagements_are_refused_and_nothing_is_written(gov) -> None:
    meeting = await gov.meeting("gtc", days_ahead=60)
    mid = meeting["id"]
    rev = (await gov.view(mid))["meeting"]["draft_rev"]
    _unknown(await gov.call("POST", f"/meetings/{mid}/items",
                            json={"title": "Bilan", "engagements": [19, 999], "draft_rev": rev}), 999)
    assert (await gov.view(mid))["draft"]["items"] == []

    await gov.item(mid, "Bilan", engagements=[19, 19, 2])
    item = (await gov.view(mid))["draft"]["items"][0]
    assert item["engagements"] == [2, 19]
    rev = (await gov.view(mid))["meeting"]["draft_rev"]
    _unknown(await gov.call("PUT", f"/meetings/{mid}/items/{item['item_id']}",
                            json={"title": "Bilan", "engagements": [120, 77], "draft_rev": rev}), 77, 120)
    assert (await gov.view(mid))["draft"]["items"][0]["engagements"] == [2, 19]

    _unknown(await gov.call("POST", f"/meetings/{mid}/decisions", json={"text": "Décidé", "engagements": [77]}), 77)
    assert [d for d in await gov.ok("GET", "/decisions") if d["meeting_id"] == mid] == []

    member = person("Nora Membre", "caf")
    await gov.seat("gtc", member)
    await gov.ok("PUT", f"/meetings/{mid}/cutoff", json={"proposals_until": str(paris_today() + timedelta(days=5)),
                                                        "draft_rev": rev})
    _unknown(await gov.call("POST", f"/meetings/{mid}/proposals", member,
                            json={"title": "Point CAF", "engagements": [120]}), 120)
    assert (await gov.view(mid, member))["proposals"] == []

    _unknown(await gov.call("POST", "/mandates", json={"title": "Mandat", "engagements": [5, 51]}), 51)
    assert await gov.ok("GET", "/mandates") == []

    body = call_body(priorities=[{"text": "Emploi des jeunes", "engagements": [17, 99]}])
    _unknown(await gov.call("PUT", "/aap/calls/2025", json=body), 99, field="priorities")
    assert (await gov.call("GET", "/aap/calls/2025")).status_code == 404


async def test_before_the_contract_is_loaded_no_engagement_is_taken(gov) -> None:
    from services.participation.service.catalogue import EngagementSeen

    async with gov.running.runtime.db.session() as session:
        await session.exec(delete(EngagementSeen))  # type: ignore[call-overload]
        await session.commit()
    mid = (await gov.meeting("gtc", days_ahead=60))["id"]
    rev = (await gov.view(mid))["meeting"]["draft_rev"]
    refused = await gov.call("POST", f"/meetings/{mid}/items",
                             json={"title": "Bilan", "engagements": [17], "draft_rev": rev})
    assert refused.status_code == 422 and refused.json()["unknown"] == [17]
    assert "pas encore connus de ce service" in refused.json()["message"]
    await gov.item(mid, "Bilan sans engagement")
    assert [i["engagements"] for i in (await gov.view(mid))["draft"]["items"]] == [[]]
