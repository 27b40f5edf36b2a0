"""The fault suite: a burst of writes of every kind (indicator submissions, engagement updates, agenda
publications) against the four services running as real processes on the suite's own PostgreSQL and NATS, while
in turn each service is killed with SIGKILL and restarted, the NATS server is killed and restarted, PostgreSQL is
restarted as after a crash, and the SMTP server refuses connections for a while. After recovery it counts what
happened and prints one table; `lost` and `applied twice` must be 0.

`make faults` runs it at full size (`python -m tests.faults`); `tests/faults/test_faults.py` runs a bounded form
in `make test`."""

from __future__ import annotations

import asyncio
import json
import os
import random
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

import httpx
import nats
import psycopg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from gateway.contract import loader, validation
from kernel.events import stream_name
from tests.conftest import ADMIN, DEFAULT_CONTRACT, SECRET, auth, identity, paris_today, readdress
from tests.faults.servers import SERVICES, Nats, Postgres, Services, Smtp

NANTES = identity("ville-nantes", "referent", name="Camille Nantes")
SECRETARIAT = identity("nantes-metropole", "secretariat", name="Sacha Secrétariat")
MEMBERS = 3  # seated in the COPIL: each agenda published is mailed to each of them
KINDS = {  # a write kind -> (its share of the burst, its service, the event its change publishes, its changes)
    # (the platform's own computed values are submissions too, recorded by another path: not the burst's)
    "submission": (0.5, "indicateurs-internal", "cdv.indicateurs-internal.submission.recorded",
                   "SELECT count(*) FROM submission WHERE organisation_id = 'ville-nantes'"),
    "engagement update": (0.3, "engagements", "cdv.engagements.engagement.progress_updated_v2",
                          "SELECT count(*) FROM progress_change"),
    "agenda publication": (0.2, "participation", "cdv.participation.meeting.agenda_published",
                           "SELECT count(*) FROM agenda_version"),
}


@dataclass
class Report:
    writes: Counter[str] = field(default_factory=Counter)  # "<kind>: accepted|refused|error"
    refusals: Counter[str] = field(default_factory=Counter)  # what the refused writes were told
    faults: list[str] = field(default_factory=list)
    committed: dict[str, int] = field(default_factory=dict)
    events: dict[str, tuple[int, int]] = field(default_factory=dict)  # type -> (messages, distinct ids)
    stream_messages: dict[str, int] = field(default_factory=dict)
    effects: dict[str, int] = field(default_factory=dict)
    outboxes_left: dict[str, int] = field(default_factory=dict)
    dead_letters: int = 0
    mails: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def lost(self) -> int:
        return sum(max(0, self.committed[k] - self.events[KINDS[k][2]][1]) for k in KINDS) + sum(
            max(0, self.events[t][1] - n) for t, n in self.effects.items() if t in self.events)

    @property
    def applied_twice(self) -> int:
        return sum(max(0, n - self.events[t][1]) for t, n in self.effects.items() if t in self.events) + max(
            0, self.mails["sent"] - self.mails["expected"])

    def table(self) -> str:
        rows = [("Writes", "")]
        for kind in KINDS:
            rows.append((f"  {kind}", ", ".join(f"{self.writes[f'{kind}: {o}']} {o}"
                                                 for o in ("accepted", "refused", "error"))))
        rows += [(f"    {n} × {reason}", "") for reason, n in self.refusals.most_common(5)]
        rows.append(("Faults injected", "; ".join(self.faults)))
        rows.append(("Changes committed → events (messages / distinct)", ""))
        for kind, (_share, _service, type_, _table) in KINDS.items():
            messages, distinct = self.events[type_]
            rows.append((f"  {kind}", f"{self.committed[kind]} → {messages} / {distinct}"))
        rows.append(("Events per stream", ", ".join(f"{s} {n}" for s, n in self.stream_messages.items())))
        rows.append(("Duplicate events in the streams", str(sum(m - d for m, d in self.events.values()))))
        rows.append(("Effects applied (notifications' feed)",
                     ", ".join(f"{t.split('.')[-1]} {n}" for t, n in self.effects.items())))
        rows.append(("E-mails expected / sent / received",
                     f"{self.mails['expected']} / {self.mails['sent']} / {self.mails['received']}"))
        rows.append(("Outboxes left", ", ".join(f"{s} {n}" for s, n in self.outboxes_left.items())))
        rows.append(("Dead letters", str(self.dead_letters)))
        rows.append(("Lost", str(self.lost)))
        rows.append(("Applied twice", str(self.applied_twice)))
        rows.append(("Duration", f"{self.seconds:.0f} s"))
        width = max(len(a) for a, _ in rows)
        return "\n".join(f"{a.ljust(width)}  {b}" for a, b in rows)


class Platform:
    """The servers and services of one run, and a client for each service."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="cdv-faults-"))
        self.namespace = f"flt{uuid.uuid4().hex[:8]}"
        self.pg, self.nats, self.smtp = Postgres(), Nats(), Smtp()
        self.urls: dict[str, str] = {}
        self.services: Services | None = None

    def start(self) -> None:
        self.pg.start()
        self.nats.start()
        self.smtp.start()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CDV_")}
        env |= {"CDV_ENVIRONMENT": "development", "CDV_NATS_URL": self.nats.url, "CDV_EVENT_NAMESPACE": self.namespace,
                "CDV_IDENTITY_SECRET": SECRET, "CDV_VAR_DIR": str(self.dir), "CDV_LOG_LEVEL": "WARNING",
                "CDV_RELAY_POLL_SECONDS": "0.5", "CDV_OTEL_EXPORTER": "none",
                "CDV_NOTIFICATIONS_SMTP_PORT": str(self.smtp.port),
                # Quick retries: the SMTP outage is seconds long, and the run waits for every e-mail to be out.
                "CDV_NOTIFICATIONS_DELIVERY_POLL_SECONDS": "0.5", "CDV_NOTIFICATIONS_DELIVERY_BACKOFF_SECONDS": "1",
                "CDV_NOTIFICATIONS_DELIVERY_BACKOFF_MAX_SECONDS": "3", "CDV_NOTIFICATIONS_DELIVERY_MAX_ATTEMPTS": "50"}
        for name in SERVICES:
            self.urls[name] = self.pg.database(f"{self.namespace}_{name}")
            env[f"CDV_{name.upper()}_DATABASE_URL"] = self.urls[name]
        self.services = Services(env, self.dir)
        for name in SERVICES:
            self.services.start(name)

    def stop(self) -> None:
        if self.services is not None:
            self.services.stop()
        self.smtp.stop()
        self.nats.stop()
        self.pg.stop()

    def client(self, name: str) -> httpx.AsyncClient:
        assert self.services is not None
        # Each token is addressed to the service it is sent to, as the gateway does.
        return httpx.AsyncClient(base_url=self.services.url(name), timeout=30,
                                 event_hooks={"request": [readdress(name)]})

    def sql(self, service: str, query: str) -> int:
        url = self.urls[service].replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url) as conn:
            return int(conn.execute(query).fetchone()[0])  # type: ignore[index]


async def _call(client: httpx.AsyncClient, method: str, path: str, who: Any, body: Any = None,
                patience: float = 120) -> httpx.Response:
    """A request that waits out a service (or its database) being down: connection errors and 503 are tried
    again; any other answer is returned."""
    deadline = time.monotonic() + patience
    while True:
        try:
            response = await client.request(method, path, headers=auth(who), json=body)
            if response.status_code != 503:
                return response
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{method} {path}: no answer for {patience} s")
        await asyncio.sleep(0.3)


class Load:
    """The writes of the burst, and what each was answered."""

    def __init__(self, platform: Platform, report: Report, clients: dict[str, httpx.AsyncClient]) -> None:
        self.platform, self.report, self.clients = platform, report, clients
        self.slots: list[tuple[int, str]] = []
        self.parts: list[int] = []

    async def prepare(self) -> None:
        contract = validation.load_file(DEFAULT_CONTRACT)
        await loader.load(contract, participation=self.clients["participation"],
                          engagements=self.clients["engagements"], headers=auth(ADMIN))
        deadline = time.monotonic() + 120
        while True:
            found = (await _call(self.clients["indicateurs"], "GET", "/api/v1/definitions", ADMIN)).json()
            annual = [d["id"] for d in found if "ville-nantes" in d["responsible"] and not d["by_qpv"]
                      and d["periodicity"] == "annuelle"]
            if len(annual) >= 10 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        self.slots = [(i, str(year)) for year in range(2000, 2101) for i in annual]
        random.shuffle(self.slots)
        engagements = (await _call(self.clients["engagements"], "GET", "/api/v1/engagements", NANTES)).json()
        self.parts = [e["number"] for e in engagements if "ville-nantes" in e.get("pilots", [])][:20]
        for n in range(MEMBERS):
            member = {"person": {"name": f"Membre {n}", "email": f"membre{n}@faults.example"},
                      "organisation_id": "nantes-metropole", "seat": "titulaire",
                      "starts_on": str(paris_today() - timedelta(days=30))}
            response = await _call(self.clients["participation"], "POST", "/api/v1/bodies/copil/members",
                                   SECRETARIAT, member)
            assert response.status_code == 201, response.text

    def _outcome(self, kind: str, response: httpx.Response) -> None:
        if response.status_code < 300:
            self.report.writes[f"{kind}: accepted"] += 1
        elif response.status_code < 500 and response.headers.get("content-type", "").startswith("application/json"):
            self.report.writes[f"{kind}: refused"] += 1  # a refusal: a structured JSON body with a French message
            body = response.json()
            self.report.refusals[f"{response.status_code} {body.get('message', body)!s:.80}"] += 1
        else:
            self.report.writes[f"{kind}: error"] += 1
            self.report.refusals[f"{response.status_code} {response.text:.80}"] += 1

    async def submission(self, i: int) -> None:
        indicator_id, period = self.slots[i % len(self.slots)]
        self._outcome("submission", await _call(self.clients["indicateurs"], "POST", "/api/v1/submissions", NANTES,
                                                {"indicator_id": indicator_id, "period": period, "value": float(i)}))

    async def engagement_update(self, i: int) -> None:
        number = self.parts[i % len(self.parts)]
        client = self.clients["engagements"]
        detail = (await _call(client, "GET", f"/api/v1/engagements/{number}", NANTES)).json()
        version = next(p for p in detail["parts"] if p["organisation_id"] == "ville-nantes")["version"]
        self._outcome("engagement update", await _call(
            client, "PATCH", f"/api/v1/engagements/{number}/parts/ville-nantes", NANTES,
            {"version": version, "status": "en_cours", "progress": i % 101, "comment": f"Point n° {i}"}))

    async def agenda_publication(self, i: int) -> None:
        client = self.clients["participation"]
        starts = datetime.combine(paris_today() + timedelta(days=40 + i % 300), clock(9, 30)).isoformat()
        created = await _call(client, "POST", "/api/v1/meetings", SECRETARIAT,
                              {"body_id": "copil", "title": f"COPIL n° {i}", "starts_at": starts, "place": "Nantes"})
        if created.status_code >= 300:
            return self._outcome("agenda publication", created)
        meeting = created.json()["id"]
        rev = (await _call(client, "GET", f"/api/v1/meetings/{meeting}", SECRETARIAT)).json()["meeting"]["draft_rev"]
        item = await _call(client, "POST", f"/api/v1/meetings/{meeting}/items", SECRETARIAT,
                           {"title": f"Point {i}", "draft_rev": rev})
        if item.status_code >= 300:
            return self._outcome("agenda publication", item)
        rev = (await _call(client, "GET", f"/api/v1/meetings/{meeting}", SECRETARIAT)).json()["meeting"]["draft_rev"]
        self._outcome("agenda publication", await _call(client, "POST", f"/api/v1/meetings/{meeting}/publish",
                                                        SECRETARIAT, {"draft_rev": rev, "late_reason": None}))

    async def burst(self, writes: int, workers: int = 8) -> None:
        plan = [kind for kind, (share, *_rest) in KINDS.items() for _ in range(round(writes * share))]
        random.shuffle(plan)
        queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
        for i, kind in enumerate(plan):
            queue.put_nowait((i, kind))
        act: dict[str, Callable[[int], Any]] = {"submission": self.submission,
                                                "engagement update": self.engagement_update,
                                                "agenda publication": self.agenda_publication}

        async def worker() -> None:
            while not queue.empty():
                i, kind = queue.get_nowait()
                await act[kind](i)

        await asyncio.gather(*(worker() for _ in range(workers)))


async def _faults(platform: Platform, report: Report, pause: float) -> None:
    """Each fault in turn, during the burst."""
    assert platform.services is not None
    loop = asyncio.get_running_loop()
    for name in SERVICES:
        await asyncio.sleep(pause)
        platform.services.kill(name)
        report.faults.append(f"SIGKILL {name}")
        await asyncio.sleep(1)
        await loop.run_in_executor(None, platform.services.start, name)
    await asyncio.sleep(pause)
    platform.nats.kill()
    report.faults.append("SIGKILL nats-server")
    await asyncio.sleep(2)
    await loop.run_in_executor(None, platform.nats.start)
    await asyncio.sleep(pause)
    await loop.run_in_executor(None, platform.pg.restart)
    report.faults.append("PostgreSQL restarted (immediate)")
    await asyncio.sleep(pause)
    platform.smtp.stop()
    report.faults.append("SMTP refusing for 5 s")
    await asyncio.sleep(5)
    platform.smtp.start()


async def _settled(platform: Platform, js: Any, timeout: float) -> None:
    """Waits until every outbox is empty, every consumer has caught up and every e-mail is out."""
    deadline = time.monotonic() + timeout
    while True:
        outboxes = sum(platform.sql(s, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") for s in SERVICES)
        mails = platform.sql("notifications", "SELECT count(*) FROM delivery WHERE state NOT IN ('sent', 'failed')")
        pending = 0
        for service in (*SERVICES, *(f"{s}-internal" for s in SERVICES)):
            try:
                for info in await js.consumers_info(stream_name(platform.namespace, service)):
                    pending += info.num_pending + info.num_ack_pending
            except nats.js.errors.NotFoundError:
                pass
        if outboxes == mails == pending == 0:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"not settled: outboxes {outboxes}, e-mails {mails}, consumer messages {pending}")
        await asyncio.sleep(1)


async def _read(js: Any, stream: str, subject: str) -> tuple[int, int]:
    """(messages, distinct CloudEvent ids) of a subject in a stream, read from the start."""
    sub = await js.pull_subscribe(subject, durable=None, stream=stream,
                                  config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.NONE))
    ids: list[str] = []
    while True:
        try:
            batch = await sub.fetch(500, timeout=2)
        except TimeoutError:
            break
        ids += [json.loads(m.data)["id"] for m in batch]
    await sub.unsubscribe()
    return len(ids), len(set(ids))


async def _count(platform: Platform, js: Any, report: Report) -> None:
    ns = platform.namespace
    for kind, (_share, stream, type_, changes) in KINDS.items():
        report.committed[kind] = platform.sql(stream.removesuffix("-internal"), changes)
        report.events[type_] = await _read(js, stream_name(ns, stream), type_.replace("cdv.", f"{ns}.", 1))
    for service in SERVICES:
        report.stream_messages[service] = (await js.stream_info(stream_name(ns, service))).state.messages
        report.outboxes_left[service] = platform.sql(service, "SELECT count(*) FROM outbox WHERE sent_at IS NULL")
    for type_ in (KINDS["engagement update"][2],):  # the feed follows the public streams
        report.effects[type_] = platform.sql("notifications", "SELECT count(*) FROM activity WHERE event_type = "
                                                              f"'{type_}'")
    try:
        report.dead_letters = (await js.stream_info(stream_name(ns, "dlq"))).state.messages
    except nats.js.errors.NotFoundError:
        report.dead_letters = 0
    report.mails = {"expected": report.committed["agenda publication"] * MEMBERS,
                    "sent": platform.sql("notifications", "SELECT count(*) FROM delivery WHERE state = 'sent' "
                                                          "AND template = 'agenda'"),
                    "received": len(platform.smtp.received)}


async def run(writes: int, *, pause: float = 3.0, say: Callable[[str], None] = print) -> Report:
    """Starts everything, bursts `writes` writes through the faults, waits for recovery, counts."""
    report = Report()
    started = time.monotonic()
    platform = Platform()
    try:
        await asyncio.get_running_loop().run_in_executor(None, platform.start)
        say(f"platform up (namespace {platform.namespace}, logs in {platform.dir})")
        clients = {name: platform.client(name) for name in SERVICES}
        load = Load(platform, report, clients)
        await load.prepare()
        say(f"burst of {writes} writes with faults…")
        await asyncio.gather(load.burst(writes), _faults(platform, report, pause))
        nc = await nats.connect(platform.nats.url)
        js = nc.jetstream(timeout=10)
        await _settled(platform, js, timeout=300)
        await _count(platform, js, report)
        await nc.close()
        for client in clients.values():
            await client.aclose()
    finally:
        report.seconds = time.monotonic() - started
        platform.stop()
    return report
