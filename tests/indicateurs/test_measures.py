"""Values the platform computes from participation's data reach indicateurs as approved values, through events."""

from __future__ import annotations

from datetime import date

from services.participation.service.measures import record_measure
from tests.conftest import ADMIN, auth
from tests.indicateurs.conftest import COVERAGE, find_definition, wait_for

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
