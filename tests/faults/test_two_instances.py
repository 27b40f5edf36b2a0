"""Two instances of a service on one PostgreSQL database, as `infra/deploy` runs them: they start together, share
the outbox and the durable consumers, and the gateways share sessions."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import httpx
import psycopg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from gateway.app import create_app
from gateway.contract import loader, validation
from kernel.events import stream_name
from services.indicateurs import app as indicateurs_app
from tests.conftest import ADMIN, DEFAULT_CONTRACT, ROOT, auth, identity
from tests.gateway.conftest import Gateway, gateway_settings, transports_for
from tests.kernel.test_outbox import wait_for

NANTES = identity("ville-nantes", "referent", name="Camille Nantes")
WRITES = 120
MIGRATIONS = Path(indicateurs_app.__file__).parent / "migrations"


async def test_two_instances_starting_together_migrate_one_database_once(database_factory: Any) -> None:
    """Two processes apply the migrations at the same moment, as two pods of a new release do: one waits for
    the other, both start, and the database is at the latest revision once."""
    url = database_factory("postgres", "indicateurs")
    script = "import sys; from kernel.migrations import upgrade; upgrade(sys.argv[1], sys.argv[2])"
    processes = [await asyncio.create_subprocess_exec(sys.executable, "-c", script, url, str(MIGRATIONS),
                                                      cwd=ROOT, stderr=asyncio.subprocess.PIPE)
                 for _ in range(2)]
    outcomes = [(await p.wait(), (await p.stderr.read()).decode()) for p in processes]  # type: ignore[union-attr]
    assert [code for code, _ in outcomes] == [0, 0], outcomes
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        [(count,)] = conn.execute("SELECT count(*) FROM alembic_version").fetchall()
    assert count == 1


async def _recorded_ids(js: Any, namespace: str) -> list[str]:
    stream = stream_name(namespace, "indicateurs-internal")
    sub = await js.pull_subscribe(f"{namespace}.indicateurs-internal.submission.recorded", durable=None, stream=stream,
                                  config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.NONE))
    ids: list[str] = []
    while True:
        try:
            batch = await sub.fetch(200, timeout=2)
        except TimeoutError:
            return ids
        ids += [json.loads(m.data)["id"] for m in batch]


async def test_two_instances_share_the_outbox_and_the_durable_consumers(
        service_runner: Any, database_factory: Any, namespaces: Any, js: Any) -> None:
    ns = await namespaces()
    url = database_factory("postgres", "indicateurs")
    contract = validation.load_file(DEFAULT_CONTRACT)
    expected = sum(len({i.label for i in e.indicators}) for e in contract.engagements)
    async with service_runner("engagements", event_namespace=ns) as eng, \
            service_runner("participation", event_namespace=ns) as part, \
            service_runner("indicateurs", database_url=url, event_namespace=ns) as a, \
            service_runner("indicateurs", database_url=url, event_namespace=ns) as b:
        await loader.load(contract, participation=part.client, engagements=eng.client, headers=auth(ADMIN))

        async def definitions() -> list[dict[str, Any]]:
            return (await a.client.get("/api/v1/definitions", headers=auth(ADMIN))).json()

        async def defined() -> bool:
            return len(await definitions()) >= expected

        await wait_for(defined, timeout=120)
        # The two consumers of each durable got the engagements' events between them, each applied once.
        assert len(await definitions()) == expected
        annual = [d for d in await definitions() if "ville-nantes" in d["responsible"] and not d["by_qpv"]
                  and d["periodicity"] == "annuelle"][:2]
        slots = [(d["id"], str(year)) for d in annual for year in range(2001, 2001 + WRITES // 2)]
        for i, (indicator_id, period) in enumerate(slots):
            instance = (a, b)[i % 2]
            r = await instance.client.post("/api/v1/submissions", headers=auth(NANTES),
                                           json={"indicator_id": indicator_id, "period": period, "value": 2.0})
            assert r.status_code == 201, r.text

        async def drained() -> bool:
            return await a.runtime.relay.backlog() == 0

        await wait_for(drained, timeout=120)
        ids = await _recorded_ids(js, ns)
        assert len(ids) == len(set(ids)) == WRITES  # two relays, each event once


async def test_two_gateways_share_sessions(stack: Any, database_factory: Any, tmp_path: Path) -> None:
    """Logged in through one gateway, a person goes on through the other (behind a load balancer)."""
    url = database_factory("postgres", "gateway")
    apps = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        apps.append(create_app(gateway_settings(tmp_path / name, database_url=url), transports=transports_for(stack)))
    async with apps[0].router.lifespan_context(apps[0]), apps[1].router.lifespan_context(apps[1]):
        first = Gateway(apps[0], apps[0].state.settings)
        who = await first.account("ville-nantes", "referent")
        async with first.client() as on_a:
            await first.logged_in(on_a, who)
            cookies = on_a.cookies
        transport = httpx.ASGITransport(app=apps[1])
        async with httpx.AsyncClient(transport=transport, base_url="https://gateway") as stranger:
            assert (await stranger.get("/mes-engagements")).status_code == 303  # no session: to the login page
        async with httpx.AsyncClient(transport=transport, base_url="https://gateway", cookies=cookies) as on_b:
            page = await on_b.get("/mes-engagements")
            assert page.status_code == 200 and who.account.name in page.text
