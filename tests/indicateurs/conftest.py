"""The indicateurs service on SQLite and PostgreSQL, fed by the real engagements and participation services.

Each test gets its own event namespace: engagements and participation publish the default contract there, and
a fresh indicateurs builds its definitions, QPV and organisations from those events, as in production.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlmodel import func, select

from gateway.contract import loader, validation
from kernel.app import ServiceRuntime
from services.indicateurs.labels import COMPUTED_BY
from services.indicateurs.models import Organisation, Submission
from tests.conftest import ADMIN, DEFAULT_CONTRACT, auth, identity

CAF = identity("caf", "referent", name="Claude CAF")
DSDEN = identity("etat-dsden", "referent", name="Alix DSDEN")
NANTES = identity("ville-nantes", "referent", name="Camille Nantes")
REZE = identity("ville-reze", "referent", name="Robin Rezé")
SECRETARIAT = identity("nantes-metropole", "secretariat", name="Sacha Secrétariat")


@dataclass
class Stack:
    client: httpx.AsyncClient  # indicateurs
    runtime: ServiceRuntime
    engagements: httpx.AsyncClient
    participation: httpx.AsyncClient
    participation_runtime: ServiceRuntime
    namespace: str
    backend: str


@pytest.fixture(scope="session")
def default_contract() -> Any:
    return validation.load_file(DEFAULT_CONTRACT)


async def wait_for(predicate, timeout: float = 20.0, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} not reached in time")
        await asyncio.sleep(0.1)


@pytest.fixture(params=["sqlite", "postgres"])
async def indicateurs(request: pytest.FixtureRequest, service_runner: Any, default_contract: Any,
                      namespaces: Any) -> AsyncIterator[Stack]:
    """engagements + participation + indicateurs (on the parametrized backend), default contract loaded."""
    ns = await namespaces()  # a namespace of its own: each test counts only its events; checked against AsyncAPI
    expected_definitions = sum(len({i.label for i in e.indicators}) for e in default_contract.engagements)
    async with service_runner("engagements", event_namespace=ns) as eng, \
            service_runner("participation", event_namespace=ns) as part, \
            service_runner("indicateurs", backend=request.param, event_namespace=ns,
                           campaign_sweep_seconds=0.2) as ind:
        await loader.load(default_contract, participation=part.client, engagements=eng.client, headers=auth(ADMIN))

        async def ready() -> bool:
            definitions = (await ind.client.get("/api/v1/definitions", headers=auth(ADMIN))).json()
            qpv = (await ind.client.get("/api/v1/qpv", headers=auth(ADMIN))).json()
            async with ind.runtime.db.session() as session:
                orgs = (await session.exec(select(func.count()).select_from(Organisation))).one()
                computed = (await session.exec(select(func.count()).select_from(Submission).where(
                    Submission.organisation_id == COMPUTED_BY))).one()
            return (len(definitions), len(qpv), orgs, computed) == (
                expected_definitions, len(default_contract.qpv), len(default_contract.organisations), 1)

        # The load's coverage of the QPV by conseils citoyens (`COVERAGE`) is in too: each test starts from it.
        await wait_for(ready, what="definitions, QPV, organisations and the computed coverage")
        yield Stack(client=ind.client, runtime=ind.runtime, engagements=eng.client,
                    participation=part.client, participation_runtime=part.runtime, namespace=ns,
                    backend=request.param)


COVERAGE = "Taux de couverture des quartiers par les conseils citoyens / moyens mobilisés"


def not_computed(values: list[dict]) -> list[dict]:
    """The values people recorded: without those the platform computed (organisation `COMPUTED_BY`), such as the
    coverage the contract's load records."""
    return [v for v in values if v["organisation_id"] != COMPUTED_BY]


async def find_definition(client: httpx.AsyncClient, engagement: int, label_start: str) -> dict:
    found = (await client.get("/api/v1/definitions", params={"engagement": engagement}, headers=auth(ADMIN))).json()
    return next(d for d in found if d["label"].startswith(label_start))


async def refine(client: httpx.AsyncClient, definition: dict, **fields: Any) -> dict:
    r = await client.patch(f"/api/v1/definitions/{definition['id']}", headers=auth(SECRETARIAT),
                           json={"version": definition["version"], **fields})
    assert r.status_code == 200, r.text
    return r.json()


async def submit(client: httpx.AsyncClient, who: Any, indicator_id: int, period: str, value: float,
                 expect: int = 201, **fields: Any) -> dict:
    r = await client.post("/api/v1/submissions", headers=auth(who),
                          json={"indicator_id": indicator_id, "period": period, "value": value, **fields})
    assert r.status_code == expect, r.text
    return r.json()
