"""The whole system under load, from outside: `python -m benchmarks --only system [--quick] [--variant …]`.

The platform is started as `make run` starts it (`infra/local/run.py` as a child process: the four services and
the gateway as OS processes, the default contract and the demo data), on free ports, in a temporary var dir, in
a NATS namespace of its own, at log level WARNING, with the product's defaults otherwise. Variants:

- `sqlite`: SQLite files, the machine's NATS at 127.0.0.1:4222 (or a nats-server of this run's own);
- `production`: PostgreSQL at 127.0.0.1:5432 (one new database per process, dropped at the end) and a 3-node
  JetStream cluster started from `infra/nats/nats-cluster-*.conf` (on free ports, `sync_interval: always`),
  every stream at replication 3.

The load runs in another OS process (`benchmarks/load.py`); then a 10,000-row import (`system_import.py`). One
table is printed and `benchmarks/results/latest.json` written (`system_report.py`). Everything started here is
stopped, and every database and stream removed, also on Ctrl-C or failure.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import nats
import psycopg

from benchmarks import system_import, system_report
from gateway.processes import GATEWAY, SERVICES
from kernel.demo_cast import load_cast
from kernel.events import stream_name
from kernel.identity import HEADER, Identity, sign_identity
from kernel.messaging import PUBLIC_MIRROR_SUFFIX
from tests import components

TITLE = "Système complet sous charge (processus réels, charge en boucle ouverte depuis un autre processus)"
ROOT = Path(__file__).resolve().parent.parent
MACHINE_NATS = "nats://127.0.0.1:4222"
MACHINE_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
READY_LINE = "plateforme démarrée"

FULL = {"write_rates": [50, 200], "write_seconds": 20, "steps": [50, 100, 200, 300, 500, 700, 1000],
        "step_seconds": 10, "page_rate": 50, "page_seconds": 10, "sessions": 50, "other_sessions": 10,
        "grace_seconds": 15, "drain_seconds": 30, "import_rows": 10_000}
QUICK = {"write_rates": [50, 200], "write_seconds": 4, "steps": [50, 100, 300, 500], "step_seconds": 3,
         "page_rate": 50, "page_seconds": 2, "sessions": 10, "other_sessions": 3, "grace_seconds": 5,
         "drain_seconds": 8, "import_rows": 2_000}


def say(text: str) -> None:
    print(f"  {text}", flush=True)


def rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def process_name(pid: int) -> str:
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    words = [a.decode() for a in argv if a]
    if "-m" in words:
        return words[words.index("-m") + 1].rsplit(".", 1)[-1]
    return Path(words[0]).name if words else str(pid)


# ---------------------------------------------------------------------------------------------- NATS

class Cluster:
    """Three nats-server processes from the project's cluster files, moved to free ports (same settings else)."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.nodes: list[subprocess.Popen[bytes]] = []
        self.ports = {n: {kind: components.free_port() for kind in ("client", "http", "route")} for n in (1, 2, 3)}
        self.url = ",".join(f"nats://127.0.0.1:{self.ports[n]['client']}" for n in (1, 2, 3))

    def conf(self, n: int) -> Path:
        text = (ROOT / "infra" / "nats" / f"nats-cluster-{n}.conf").read_text()
        for m in (1, 2, 3):  # 4231 clients, 8231 monitoring, 6231 routes (node 1; +1, +2 for the others)
            for base, kind in ((4230, "client"), (8230, "http"), (6230, "route")):
                text = re.sub(rf"127\.0\.0\.1:{base + m}\b", f"127.0.0.1:{self.ports[m][kind]}", text)
        path = self.dir / f"nats-cluster-{n}.conf"
        path.write_text(text)
        return path

    def start(self) -> None:
        binary = components.nats_server_binary()
        if binary is None:
            raise RuntimeError("no nats-server (make venv installs one)")
        for n in (1, 2, 3):
            log = open(self.dir / f"nats-{n}.log", "wb")  # noqa: SIM115 - the node writes it until it ends
            self.nodes.append(subprocess.Popen([binary, "-c", str(self.conf(n))], cwd=self.dir, stdout=log,
                                               stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.monotonic() + 20
        for n in (1, 2, 3):
            while not components.answers("127.0.0.1", self.ports[n]["client"], 0.2):
                if time.monotonic() > deadline or self.nodes[n - 1].poll() is not None:
                    raise RuntimeError(f"cluster node {n} did not start (see {self.dir}/nats-{n}.log)")
                time.sleep(0.1)
        asyncio.run(self._meta_leader())

    async def _meta_leader(self) -> None:
        """Waits until an R3 stream can be created (the cluster has elected its JetStream leader)."""
        deadline = time.monotonic() + 60
        while True:
            nc = await nats.connect(self.url.split(","), connect_timeout=2, max_reconnect_attempts=1)
            try:
                js = nc.jetstream(timeout=5)
                await js.add_stream(name="BENCH_PROBE", subjects=["bench.probe"], num_replicas=3)
                await js.delete_stream("BENCH_PROBE")
                return
            except Exception:  # not elected yet
                if time.monotonic() > deadline:
                    raise
            finally:
                await nc.close()
            await asyncio.sleep(0.5)

    def stop(self) -> None:
        for node in self.nodes:
            if node.poll() is None:
                node.terminate()
        for node in self.nodes:
            try:
                node.wait(10)
            except subprocess.TimeoutExpired:
                node.kill()


class OwnNats:
    """A plain nats-server with JetStream of this run's own, when none answers at 127.0.0.1:4222."""

    def __init__(self, directory: Path) -> None:
        self.port = components.free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        binary = components.nats_server_binary()
        if binary is None:
            raise RuntimeError("no nats-server (make venv installs one)")
        self.proc = subprocess.Popen([binary, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd",
                                      str(directory / "nats")], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 15
        while not components.answers("127.0.0.1", self.port, 0.2):
            if time.monotonic() > deadline:
                raise RuntimeError("nats-server did not start")
            time.sleep(0.1)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


async def drop_streams(url: str, namespace: str) -> int:
    nc = await nats.connect(url.split(","), connect_timeout=3, max_reconnect_attempts=2)
    try:
        js = nc.jetstream(timeout=10)
        names = [i.config.name for i in await js.streams_info() if i.config.name.startswith(namespace.upper() + "_")]
        for name in sorted(names, key=lambda n: not n.endswith(PUBLIC_MIRROR_SUFFIX)):  # mirrors first
            await js.delete_stream(name)
        return len(names)
    finally:
        await nc.close()


# ---------------------------------------------------------------------------------------------- PostgreSQL

class Databases:
    """One database per process on the machine's PostgreSQL, dropped at the end."""

    def __init__(self, run: str) -> None:
        self.names = {p.name: f"cdvbench_{run}_{p.name}" for p in (*SERVICES, GATEWAY)}
        self.created: list[str] = []

    def create(self) -> dict[str, str]:
        with psycopg.connect(MACHINE_PG, autocommit=True, connect_timeout=5) as conn:
            for name in self.names.values():
                conn.execute(f'CREATE DATABASE "{name}"')
                self.created.append(name)
        return {p: f"postgresql+psycopg://postgres@127.0.0.1:5432/{db}" for p, db in self.names.items()}

    def drop(self) -> None:
        if not self.created:
            return
        with psycopg.connect(MACHINE_PG, autocommit=True, connect_timeout=5) as conn:
            for name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created = []


# ---------------------------------------------------------------------------------------------- the platform

class Platform:
    """`infra/local/run.py` as a child process, configured by its environment only."""

    def __init__(self, directory: Path, env: dict[str, str]) -> None:
        self.dir = directory
        self.var = directory / "var"
        self.env = env
        self.out = directory / "run.out"
        self.proc: subprocess.Popen[bytes] | None = None
        self.pids: dict[str, int] = {}

    def start(self, timeout: float = 300) -> None:
        # `-m infra.local.run` rather than the script's path: a `pkill -f infra/local/run.py` aimed at someone's
        # `make run` on the same machine does not stop this run's platform.
        with open(self.out, "wb") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "infra.local.run", "--var-dir", str(self.var),
                                         "--timeout", "120"], cwd=ROOT, env=self.env, stdout=out,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while READY_LINE not in self.out.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = "\n".join(self.out.read_text(errors="replace").splitlines()[-30:])
                raise RuntimeError(f"the platform did not start:\n{tail}")
            time.sleep(0.5)
        self.pids = {process_name(pid): pid for pid in children(self.proc.pid)}
        self.pids["launcher"] = self.proc.pid

    def check_alive(self) -> None:
        """A process gone during the load (the launcher then stops the others) fails the variant."""
        gone = [name for name, pid in self.pids.items() if not Path(f"/proc/{pid}").exists()]
        if gone:
            tail = "\n".join(self.out.read_text(errors="replace").splitlines()[-40:])
            raise RuntimeError(f"processes gone during the run: {', '.join(gone)}\n{tail}")

    def stop(self) -> None:
        """SIGINT, as Ctrl-C in `make run`: the launcher stops its children in order."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGINT)  # a second one forces
            self.proc.wait(30)


def _admin(secret: str, audience: str, org: str | None = None, role: str = "admin") -> dict[str, str]:
    who = Identity(user_id=uuid.uuid4().hex, email="banc@cdv-demo.test", name="Banc d'essai",
                   organisation_id=org, roles=[role])  # type: ignore[list-item]
    return {HEADER: sign_identity(who, secret, audience)}


def build_spec(platform: Platform, options: dict[str, Any], *, nats_url: str, namespace: str, replicas: int,
               run_id: str) -> dict[str, Any]:
    """Who logs in, which parts each one writes, which pages are read (from the demo cast and the services)."""
    env = platform.env
    secret = (platform.var / "identity-secret").read_text().strip()
    logins = json.loads((platform.var / "demo-logins.json").read_text())
    cast = load_cast()
    url = f"http://127.0.0.1:{env['CDV_ENGAGEMENTS_PORT']}/api/v1/engagements/with-parts"
    engagements = httpx.get(url, headers=_admin(secret, "engagements"), timeout=30).raise_for_status().json()
    referents = {p.organisation_id: p.email for p in cast.referents}
    secretariat = cast.secretariat.email
    biggest = cast.referent("biggest")
    assert biggest is not None and biggest.organisation_id
    parts = []
    for e in engagements:
        for p in e["parts"]:
            if not p["active"]:
                continue
            fields = {"status": p["status"], "comment": p["comment"] or "", "qpv": p["qpv"],
                      "next_milestone_date": p["next_milestone_date"] or ""}
            parts.append({"number": e["number"], "organisation_id": p["organisation_id"], "version": p["version"],
                          "email": referents.get(p["organisation_id"], secretariat), "fields": fields})
    many = (biggest.email, secretariat)
    people = [{"email": p.email, "password": logins[p.email],
               "sessions": options["sessions"] if p.email in many else options["other_sessions"]}
              for p in (*cast.referents, cast.secretariat)]
    mine = cast.organisation(biggest.organisation_id).engagements
    gw = f"http://127.0.0.1:{env['CDV_GATEWAY_PORT']}"
    page_list = [
        {"label": f"Page d'un engagement (n° {mine[0]})", "path": f"/engagements/{mine[0]}", "who": biggest.email},
        {"label": "Vue d'ensemble (secrétariat)", "path": "/vue-d-ensemble", "who": secretariat},
        {"label": f"Mes engagements ({biggest.organisation_id})", "path": "/mes-engagements", "who": biggest.email},
        {"label": "Accueil public /", "path": "/", "who": None},
        {"label": f"Page d'un QPV ({cast.qpv[0]})", "path": f"/quartiers/{cast.qpv[0]}", "who": None},
        {"label": "Fichier statique (référence)", "path": "/static/css/cdv.css", "who": None, "reference": True},
    ]
    return {**options, "gateway": gw, "nats_servers": nats_url.split(","), "namespace": namespace,
            "replicas": replicas, "public_mirror": stream_name(namespace, "engagements") + PUBLIC_MIRROR_SUFFIX,
            "run_id": run_id, "people": people, "parts": parts, "pages": page_list,
            "pids": {k: v for k, v in platform.pids.items() if k != "launcher"}}


def run_load(spec: dict[str, Any], directory: Path) -> dict[str, Any]:
    spec_path, out_path = directory / "load-spec.json", directory / "load-result.json"
    spec_path.write_text(json.dumps(spec))
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.load", str(spec_path), str(out_path)], cwd=ROOT)
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:  # Ctrl-C or a failure here: the load process does not outlive this one
        proc.terminate()
        proc.wait(10)
        raise
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"the load process failed (code {proc.returncode})")
    result = json.loads(out_path.read_text())
    result["load_process"]["rusage_cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 2)
    result["load_process"]["max_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    return result


def keep_logs(directory: Path) -> None:
    """On a failure, the launcher's output and every process's log outlive the temporary directory."""
    kept = Path(tempfile.gettempdir()) / f"{directory.name}-logs"
    shutil.rmtree(kept, ignore_errors=True)
    kept.mkdir()
    for source in (directory / "run.out", *(directory / "var" / "log").glob("*.log"), *directory.glob("nats-*.log")):
        if source.is_file():
            shutil.copy(source, kept / source.name)
    say(f"journaux gardés dans {kept}")


def memory(pids: dict[str, int]) -> dict[str, float | None]:
    return {name: rss_mb(pid) for name, pid in pids.items()}


def run_variant(variant: str, options: dict[str, Any]) -> dict[str, Any]:
    run_id = secrets.token_hex(4)
    namespace = f"bench{run_id}"
    directory = Path(tempfile.mkdtemp(prefix=f"cdv-bench-{variant}-"))
    started = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDV_")}
    env.update({"CDV_EVENT_NAMESPACE": namespace, "CDV_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1",
                "CDV_NOTIFICATIONS_SMTP_PORT": str(components.free_port())})
    for app in (*SERVICES, GATEWAY):
        env[f"{app.settings_prefix}PORT"] = str(components.free_port())
    nats_pids: dict[str, int] = {}
    with ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, directory, True)
        cleanup.push(lambda kind, exc, tb: keep_logs(directory) if kind is not None else None)
        replicas = 1
        if variant == "production":
            databases = Databases(run_id)
            urls = databases.create()
            cleanup.callback(databases.drop)
            for name, url in urls.items():
                env[f"CDV_{name.upper()}_DATABASE_URL"] = url
            cluster = Cluster(directory)
            cleanup.callback(cluster.stop)
            cluster.start()
            nats_url, replicas = cluster.url, 3
            nats_pids = {f"nats-{n}": node.pid for n, node in enumerate(cluster.nodes, 1)}
            env["CDV_STREAM_REPLICAS"] = "3"
        elif components.answers("127.0.0.1", 4222, 0.5):
            nats_url = MACHINE_NATS
        else:
            own = OwnNats(directory)
            cleanup.callback(own.stop)
            nats_url, nats_pids = own.url, {"nats": own.proc.pid}
        env["CDV_NATS_URL"] = nats_url
        cleanup.callback(lambda: say(f"flux supprimés : {asyncio.run(drop_streams(nats_url, namespace))}"))
        platform = Platform(directory, env)
        cleanup.callback(platform.stop)
        say(f"[{variant}] démarrage de la plateforme (infra/local/run.py, espace NATS {namespace})…")
        platform.start()
        say(f"[{variant}] prête en {time.perf_counter() - started:.0f} s : "
            + ", ".join(f"{k} {v}" for k, v in platform.pids.items()))
        pids = {**platform.pids, **nats_pids}
        time.sleep(3)  # the demo's last events settle
        at_rest = memory(pids)
        spec = build_spec(platform, options, nats_url=nats_url, namespace=namespace, replicas=replicas,
                          run_id=run_id)
        spec["pids"].update(nats_pids)
        say(f"[{variant}] charge : {len(spec['parts'])} parts écrites, "
            f"{sum(p['sessions'] for p in spec['people'])} sessions")
        load = run_load(spec, directory)
        platform.check_alive()
        after_load = memory(pids)
        say(f"[{variant}] import de {options['import_rows']} lignes…")
        imported = system_import.run(env, platform.var, nats_url, namespace, options["import_rows"])
        after = memory(pids)
        return {"variant": variant, "namespace": namespace, "parts": len(spec["parts"]),
                "nats_url": nats_url, "replicas": replicas, "setup_seconds": round(time.perf_counter() - started),
                "memory_mb": {"at_rest": at_rest, "after_load": after_load, "after_import": after},
                "import": imported, **load}
    raise AssertionError("unreachable")


def _on_term(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(*, quick: bool = False, variant: str = "all", **_options: Any) -> None:
    """Entry point of `python -m benchmarks`: runs the variants one after the other, then the table."""
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started with SIGINT ignored (`cmd &`)
    options = dict(QUICK if quick else FULL)
    variants = ["sqlite", "production"] if variant == "all" else [variant]
    if quick and variant == "all":
        variants = ["sqlite"]
    results = []
    for name in variants:
        try:
            results.append(run_variant(name, options))
        except RuntimeError as exc:
            say(f"[{name}] échec : {exc}")
            results.append({"variant": name, "failed": str(exc)})
        except KeyboardInterrupt:
            say(f"[{name}] interrompu : processus arrêtés, flux et bases supprimés ; pas de résultat écrit.")
            return
    system_report.report(results, quick=quick, options=options)
