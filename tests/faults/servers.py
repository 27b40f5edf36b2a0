"""The servers the fault suite breaks on purpose: its own PostgreSQL cluster (restarted as after a crash), its own
nats-server (killed with SIGKILL, restarted on the same port and store), an SMTP server that goes away for a while,
and the four services as real processes (killed with SIGKILL, restarted)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
from aiosmtpd.controller import Controller

from tests import components
from tests.conftest import ROOT


def _wait_port(port: int, what: str, proc: subprocess.Popen[bytes] | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not components.answers("127.0.0.1", port, 0.2):
        if (proc is not None and proc.poll() is not None) or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start on port {port}")
        time.sleep(0.1)


class Postgres:
    """A PostgreSQL cluster of the suite's own, from the machine's binaries (initdb, pg_ctl)."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            components.missing("PostgreSQL server binaries", "no /usr/lib/postgresql/*/bin/pg_ctl")
        self.bin = Path(found[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="cdv-faults-pg-"))
        self.port = components.free_port()
        self.as_postgres = os.geteuid() == 0  # initdb refuses root: run the cluster as the postgres user
        if self.as_postgres:
            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
        self._run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=self.dir, timeout=120)

    def _ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w",
                  "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=on", *args)

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        """Stops as a crash would (`immediate`: no checkpoint, recovery at start) and starts again."""
        self._ctl("restart", "-m", "immediate")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")
        shutil.rmtree(self.dir, ignore_errors=True)

    def database(self, name: str) -> str:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"


class Nats:
    """A nats-server with JetStream, restartable on the same port and store."""

    def __init__(self) -> None:
        binary = components.nats_server_binary()
        if binary is None:
            components.missing("nats-server", "no binary in .venv or on the PATH")
        self.binary = str(binary)
        self.port = components.free_port()
        self.store = tempfile.mkdtemp(prefix="cdv-faults-nats-")
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen([self.binary, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", self.store],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(self.port, "nats-server", self.proc)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        shutil.rmtree(self.store, ignore_errors=True)


class Smtp:
    """An SMTP server counting what it receives; stopped, connections are refused."""

    def __init__(self) -> None:
        self.port = components.free_port()
        self.received: list[bytes] = []
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        self.received.append(envelope.original_content or b"")
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


SERVICES = ("engagements", "indicateurs", "participation", "notifications")


class Services:
    """The four services as real processes (`python -m services.<name>`), their logs in the run's folder."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.ports = {name: components.free_port() for name in SERVICES}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self, name: str) -> None:
        env = {**self.env, f"CDV_{name.upper()}_PORT": str(self.ports[name])}
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 — the child writes it until it ends
        self.procs[name] = subprocess.Popen([sys.executable, "-m", f"services.{name}"], cwd=ROOT, env=env,
                                            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{self.url(name)}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.procs[name].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not become ready; see {self.log_dir / (name + '.log')}")
            time.sleep(0.2)

    def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait(10)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
