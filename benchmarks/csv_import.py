"""Times `POST /api/v1/imports` of the indicateurs service with a valid 10,000-line CSV file.

Set-up, as in production: engagements and participation publish the default contract on a real NATS server,
indicateurs builds its definitions, QPV and organisations from their events; the secretariat then breaks 20 of
Nantes' indicators down by quarter and QPV so that a referent of the Ville de Nantes owes enough distinct values.
Measured through the service's HTTP API (in-process ASGI, no network), on SQLite and on PostgreSQL when one
answers:

1. a file of new values (every line a first version, one `submission.recorded` event each, plus the summary);
2. the same file again (every line identical to the value in place: nothing recorded);
3. the file with every value changed (every line a correction: a new version and a `submission.corrected`).

Also reported: how long after the first import's response the outbox relay had published its events on NATS.
"""

from __future__ import annotations

import asyncio
import importlib
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
from itsdangerous import URLSafeTimedSerializer

from gateway.contract import loader, validation
from kernel.identity import HEADER, Identity, sign_identity
from tests import components

TITLE = "Import CSV de valeurs d'indicateurs (POST /api/v1/imports, service indicateurs)"
DEFAULT_ROWS = 10_000
ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "contracts" / "nantes-metropole-2019.yaml"
ORGANISATION = "ville-nantes"
BROKEN_DOWN = 20  # indicators refined to quarterly values per QPV


def _headers(secret: str, org: str | None, *roles: str) -> dict[str, str]:
    who = Identity(user_id=uuid.uuid4().hex, email="bench@example.org", name=f"Banc d'essai {org or ''}".strip(),
                   organisation_id=org, roles=list(roles))  # type: ignore[arg-type]
    return {HEADER: sign_identity(who, secret, "")}


def _readdress(secret: str, audience: str) -> Any:
    """A request hook: each token is signed again for the service this client calls (as the gateway signs)."""

    async def hook(request: httpx.Request) -> None:
        token = request.headers.get(HEADER)
        if token:
            data = URLSafeTimedSerializer(secret, salt="cdv-identity").loads(token)
            request.headers[HEADER] = sign_identity(Identity.model_validate(data), secret, audience)

    return hook


@asynccontextmanager
async def _service(name: str, **values: Any) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    settings = importlib.import_module(f"services.{name}.settings").Settings(**values)
    app = importlib.import_module(f"services.{name}.app").create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{name}", timeout=600,
                                     event_hooks={"request": [_readdress(settings.identity_secret, name)]}) as client:
            yield app, client


async def _wait(predicate, timeout: float = 120.0) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    while not await predicate():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.05)
    return time.perf_counter() - start


def _csv(rows: list[tuple[int, str, str, float]]) -> bytes:
    lines = ["indicateur;periode;qpv;valeur;qualification;commentaire;source"]
    lines += [f"{i};{p};{q};{v};provisoire;;banc d'essai" for i, p, q, v in rows]
    return ("\n".join(lines) + "\n").encode()


def _print(backend: str, label: str, rows: int, seconds: float, extra: str = "") -> None:
    rate = rows / seconds if seconds else float("inf")
    print(f"  {backend:<9} {label:<34} {rows:>7} lignes  {seconds:7.2f} s  {rate:>9,.0f} lignes/s{extra}"
          .replace(",", " "))


async def run(backend: str, *, rows: int, nats_url: str, database_url: str) -> None:
    secret = "bench-" + uuid.uuid4().hex
    namespace = f"bench{uuid.uuid4().hex[:8]}"
    contract = validation.load_file(CONTRACT)
    with tempfile.TemporaryDirectory(prefix="cdv-bench-") as tmp:
        common = {"environment": "development", "nats_url": nats_url, "event_namespace": namespace,
                  "identity_secret": secret, "log_level": "WARNING", "log_json": False, "relay_poll_seconds": 0.2}
        async with AsyncExitStack() as stack:
            _, eng = await stack.enter_async_context(
                _service("engagements", database_url=f"sqlite+aiosqlite:///{tmp}/engagements.db", **common))
            _, part = await stack.enter_async_context(
                _service("participation", database_url=f"sqlite+aiosqlite:///{tmp}/participation.db", **common))
            app, ind = await stack.enter_async_context(
                _service("indicateurs", database_url=database_url, **common))
            admin = _headers(secret, None, "admin")
            await loader.load(contract, participation=part, engagements=eng, headers=admin)
            expected = sum(len({i.label for i in e.indicators}) for e in contract.engagements)

            async def ready() -> bool:
                found = (await ind.get("/api/v1/definitions", headers=admin)).json()
                qpv = (await ind.get("/api/v1/qpv", headers=admin)).json()
                return len(found) == expected and len(qpv) == len(contract.qpv)

            await _wait(ready)
            secretariat = _headers(secret, "nantes-metropole", "secretariat")
            definitions = [d for d in (await ind.get("/api/v1/definitions", headers=admin)).json()
                           if ORGANISATION in d["responsible"]][:BROKEN_DOWN]
            for d in definitions:
                r = await ind.patch(f"/api/v1/definitions/{d['id']}", headers=secretariat,
                                    json={"version": d["version"], "periodicity": "trimestrielle", "by_qpv": True})
                r.raise_for_status()
            qpv = [q["id"] for q in (await ind.get("/api/v1/qpv", headers=admin)).json()]
            slots: list[tuple[int, str, str]] = []
            year = 2001
            while len(slots) < rows:
                slots += [(d["id"], f"{year}-T{t}", q) for d in definitions for t in range(1, 5) for q in qpv]
                year += 1
            slots = slots[:rows]
            first = _csv([(i, p, q, float(n % 997)) for n, (i, p, q) in enumerate(slots)])
            changed = _csv([(i, p, q, float(n % 997) + 0.5) for n, (i, p, q) in enumerate(slots)])
            referent = _headers(secret, ORGANISATION, "referent")
            relay = app.state.runtime.relay

            async def timed(content: bytes, expect: tuple[int, int, int]) -> float:
                start = time.perf_counter()
                r = await ind.post("/api/v1/imports", headers={**referent, "Content-Type": "text/csv"},
                                   content=content)
                seconds = time.perf_counter() - start
                if r.status_code != 201:
                    raise RuntimeError(f"import refused ({r.status_code}): {r.text[:500]}")
                report = r.json()
                got = (report["recorded"], report["corrected"], report["unchanged"])
                if got != expect:
                    raise RuntimeError(f"unexpected import report {got}, wanted {expect}")
                return seconds

            async def drained() -> bool:
                return await relay.backlog() == 0

            await _wait(drained)
            seconds = await timed(first, (rows, 0, 0))
            published = await _wait(drained, timeout=600)
            _print(backend, "nouvelles valeurs", rows, seconds,
                   f"  (+{published:.2f} s pour publier {rows + 1} événements sur NATS)")
            _print(backend, "même fichier (rien à enregistrer)", rows, await timed(first, (0, 0, rows)))
            await _wait(drained, timeout=600)
            _print(backend, "toutes les valeurs corrigées", rows, await timed(changed, (0, rows, 0)))
            await _wait(drained, timeout=600)
    await components.drop_streams(nats_url, namespace)


async def main(*, rows: int = DEFAULT_ROWS, backend: str = "all", **_options: Any) -> None:
    nats_url, nats_handle = components.nats_url()
    try:
        if backend in ("sqlite", "all"):
            with tempfile.TemporaryDirectory(prefix="cdv-bench-") as tmp:
                await run("SQLite", rows=rows, nats_url=nats_url,
                          database_url=f"sqlite+aiosqlite:///{tmp}/indicateurs.db")
        if backend in ("postgres", "all"):
            admin_url, pg_handle, why = components.postgres_url()
            if admin_url is None:
                print(f"  PostgreSQL non mesuré : {why}")
                return
            plain = admin_url.replace("postgresql+psycopg://", "postgresql://")
            db = f"cdvbench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(plain, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{db}"')
            try:
                await run("PostgreSQL", rows=rows, nats_url=nats_url,
                          database_url=admin_url.rsplit("/", 1)[0] + "/" + db)
            finally:
                with psycopg.connect(plain, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
                if pg_handle is not None:
                    pg_handle.stop()  # type: ignore[attr-defined]
    finally:
        if nats_handle is not None:
            nats_handle.stop()  # type: ignore[attr-defined]
