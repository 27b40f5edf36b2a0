"""Finding the real components the tests need: NATS and PostgreSQL.

Order: the servers this machine runs (127.0.0.1:4222 and :5432), then testcontainers when a Docker engine
answers, then (NATS only) a nats-server started here. Under CI=true a component that cannot be had fails the run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path
from urllib.parse import urlparse

import nats
import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ROOT = Path(__file__).resolve().parent.parent


def answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with closing(socket.create_connection((host, port), timeout=timeout)):
            return True
    except OSError:
        return False


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def docker_answers() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0


def missing(component: str, why: str) -> None:
    """A component the test needs is not there: a failure in CI, a visible skip elsewhere."""
    message = f"{component} unavailable: {why}"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def nats_server_binary() -> str | None:
    local = Path(sys.executable).parent / "nats-server"
    if local.exists():
        return str(local)
    return shutil.which("nats-server") or (shutil.which("nats-server", path="/usr/sbin"))


class OwnNats:
    """A nats-server with JetStream started for this run, in a temporary directory."""

    def __init__(self, config: Path | None = None, env: dict[str, str] | None = None) -> None:
        binary = nats_server_binary()
        if binary is None:
            raise RuntimeError("no nats-server binary")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="cdv-nats-")
        args = [binary, "-a", "127.0.0.1", "-p", str(self.port)]
        # A config file names its own store directory, relative: run from the temporary directory.
        args += ["-c", str(config)] if config is not None else ["-js", "-sd", self.dir]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=self.dir,
                                     env={**os.environ, **(env or {})})
        deadline = time.monotonic() + 10
        while not answers("127.0.0.1", self.port, 0.2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"nats-server did not start: {err}")
            time.sleep(0.1)
        self.url = f"nats://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def nats_url() -> tuple[str, object | None]:
    """Returns a NATS URL and whatever must be stopped at the end (None for the machine's server)."""
    url = os.environ.get("CDV_TEST_NATS_URL", "nats://127.0.0.1:4222")
    parsed = urlparse(url)
    if answers(parsed.hostname or "127.0.0.1", parsed.port or 4222):
        return url, None
    if docker_answers():
        from testcontainers.nats import NatsContainer  # type: ignore[import-not-found]

        container = NatsContainer("nats:2.10", jetstream=True).start()
        return container.nats_uri(), container
    own = OwnNats()
    return own.url, own


def postgres_url() -> tuple[str | None, object | None, str]:
    """A PostgreSQL admin URL (sync, psycopg), or None with the reason."""
    url = os.environ.get("CDV_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parsed = urlparse(url.replace("+psycopg", ""))
    if answers(parsed.hostname or "127.0.0.1", parsed.port or 5432):
        return url, None, ""
    if docker_answers():
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:16", driver="psycopg").start()
        return container.get_connection_url(), container, ""
    return None, None, f"nothing answers at {parsed.hostname}:{parsed.port} and no Docker engine"


async def drop_streams(nats_url: str, namespace: str) -> None:
    """Deletes the streams of a run's namespace from a shared NATS server (the run cleans up after itself)."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for info in await js.streams_info():
            if info.config.name.startswith(namespace.upper() + "_"):
                await js.delete_stream(info.config.name)
    finally:
        await nc.close()
