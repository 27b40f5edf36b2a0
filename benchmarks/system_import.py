"""The 10,000-row import of `system.py`, through the running indicateurs service (a real process, over HTTP).

As `csv_import.py` does in-process: the secretariat breaks 20 of the Ville de Nantes' indicators down by quarter
and QPV, then a referent of the Ville de Nantes sends one CSV file of new values (`POST /api/v1/imports`).
Measured: the request's time, and how long after its answer every `submission.recorded` event of the file was in
indicateurs' internal stream (the outbox relay's publication).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import nats

from benchmarks.csv_import import BROKEN_DOWN, ORGANISATION, _csv
from kernel.events import stream_name
from kernel.identity import HEADER, Identity, sign_identity


def _as(secret: str, org: str | None, role: str) -> dict[str, str]:
    who = Identity(user_id=uuid.uuid4().hex, email="banc@cdv-demo.test", name=f"Banc d'essai {org or ''}".strip(),
                   organisation_id=org, roles=[role])  # type: ignore[list-item]
    return {HEADER: sign_identity(who, secret, "indicateurs")}


async def _stream_messages(nats_url: str, stream: str) -> int:
    nc = await nats.connect(nats_url.split(","), connect_timeout=3)
    try:
        return (await nc.jetstream(timeout=10).stream_info(stream)).state.messages
    finally:
        await nc.close()


def run(env: dict[str, str], var: Path, nats_url: str, namespace: str, rows: int) -> dict[str, Any]:
    secret = (var / "identity-secret").read_text().strip()
    base = f"http://127.0.0.1:{env['CDV_INDICATEURS_PORT']}/api/v1"
    stream = stream_name(namespace, "indicateurs-internal")
    with httpx.Client(base_url=base, timeout=600) as client:
        admin = _as(secret, None, "admin")
        definitions = [d for d in client.get("/definitions", headers=admin).raise_for_status().json()
                       if ORGANISATION in d["responsible"]][:BROKEN_DOWN]
        for d in definitions:
            client.patch(f"/definitions/{d['id']}", headers=_as(secret, "nantes-metropole", "secretariat"),
                         json={"version": d["version"], "periodicity": "trimestrielle", "by_qpv": True}
                         ).raise_for_status()
        qpv = [q["id"] for q in client.get("/qpv", headers=admin).raise_for_status().json()]
        slots: list[tuple[int, str, str]] = []
        year = 2001
        while len(slots) < rows:
            slots += [(d["id"], f"{year}-T{t}", q) for d in definitions for t in range(1, 5) for q in qpv]
            year += 1
        content = _csv([(i, p, q, float(n % 997)) for n, (i, p, q) in enumerate(slots[:rows])])
        time.sleep(2)  # the definitions' own events out first
        before = asyncio.run(_stream_messages(nats_url, stream))
        start = time.perf_counter()
        r = client.post("/imports", headers={**_as(secret, ORGANISATION, "referent"), "Content-Type": "text/csv"},
                        content=content)
        seconds = time.perf_counter() - start
    if r.status_code != 201:
        return {"rows": rows, "error": f"HTTP {r.status_code}: {r.text[:300]}"}
    report = r.json()
    published = None
    deadline = time.perf_counter() + 600
    while time.perf_counter() < deadline:
        if asyncio.run(_stream_messages(nats_url, stream)) - before >= report["recorded"]:
            published = round(time.perf_counter() - start - seconds, 2)
            break
        time.sleep(0.25)
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_second": round(rows / seconds),
            "recorded": report["recorded"], "events_published_after_seconds": published}
