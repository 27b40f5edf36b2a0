"""The restore procedure of docs/operations.md, run for real: what a service builds from other services' events
(indicateurs' definitions, QPV, organisations and computed values) is rebuilt from the streams into an empty
database by dropping its durable consumers, and the rebuilt service answers exactly as the original did."""

from __future__ import annotations

from datetime import date
from typing import Any

from gateway.contract import loader, validation
from kernel.events import stream_name
from services.participation.service.common import today_paris
from services.participation.service.measures import record_measure
from tests.conftest import ADMIN, DEFAULT_CONTRACT, auth
from tests.kernel.test_outbox import wait_for

PATHS = ("/api/v1/definitions", "/api/v1/qpv", "/api/v1/exports/values.json")


def _without_times(value: Any) -> Any:
    """An answer without the moments it was computed at (a rebuild happens later, by design)."""
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if not k.endswith("_at")}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


async def _answers(client: Any) -> list[Any]:
    return [_without_times((await client.get(path, headers=auth(ADMIN))).json()) for path in PATHS]


async def test_a_read_model_rebuilt_from_its_streams_into_an_empty_database_answers_the_same(
        service_runner, namespaces, js) -> None:  # type: ignore[no-untyped-def]
    ns = await namespaces()
    contract = validation.load_file(DEFAULT_CONTRACT)
    async with service_runner("engagements", event_namespace=ns) as eng, \
            service_runner("participation", event_namespace=ns) as part:
        async with service_runner("indicateurs", event_namespace=ns) as original:
            await loader.load(contract, participation=part.client, engagements=eng.client, headers=auth(ADMIN))
            # The load computed this year's coverage of the QPV by conseils citoyens; a measure of another year too
            # (one measure per value: which of a value's measures a rebuild meets before its definition varies).
            async with part.runtime.db.session() as session:
                await record_measure(session, part.runtime.outbox, engagement_number=47, value=50.0,
                                     indicator_label="Taux de couverture des quartiers par les conseils citoyens / "
                                                     "moyens mobilisés", basis="test", on=date(2025, 6, 1))
                await session.commit()
            expected_definitions = sum(len({i.label for i in e.indicators}) for e in contract.engagements)

            async def settled() -> bool:
                definitions, qpv, values = await _answers(original.client)
                computed = sorted((v["period"], v["value"], v["organisation_id"]) for v in values["values"])
                return (len(definitions) == expected_definitions and len(qpv) == len(contract.qpv)
                        and computed == [("2025", 50.0, "plateforme"), (str(today_paris().year), 53.3, "plateforme")])

            await wait_for(settled, timeout=120)
            before = await _answers(original.client)

        # The procedure: the service stopped, its durable consumers dropped, started on an empty database.
        for service in ("engagements", "participation"):
            stream = stream_name(ns, service)
            for info in await js.consumers_info(stream):
                if info.name.startswith(f"{ns}_indicateurs_"):
                    await js.delete_consumer(stream, info.name)
        async with service_runner("indicateurs", event_namespace=ns) as rebuilt:  # a new, empty database

            async def same() -> bool:
                return await _answers(rebuilt.client) == before

            await wait_for(same, timeout=120)
