"""`make run`'s governance year: loaded through the service's own functions (events included), once."""

from __future__ import annotations

import asyncio
import json

import nats
import pytest
from sqlmodel import select

from services.participation.demo import seed
from services.participation.service.people import Person
from tests.participation.test_authorization import PUBLIC
from tests.participation.test_opinions import _engagement


@pytest.fixture
async def own_namespace(namespaces):  # type: ignore[no-untyped-def]
    """A namespace of its own: no other participation shares its durable consumers (the demo waits for its
    engagement 47 to reach this one)."""
    return await namespaces()


@pytest.fixture
async def gov(gov_factory, tmp_path, own_namespace):  # type: ignore[no-untyped-def]
    async with gov_factory(files_dir=tmp_path / "files", event_namespace=own_namespace) as g:
        yield g


async def test_demo_governance_year(gov, nats_url, own_namespace) -> None:
    namespace = own_namespace
    nc = await nats.connect(nats_url)
    published: asyncio.Queue = asyncio.Queue()
    await nc.subscribe(f"{namespace}.participation.meeting.agenda_published", cb=published.put)
    try:
        await _engagement(nc.jetstream(), namespace, 47, ["nantes-metropole", "ville-nantes"])
        message = await seed(gov.running.runtime.settings)
        assert message.startswith("Démo de la gouvernance chargée")
        assert await seed(gov.running.runtime.settings) == ("Démo de la gouvernance déjà chargée : rien à faire. "
                                                            "Démo de l'appel à projets déjà chargée.")
        projects = await gov.ok("GET", "/aap/calls/2025/projects")  # the appel à projets demo, all marked demo
        statuses = {s: sum(p["status"] == s for p in projects) for s in ("accorde", "refuse", "depose")}
        assert len(projects) == 60 and all(p["demo"] for p in projects) and min(statuses.values()) >= 3, statuses
        year = await gov.ok("GET", "/aap/funded/2025", PUBLIC)
        assert year["totals"]["projects"] == statuses["accorde"] and 2 <= year["totals"]["new_cpo"] <= 6
        assert len({q["qpv_id"] for q in year["by_qpv"]}) == 9 and 20 <= year["totals"]["delay_median"] <= 110

        bodies = await gov.ok("GET", "/bodies")
        assert all(b["members_count"] >= 2 for b in bodies), [b["id"] for b in bodies if b["members_count"] < 2]
        meetings = await gov.ok("GET", "/meetings")
        past = next(m for m in meetings if m["phase"] == "past")
        assert past["body_id"] == "copil" and past["minutes_published_at"]
        register = await gov.ok("GET", "/decisions", PUBLIC, params={"body_id": "copil"})
        assert len(register) == 5 and sum(d["overdue"] for d in register) == 2
        gtc = next(m for m in meetings if m["body_id"] == "gtc")
        assert gtc["published_version"] == 1 and gtc["lead_time"]["state"] == "published"
        upcoming = next(m for m in meetings if m["body_id"] == "copil" and m["phase"] == "upcoming")
        assert upcoming["published_version"] == 0 and upcoming["lead_time"]["state"] in ("ok", "soon")
        assert len((await gov.view(upcoming["id"]))["draft"]["items"]) == 4
        assert "Démo" in json.dumps(await gov.ok("GET", "/bodies/copil"), ensure_ascii=False)
        on_portal = await gov.ok("GET", "/news")
        assert sorted(n["kind"] for n in on_portal) == ["actualite", "actualite", "ressource", "ressource"]
        assert all(n["title"].startswith("Démo — ") for n in on_portal)
        async with gov.running.runtime.db.session() as session:  # plain ASCII addresses, as real ones
            addresses = [p.email for p in (await session.exec(select(Person))).all()]
        assert addresses and all(a.isascii() for a in addresses), [a for a in addresses if not a.isascii()]
        assert "chloe.demo3@cdv-demo.test" in addresses

        # The residents: the 8 conseils' profiles, one member each shown by first name and initial, two opinions
        # on engagement 47 (one answered, one overdue).
        assert "deux avis" in message
        conseils = (await gov.ok("GET", "/conseils-citoyens", PUBLIC))["conseils"]
        assert len(conseils) == 8 and all(c["activities"] and len(c["members_shown"]) == 1 for c in conseils)
        opinions = await gov.ok("GET", "/opinions", PUBLIC, params={"engagement": 47})
        assert sorted((bool(o["answer"]), o["overdue"]) for o in opinions) == [(False, True), (True, False)]

        titles = set()
        while "GTC — préparation du COPIL de printemps" not in titles:
            event = json.loads((await asyncio.wait_for(published.get(), 15)).data)
            titles.add(event["data"]["meeting"]["title"])
    finally:
        await nc.close()
