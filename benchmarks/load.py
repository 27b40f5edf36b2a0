"""The load process of `benchmarks/system.py`: `python -m benchmarks.load SPEC.json RESULT.json`.

Runs as its own OS process and talks to the platform over loopback only (HTTP to the gateway, NATS as an
integrator). Every phase is OPEN-LOOP: request i is fired at t0 + i / rate whatever happened to the earlier ones;
a request the schedule could not fire on time (no free part to write, the process itself behind) is counted.

Phases, in order (each described in SPEC, see `system.py`):
1. writes: referents' (and the secretariat's) part updates through the gateway, as the page's htmx form posts
   them, at each rate; an integrator consumer on the public mirror stream matches every CloudEvent to its POST by
   a unique token in `next_milestone`; latency = POST answered -> event received. Reference: nats-py alone.
2. zero-loss steps: the same writes at rising rates until one loses, fails or falls behind.
3. pages: GET at a fixed rate over many logged-in sessions; reference: a static file.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import re
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from http.cookiejar import Cookie, CookieJar
from typing import Any

import httpx
import nats
from nats.js.api import DeliverPolicy, StreamConfig

from benchmarks.rawhttp import HttpError, RawClient

CSRF_IN_PAGE = re.compile(r'"X-CSRF-Token": "([^"]+)"')
LOGIN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
VERSION_IN_FORM = re.compile(r'name="version" value="(\d+)"')
TICK = os.sysconf("SC_CLK_TCK")


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50/p95/p99 (nearest rank) in milliseconds of values in seconds; None when there is none."""
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def rank(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, max(0, int(q * len(ordered) + 0.999999) - 1))] * 1000, 2)

    return {"p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99), "max": round(ordered[-1] * 1000, 2)}


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """User + system CPU seconds of each process so far (from /proc/<pid>/stat), this process included."""
    found = {"load": time.process_time()}
    for name, pid in pids.items():
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            found[name] = (int(fields[11]) + int(fields[12])) / TICK
        except (OSError, IndexError, ValueError):
            continue
    return found


def cpu_share(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, float]:
    """Percent of one core used by each process between two readings."""
    return {k: round(100 * (after[k] - before[k]) / seconds, 1) for k in after if k in before and seconds > 0}


async def open_loop(rate: float, seconds: float, fire: Any) -> tuple[list[asyncio.Task[Any]], int]:
    """Calls fire(i) at t0 + i / rate (not waiting for earlier calls); returns the tasks and how many calls
    started more than 10 ms after their time (this process behind its own schedule)."""
    count = int(rate * seconds)
    start = time.perf_counter()
    tasks: list[asyncio.Task[Any]] = []
    behind = 0
    for i in range(count):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.010:
            behind += 1
        tasks.append(asyncio.create_task(fire(i, due)))
    return tasks, behind


async def settle(tasks: list[asyncio.Task[Any]], timeout: float) -> int:
    """Waits for the tasks up to `timeout` seconds, cancels the rest; returns how many were cancelled."""
    if not tasks:
        return 0
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=5)
    return len(pending)


def machine_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy so far (every process: PostgreSQL's too), from /proc/stat."""
    try:
        with open("/proc/stat") as handle:
            fields = [int(v) for v in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle and iowait
    return (sum(fields[:8]) - idle) / TICK


async def calm(pids: dict[str, int], limit: float = 60.0) -> float:
    """Waits until the platform's processes and this one together use under 15 % of a core, and the whole
    machine under 30 % (what an earlier phase left queued is done: late answers, the integrator's backlog of
    events, and PostgreSQL's share of them, which no pid of ours shows), at most `limit` seconds; returns the
    seconds waited."""
    start = time.perf_counter()
    # This process's own collector: a full collection went over all it holds (modules, sessions, the earlier
    # phases' records), 60 ms and more, every answer waiting and counted against the platform. What exists now
    # lives until the end: set aside before each phase.
    gc.collect()
    gc.freeze()
    while time.perf_counter() - start < limit:
        before, machine = cpu_seconds(pids), machine_cpu_seconds()
        await asyncio.sleep(0.5)
        after = cpu_seconds(pids)
        if sum(after[k] - before[k] for k in after if k in before) < 0.075 \
                and machine_cpu_seconds() - machine < 0.15:
            break
    return round(time.perf_counter() - start, 1)


# ---------------------------------------------------------------------------------------------- sessions

class NoJar(CookieJar):
    """The shared client keeps no cookie: each request carries its session's cookie itself."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def set_cookie(self, cookie: Cookie) -> None:
        return None


@dataclass
class Session:
    email: str
    cookie: str
    csrf: str


async def login(client: httpx.AsyncClient, email: str, password: str) -> Session:
    """Logs in as the login page does (its double-submit CSRF cookie), then reads the session's CSRF token."""
    page = await client.get("/connexion")
    token = LOGIN_CSRF.search(page.text)
    if token is None:
        raise RuntimeError(f"no CSRF token on /connexion ({page.status_code})")
    login_cookie = "; ".join(f"{k}={v}" for k, v in page.cookies.items())
    r = await client.post("/connexion", data={"email": email, "password": password, "csrf_token": token.group(1)},
                          headers={"Cookie": login_cookie})
    if r.status_code != 303 or "cdv_session" not in r.cookies:
        raise RuntimeError(f"login of {email} refused ({r.status_code})")
    cookie = f"cdv_session={r.cookies['cdv_session']}"
    home = await client.get("/", headers={"Cookie": cookie})
    csrf = CSRF_IN_PAGE.search(home.text)
    if csrf is None:
        raise RuntimeError(f"no session CSRF token for {email}")
    return Session(email, cookie, csrf.group(1))


async def open_sessions(client: httpx.AsyncClient, people: list[dict[str, Any]]) -> dict[str, list[Session]]:
    """`sessions` logins for each person, a few at a time (the gateway hashes each password)."""
    found: dict[str, list[Session]] = {}
    gate = asyncio.Semaphore(4)

    async def one(person: dict[str, Any]) -> None:
        async with gate:
            found.setdefault(person["email"], []).append(await login(client, person["email"], person["password"]))

    await asyncio.gather(*(one(p) for p in people for _ in range(p["sessions"])))
    return found


# ---------------------------------------------------------------------------------------------- writes

@dataclass
class Part:
    number: int
    organisation_id: str
    version: int
    email: str
    fields: dict[str, Any]


@dataclass
class WritePhase:
    rate: float
    seconds: float
    sent: dict[str, float] = field(default_factory=dict)  # token -> POST fired
    accepted: dict[str, float] = field(default_factory=dict)  # token -> POST answered 200
    received: dict[str, float] = field(default_factory=dict)  # token -> event received
    post_times: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    skipped: int = 0  # no free part at the time the schedule fired a write


class Writer:
    """Fires part updates through the gateway and receives their CloudEvents as an integrator would."""

    def __init__(self, spec: dict[str, Any], client: RawClient, sessions: dict[str, list[Session]]) -> None:
        self.spec = spec
        self.client = client
        self.sessions = sessions
        self.turn: dict[str, int] = {}
        self.free: deque[Part] = deque(Part(p["number"], p["organisation_id"], p["version"], p["email"], p["fields"])
                                       for p in spec["parts"])
        self.phase: WritePhase | None = None
        self.run_id = spec["run_id"]

    def session_for(self, email: str) -> Session:
        n = self.turn.get(email, 0)
        self.turn[email] = n + 1
        pool = self.sessions[email]
        return pool[n % len(pool)]

    def on_event(self, data: dict[str, Any]) -> None:
        token = ((data.get("data") or {}).get("after") or {}).get("next_milestone") or ""
        if self.phase is not None and token.startswith(self.run_id) and token not in self.phase.received:
            self.phase.received[token] = time.perf_counter()

    async def write(self, i: int, _due: float) -> None:
        phase = self.phase
        assert phase is not None
        if not self.free:
            phase.skipped += 1
            return
        part = self.free.popleft()
        token = f"{self.run_id} {phase.rate:g}/s n°{i}"
        session = self.session_for(part.email)
        form = {**part.fields, "csrf_token": session.csrf, "version": str(part.version), "vue": "liste",
                "next_milestone": token, "progress": str(i % 101)}
        headers = {"Cookie": session.cookie, "HX-Request": "true", "X-CSRF-Token": session.csrf,
                   "HX-Current-URL": f"{self.spec['gateway']}/mes-engagements"}
        phase.sent[token] = start = time.perf_counter()
        try:
            status, text = await self.client.post_form(
                f"/engagements/{part.number}/parts/{part.organisation_id}", form, headers)
        except (HttpError, asyncio.CancelledError) as exc:
            kind = "sans réponse à temps" if isinstance(exc, asyncio.CancelledError) else type(exc).__name__
            phase.errors[kind] = phase.errors.get(kind, 0) + 1
            self.free.append(part)  # its version is unknown only if the write went through: the next try says
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        end = time.perf_counter()
        if status == 200:
            phase.accepted[token] = end
            phase.post_times.append(end - start)
            part.version += 1
        else:
            phase.errors[f"HTTP {status}"] = phase.errors.get(f"HTTP {status}", 0) + 1
            found = VERSION_IN_FORM.search(text)
            if found:  # a conflict shows the version now stored
                part.version = int(found.group(1))
        self.free.append(part)

    async def run(self, rate: float, seconds: float, pids: dict[str, int], grace: float) -> dict[str, Any]:
        waited = await calm(pids)
        self.phase = phase = WritePhase(rate, seconds)
        cpu0, t0 = cpu_seconds(pids), time.perf_counter()
        tasks, behind = await open_loop(rate, seconds, self.write)
        cancelled = await settle(tasks, grace)
        deadline = time.perf_counter() + grace
        while set(phase.accepted) - set(phase.received) and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - t0
        cpu = cpu_share(cpu0, cpu_seconds(pids), elapsed)
        latencies = [max(0.0, phase.received[t] - at) for t, at in phase.accepted.items() if t in phase.received]
        end_to_end = [phase.received[t] - phase.sent[t] for t in phase.accepted if t in phase.received]
        offered = int(rate * seconds)
        lost = len(set(phase.accepted) - set(phase.received))
        done = len(latencies)
        last = max((phase.received[t] for t in phase.accepted if t in phase.received), default=t0)
        self.phase = None
        return {"rate": rate, "seconds": seconds, "calm_wait_seconds": waited, "offered": offered,
                "sent": len(phase.sent),
                "skipped_no_free_part": phase.skipped, "behind_schedule": behind, "cancelled": cancelled,
                "accepted": len(phase.accepted), "errors": phase.errors, "lost": lost, "done": done,
                "done_per_second": round(done / max(seconds, last - t0), 1),
                "all_done": done == offered and not phase.errors and lost == 0 and cancelled == 0,
                "event_latency_ms": percentiles(latencies), "post_to_event_ms": percentiles(end_to_end),
                "post_ms": percentiles(phase.post_times), "cpu_percent_of_a_core": cpu}


async def integrator(spec: dict[str, Any], writer: Writer) -> Any:
    """An ordered push consumer on the engagements' public mirror stream, from new messages on."""
    nc = await nats.connect(spec["nats_servers"], user=spec.get("nats_user"), password=spec.get("nats_password"),
                            name="bench-integrator")
    js = nc.jetstream()

    async def handle(msg: Any) -> None:
        writer.on_event(json.loads(msg.data))

    ns = spec["namespace"]
    await js.subscribe(f"{ns}.engagements.engagement.progress_updated_v2", stream=spec["public_mirror"],
                       cb=handle, ordered_consumer=True, deliver_policy=DeliverPolicy.NEW)
    return nc


async def nats_reference(spec: dict[str, Any], rate: float, seconds: float) -> dict[str, Any]:
    """Bare nats-py at the same rate: JetStream publish (stream of the same replication) -> ordered consumer."""
    nc = await nats.connect(spec["nats_servers"], name="bench-reference")
    js = nc.jetstream(timeout=10)
    stream = f"{spec['namespace'].upper()}_BENCHREF"
    subject = f"{spec['namespace']}.benchref.{int(rate)}"
    await js.add_stream(StreamConfig(name=stream, subjects=[f"{spec['namespace']}.benchref.>"],
                                     num_replicas=spec["replicas"]))
    sent: dict[int, float] = {}
    received: dict[int, float] = {}

    async def handle(msg: Any) -> None:
        received[int(msg.data)] = time.perf_counter()

    sub = await js.subscribe(subject, stream=stream, cb=handle, ordered_consumer=True,
                             deliver_policy=DeliverPolicy.NEW)
    await asyncio.sleep(0.3)
    errors = 0

    async def publish(i: int, _due: float) -> None:
        nonlocal errors
        sent[i] = time.perf_counter()
        try:
            await js.publish(subject, str(i).encode())
        except Exception:  # noqa: BLE001 - counted
            errors += 1

    tasks, behind = await open_loop(rate, seconds, publish)
    await settle(tasks, 10)
    deadline = time.perf_counter() + 5
    while len(received) < len(sent) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    await sub.unsubscribe()
    await js.delete_stream(stream)
    await nc.close()
    latencies = [received[i] - sent[i] for i in received if i in sent]
    return {"rate": rate, "sent": len(sent), "received": len(received), "errors": errors, "behind_schedule": behind,
            "latency_ms": percentiles(latencies)}


# ---------------------------------------------------------------------------------------------- pages

async def pages(spec: dict[str, Any], client: httpx.AsyncClient, sessions: dict[str, list[Session]],
                pids: dict[str, int]) -> list[dict[str, Any]]:
    rate, seconds = spec["page_rate"], spec["page_seconds"]
    results = []
    for page in spec["pages"]:
        pool = sessions.get(page["who"] or "", [])
        times: list[float] = []
        weights: list[int] = []
        errors: dict[str, int] = {}

        async def get(i: int, _due: float, path: str = page["path"], pool: list[Session] = pool,
                      times: list[float] = times, weights: list[int] = weights,
                      errors: dict[str, int] = errors) -> None:
            headers = {"Accept-Encoding": "identity"}
            if pool:
                headers["Cookie"] = pool[i % len(pool)].cookie
            start = time.perf_counter()
            try:
                r = await client.get(path, headers=headers)
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                return
            if r.status_code != 200:
                errors[f"HTTP {r.status_code}"] = errors.get(f"HTTP {r.status_code}", 0) + 1
                return
            times.append(time.perf_counter() - start)
            weights.append(len(r.content))

        waited = await calm(pids)
        cpu0, t0 = cpu_seconds(pids), time.perf_counter()
        tasks, behind = await open_loop(rate, seconds, get)
        cancelled = await settle(tasks, spec["drain_seconds"])
        elapsed = time.perf_counter() - t0
        if cancelled:
            errors["annulée (trop lente)"] = cancelled
        results.append({"label": page["label"], "path": page["path"], "reference": page.get("reference", False),
                        "rate": rate, "seconds": seconds, "calm_wait_seconds": waited, "offered": int(rate * seconds),
                        "ok": len(times),
                        "sessions": len(pool), "errors": errors, "behind_schedule": behind,
                        "bytes": max(weights, default=0), "latency_ms": percentiles(times),
                        "done_per_second": round(len(times) / elapsed, 1),
                        "cpu_percent_of_a_core": cpu_share(cpu0, cpu_seconds(pids), elapsed)})
        print(f"load: page {page['label']}: {len(times)}/{int(rate * seconds)} ok, "
              f"p95 {results[-1]['latency_ms']['p95']} ms", flush=True)
    return results


# ---------------------------------------------------------------------------------------------- main

async def main(spec: dict[str, Any]) -> dict[str, Any]:
    pids = {k: int(v) for k, v in spec["pids"].items()}
    limits = httpx.Limits(max_connections=spec.get("connections", 256), max_keepalive_connections=256)
    timeout = httpx.Timeout(spec["drain_seconds"] + 60, connect=10)
    result: dict[str, Any] = {"writes": [], "nats_reference": [], "zero_loss": {}, "pages": []}
    cpu_start, t_start = time.process_time(), time.perf_counter()
    async with httpx.AsyncClient(base_url=spec["gateway"], limits=limits, timeout=timeout,
                                 cookies=NoJar()) as client:
        sessions = await open_sessions(client, spec["people"])
        result["sessions"] = {email: len(s) for email, s in sessions.items()}
        print(f"load: {sum(map(len, sessions.values()))} sessions ouvertes", flush=True)
        # The writes through a bare client (`rawhttp`): httpx would take a good part of a core at 200/s.
        raw = RawClient(spec["gateway"], max_connections=spec.get("connections", 256))
        writer = Writer(spec, raw, sessions)
        nc = await integrator(spec, writer)
        try:
            for rate in spec["write_rates"]:
                result["writes"].append(await writer.run(rate, spec["write_seconds"], pids, spec["grace_seconds"]))
                print(f"load: écritures {rate}/s : {result['writes'][-1]['done']} faites", flush=True)
                result["nats_reference"].append(await nats_reference(spec, rate, spec["write_seconds"]))
            steps = []
            for rate in spec["steps"]:
                step = await writer.run(rate, spec["step_seconds"], pids, spec["grace_seconds"])
                steps.append(step)
                print(f"load: palier {rate}/s : {step['done']}/{step['offered']}, tout fait : {step['all_done']}",
                      flush=True)
                if not step["all_done"]:
                    break
            passed = [s["rate"] for s in steps if s["all_done"]]
            result["zero_loss"] = {"steps": steps, "highest": max(passed, default=None),
                                   "first_failed": next((s["rate"] for s in steps if not s["all_done"]), None)}
        finally:
            await nc.close()
            await raw.aclose()
    # Pages from a client of their own, as browsers: the writes' pool may hold connections whose requests were
    # given up (still answered later by the gateway), which would be counted against the pages.
    gc.collect()
    async with httpx.AsyncClient(base_url=spec["gateway"], limits=limits, timeout=timeout,
                                 cookies=NoJar()) as client:
        result["pages"] = await pages(spec, client, sessions, pids)
    elapsed = time.perf_counter() - t_start
    result["load_process"] = {"cpu_seconds": round(time.process_time() - cpu_start, 2),
                              "wall_seconds": round(elapsed, 1),
                              "cpu_percent_of_a_core": round(100 * (time.process_time() - cpu_start) / elapsed, 1)}
    return result


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        SPEC = json.load(f)
    OUT = asyncio.run(main(SPEC))
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(OUT, f, ensure_ascii=False, indent=2)
