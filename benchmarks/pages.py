"""Weight and request time of the referents' busiest pages, through the gateway onto the real services.

Set-up, as in production: engagements, participation and indicateurs on SQLite and a real NATS server, the default
contract loaded, the gateway in-process (ASGI, no network) with a referent of the Ville de Nantes (the biggest
pilot: 38 engagements) and a person of the secretariat. Measured:

1. the weight of each page as sent (uncompressed, and gzip-compressed as browsers receive it);
2. its request time, one request at a time (median and 95th percentile over `REQUESTS` requests), then with
   `CONCURRENT` requests at once (how it holds under load).

Pages: Mes engagements (the referent's list, target under 150 KB), a card's form opened on demand, the overview
(Vue d'ensemble) and the secretariat's validation queue (with `QUEUED` values waiting).
"""

from __future__ import annotations

import asyncio
import gzip
import statistics
import tempfile
import time
import uuid
from contextlib import AsyncExitStack
from typing import Any

import httpx

from benchmarks.csv_import import CONTRACT, _headers, _service, _wait
from gateway import accounts
from gateway.app import create_app
from gateway.contract import loader, validation
from gateway.settings import Settings
from tests import components

TITLE = "Pages des référents et du secrétariat : poids et temps de réponse (passerelle)"
REQUESTS = 40
CONCURRENT = 10
QUEUED = 100
PASSWORD = "banc-d-essai-mot-de-passe"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


async def _measure(client: httpx.AsyncClient, label: str, url: str, headers: dict[str, str] | None = None) -> None:
    first = await client.get(url, headers={"Accept-Encoding": "identity", **(headers or {})})
    if first.status_code != 200:
        raise RuntimeError(f"{url} answered {first.status_code}: {first.text[:300]}")
    size, packed = len(first.content), len(gzip.compress(first.content))
    times = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        (await client.get(url, headers=headers)).raise_for_status()
        times.append(time.perf_counter() - start)

    async def one() -> float:
        start = time.perf_counter()
        (await client.get(url, headers=headers)).raise_for_status()
        return time.perf_counter() - start

    start = time.perf_counter()
    loaded = await asyncio.gather(*(one() for _ in range(CONCURRENT)))
    wall = time.perf_counter() - start
    p95 = statistics.quantiles(times, n=20)[-1]
    print(f"  {label:<38} {size / 1000:7.1f} ko ({packed / 1000:5.1f} ko gzip)  médiane {_ms(statistics.median(times))}"
          f"  p95 {_ms(p95)}  {CONCURRENT} à la fois : max {_ms(max(loaded))}, {wall:.2f} s en tout")


async def main(**_options: Any) -> None:
    nats_url, nats_handle = components.nats_url()
    secret = "bench-" + uuid.uuid4().hex
    namespace = f"bench{uuid.uuid4().hex[:8]}"
    contract = validation.load_file(CONTRACT)
    try:
        with tempfile.TemporaryDirectory(prefix="cdv-bench-") as tmp:
            common = {"environment": "development", "nats_url": nats_url, "event_namespace": namespace,
                      "identity_secret": secret, "log_level": "WARNING", "log_json": False, "relay_poll_seconds": 0.2}
            async with AsyncExitStack() as stack:
                services = {}
                for name in ("engagements", "participation", "indicateurs"):
                    app, client = await stack.enter_async_context(
                        _service(name, database_url=f"sqlite+aiosqlite:///{tmp}/{name}.db", **common))
                    services[name] = (app, client)
                admin = _headers(secret, None, "admin")
                await loader.load(contract, participation=services["participation"][1],
                                  engagements=services["engagements"][1], headers=admin)
                ind = services["indicateurs"][1]
                expected = sum(len({i.label for i in e.indicators}) for e in contract.engagements)

                async def ready() -> bool:
                    return len((await ind.get("/api/v1/definitions", headers=admin)).json()) == expected

                await _wait(ready)
                await _queue(ind, secret)
                settings = Settings(environment="development", var_dir=tmp, identity_secret=secret,
                                    database_url=f"sqlite+aiosqlite:///{tmp}/gateway.db", log_level="WARNING",
                                    log_json=False)
                transports = {name: httpx.ASGITransport(app=app) for name, (app, _) in services.items()}
                gateway = create_app(settings, transports=transports)
                async with gateway.router.lifespan_context(gateway):
                    async with gateway.state.db.session() as session:
                        for email, roles, org in (("referente@bench.test", ["referent"], "ville-nantes"),
                                                  ("secretariat@bench.test", ["secretariat"], "nantes-metropole")):
                            await accounts.create_account(session, email=email, name="Banc d'essai",
                                                          password=PASSWORD, roles=roles, organisation_id=org,
                                                          organisation_name=org)
                    await _pages(gateway)
    finally:
        await components.drop_streams(nats_url, namespace)
        if nats_handle is not None:
            nats_handle.stop()  # type: ignore[attr-defined]


async def _queue(ind: httpx.AsyncClient, secret: str) -> None:
    """`QUEUED` values of the Ville de Nantes waiting for the secretariat (an import of one file)."""
    referent = _headers(secret, "ville-nantes", "referent")
    mine = [d for d in (await ind.get("/api/v1/definitions", headers=referent)).json()
            if "ville-nantes" in d["responsible"] and not d["by_qpv"]]
    lines = ["indicateur;periode;qpv;valeur"]
    year = 2030
    while len(lines) <= QUEUED:
        lines += [f"{d['id']};{year};;{(len(lines) * 7) % 300}" for d in mine][:QUEUED + 1 - len(lines)]
        year += 1
    r = await ind.post("/api/v1/imports", headers={**referent, "Content-Type": "text/csv"},
                       content="\n".join(lines).encode())
    r.raise_for_status()


async def _pages(gateway: Any) -> None:
    transport = httpx.ASGITransport(app=gateway)
    for email, pages in (("referente@bench.test", [("Mes engagements (Ville de Nantes)", "/mes-engagements", None),
                                                   ("Une fiche ouverte (htmx)", "/mes-engagements/1/modifier",
                                                    {"HX-Request": "true"})]),
                         ("secretariat@bench.test", [("Vue d'ensemble (50 engagements)", "/vue-d-ensemble", None),
                                                     (f"File de validation ({QUEUED} valeurs)",
                                                      "/indicateurs/validation", None)])):
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=120) as client:
            page = await client.get("/connexion")
            token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            r = await client.post("/connexion", data={"email": email, "password": PASSWORD, "csrf_token": token})
            if r.status_code != 303:
                raise RuntimeError(f"login refused ({r.status_code})")
            for label, url, headers in pages:
                await _measure(client, label, url, headers)
