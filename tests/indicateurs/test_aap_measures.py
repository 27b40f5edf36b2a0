"""Acceptance: a funder's good list publishes one event per project, updates the public totals and engagement 49's
computed indicators, which indicateurs records as approved values."""

from __future__ import annotations

import json
from typing import Any

import nats

from tests.conftest import ADMIN, auth
from tests.indicateurs.conftest import find_definition, wait_for
from tests.participation.aap_helpers import METROPOLE, call_body, funder_file, line
from tests.participation.conftest import SECRETARIAT


async def _values(stack: Any, indicator_id: int) -> list[float]:
    response = await stack.client.get("/api/v1/exports/values.json", params={"indicator": indicator_id},
                                      headers=auth(ADMIN))
    return [v["value"] for v in response.json()["values"]]


async def test_a_good_list_publishes_one_event_per_project_and_updates_totals_and_indicators(indicateurs,
                                                                                            nats_url) -> None:
    part = indicateurs.participation
    delay = await find_definition(indicateurs.client, 49, "Délai de versement")
    cpo = await find_definition(indicateurs.client, 49, "Nombre de nouvelles conventions")
    response = await part.put("/api/v1/aap/calls/2025", json=call_body(), headers=auth(SECRETARIAT))
    assert response.status_code == 200, response.text

    seen: list[dict] = []
    nc = await nats.connect(nats_url)

    async def keep(msg: Any) -> None:
        seen.append(json.loads(msg.data))

    await nc.subscribe(f"{indicateurs.namespace}.participation.funding.>", cb=keep)
    content = funder_file(line(1, paid_on="2025-03-30", paid="5000", cpo="nouvelle"),   # 20 days
                          line(2, paid_on="2025-04-19", paid="4000"),                      # 40 days
                          line(3, paid_on="2025-06-08", paid="5000", qpv="grand-bellevue"),  # 90 days
                          line(4, decision="refusé", granted=""))
    response = await part.post("/api/v1/aap/calls/2025/imports", params={"funder_id": "nantes-metropole"},
                               content=content, headers={**auth(METROPOLE), "Content-Type": "text/csv"})
    assert response.status_code == 201, response.text

    await wait_for(lambda: _count(seen, 6), what="the funding events")
    await nc.close()
    kinds = sorted(e["type"].split(".", 1)[1] for e in seen)
    assert kinds == ["participation.funding.granted"] * 3 + ["participation.funding.paid"] * 3
    assert sorted(e["data"]["project"]["title"] for e in seen if e["type"].endswith("granted")) == [
        "Projet n° 1", "Projet n° 2", "Projet n° 3"]  # the refused one is not announced publicly

    year = (await part.get("/api/v1/aap/funded/2025", headers=auth(ADMIN))).json()
    assert (year["totals"]["projects"], year["totals"]["granted"], year["totals"]["paid"]) == (3, 15_000, 14_000)
    metropole = next(f for f in year["by_funder"] if f["funder_id"] == "nantes-metropole")
    assert (metropole["granted"], metropole["delay_median"], metropole["delay_p90"]) == (15_000, 40.0, 90)
    assert {q["qpv_id"]: q["granted"] for q in year["by_qpv"]} == {"malakoff": 10_000, "grand-bellevue": 5_000}

    async def recorded() -> bool:
        return await _values(indicateurs, delay["id"]) == [40.0] and await _values(indicateurs, cpo["id"]) == [1.0]

    await wait_for(recorded, what="the computed delay (median 40 days) and new CPO count (1) in indicateurs")


async def _count(seen: list[dict], n: int) -> bool:
    return len(seen) >= n
