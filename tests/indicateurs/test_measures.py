"""Values the platform computes from participation's data reach indicateurs as approved values, through events."""

from __future__ import annotations

from datetime import date, timedelta

from services.indicateurs.service import common
from services.participation.service.measures import record_measure
from tests.conftest import ADMIN, auth
from tests.indicateurs.conftest import COVERAGE, NANTES, SECRETARIAT, find_definition, submit, wait_for

# The contract's load already recorded today's coverage (its year's value): these measures are of another year.
ON = date(2025, 10, 3)
PERIOD = "2025"


async def _compute(stack, value: float, *, label: str = COVERAGE, on: date = ON) -> None:  # type: ignore[no-untyped-def]
    runtime = stack.participation_runtime
    async with runtime.db.session() as session:
        await record_measure(session, runtime.outbox, engagement_number=47, indicator_label=label, value=value,
                             basis="8 conseils citoyens pour 15 QPV", on=on)
        await session.commit()


async def _values(stack, indicator_id: int | None = None) -> list[dict]:  # type: ignore[no-untyped-def]
    """The approved values of `PERIOD` (of one indicator, or of all)."""
    params = {"period": PERIOD} | ({"indicator": indicator_id} if indicator_id is not None else {})
    response = await stack.client.get("/api/v1/exports/values.json", params=params, headers=auth(ADMIN))
    return response.json()["values"]


async def test_a_computed_measure_becomes_an_approved_value_and_changes_only_when_it_changes(indicateurs) -> None:
    coverage = await find_definition(indicateurs.client, 47, "Taux de couverture")
    await _compute(indicateurs, 53.3)

    async def recorded(expected: float) -> bool:
        values = await _values(indicateurs, coverage["id"])
        return [v["value"] for v in values] == [expected]

    await wait_for(lambda: recorded(53.3), what="the computed coverage as an approved value")
    [value] = await _values(indicateurs, coverage["id"])
    assert (value["period"], value["organisation_id"], value["version"]) == (PERIOD, "plateforme", 1)

    await _compute(indicateurs, 53.3)  # the same figure again: nothing new
    await _compute(indicateurs, 60.0)  # a conseil citoyen was created: a new version
    await wait_for(lambda: recorded(60.0), what="the new coverage")
    [value] = await _values(indicateurs, coverage["id"])
    assert value["version"] == 2


async def test_a_measure_for_an_indicator_the_contract_lacks_records_nothing(indicateurs) -> None:
    coverage = await find_definition(indicateurs.client, 47, "Taux de couverture")
    await _compute(indicateurs, 1.0, label="Un indicateur que ce contrat n'a pas")
    await _compute(indicateurs, 40.0)  # consumed after the unknown one, in order
    await wait_for(lambda: _has(indicateurs, coverage["id"]), what="the known measure")
    assert [(v["indicator_id"], v["value"]) for v in await _values(indicateurs)] == [(coverage["id"], 40.0)], \
        "the unknown indicator's measure recorded nothing, anywhere"


async def _has(stack, indicator_id: int) -> bool:  # type: ignore[no-untyped-def]
    return bool(await _values(stack, indicator_id))


async def test_nobody_owes_or_types_a_computed_indicator(indicateurs) -> None:
    """The coverage the contract's load computed: Ville de Nantes pilots engagement 47, yet owes none of its values
    and may not type one, in the form or in a file; the other indicators of the engagement stay owed."""
    c = indicateurs.client
    coverage = await find_definition(c, 47, "Taux de couverture")
    assert coverage["computed"] and "ville-nantes" in coverage["responsible"]
    typed = [d for d in (await c.get("/api/v1/definitions", params={"engagement": 47}, headers=auth(ADMIN))).json()
             if not d["computed"]]
    assert typed, "engagement 47 has indicators people report"
    r = await c.post("/api/v1/campaigns", headers=auth(SECRETARIAT),
                     json={"title": "Bilan 2025", "period": "2025",
                           "closes_on": (common.today() + timedelta(days=10)).isoformat()})
    assert r.status_code == 201, r.text
    todo = (await c.get(f"/api/v1/campaigns/{r.json()['id']}/todo", headers=auth(NANTES))).json()
    owed = {o["indicator_id"] for o in todo["owed"]}
    assert coverage["id"] not in owed and {d["id"] for d in typed if "ville-nantes" in d["responsible"]} <= owed
    assert todo["expected"] == len(todo["owed"]), "what is expected is what is owed: nothing computed counted"
    report = (await c.get("/api/v1/completeness", params={"period": "2025"}, headers=auth(SECRETARIAT))).json()
    assert coverage["id"] not in {i["indicator_id"] for i in report["indicators"]}

    refused = await submit(c, NANTES, coverage["id"], "2025", 12, expect=403)
    assert refused["rule"] == "computed" and refused["field"] == "indicator_id"
    assert "calculé automatiquement par la plateforme" in refused["message"]
    csv = f"indicateur;periode;qpv;valeur;qualification\n{coverage['id']};2025;;12;definitif\n"
    imported = await c.post("/api/v1/imports", headers={**auth(NANTES), "Content-Type": "text/csv"}, content=csv)
    assert imported.status_code == 422 and "calculé automatiquement" in imported.text
