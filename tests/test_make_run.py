"""`make run`'s launcher, run for real: its own NATS, every service ready, the gateway reporting them healthy,
another agglomeration's contract (`--contract`) loaded with demo accounts and governance of its own
organisations; Ctrl-C leaves no process behind."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import nats
import pytest

from gateway.processes import PROCESSES
from tests import components

ROOT = Path(__file__).resolve().parent.parent
BELMONT = ROOT / "tests" / "fixtures" / "belmont-2024.yaml"  # a small fictional agglomeration, not Nantes


def processes_using(var_dir: Path) -> list[int]:
    """PIDs whose command line or environment names this run's var directory."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            blob = (entry / "cmdline").read_bytes() + (entry / "environ").read_bytes()
        except OSError:
            continue
        if str(var_dir).encode() in blob:
            found.append(int(entry.name))
    return found


@pytest.fixture
def launched(tmp_path: Path):
    if components.nats_server_binary() is None:
        components.missing("nats-server", "needed by make run when no NATS answers")
    var_dir = tmp_path / "var"
    ports = {p.name: components.free_port() for p in PROCESSES}
    nats_url = f"nats://127.0.0.1:{components.free_port()}"
    env = {**os.environ, "CDV_NATS_URL": nats_url,
           "CDV_NOTIFICATIONS_SMTP_PORT": str(components.free_port()), "CDV_LOG_JSON": "false"}
    env.pop("CDV_IDENTITY_SECRET", None)
    env.update({f"{p.settings_prefix}PORT": str(ports[p.name]) for p in PROCESSES})
    proc = subprocess.Popen([sys.executable, str(ROOT / "infra" / "local" / "run.py"), "--var-dir", str(var_dir),
                             "--contract", str(BELMONT)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    output: list[str] = []
    deadline = time.monotonic() + 120
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        output.append(line)
        if "Ctrl-C arrête tout" in line:
            break
    try:
        yield proc, ports, "".join(output), var_dir, nats_url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_make_run_starts_everything_and_ctrl_c_stops_everything(launched) -> None:
    proc, ports, banner, var_dir, nats_url = launched
    assert proc.poll() is None, banner[-3000:]
    assert f"http://127.0.0.1:{ports['gateway']}" in banner
    logins = re.findall(r"^\S*\s+(\S+@\S+) / (\S+) / ([^/]+) / (.+)$", banner, re.M)
    roles = " ".join(role for _, _, role, _ in logins).lower()
    assert len(logins) >= 5 and "administrat" in roles and "secr" in roles, banner[-3000:]
    # The demo people are Belmont's: its agglomeration's secretariat, referents of its own pilots.
    by_email = {email: (password, org.strip()) for email, password, _, org in logins}
    assert by_email["secretariat.copil@cdv-demo.test"][1] == "Belmont Agglomération"
    assert {"referent.ville-belmont@cdv-demo.test", "referent.france-travail@cdv-demo.test"} <= set(by_email)
    assert "nantes" not in " ".join(by_email).lower() and "Gouvernance" in banner, banner[-3000:]
    gateway = f"http://127.0.0.1:{ports['gateway']}"
    with httpx.Client(base_url=gateway, timeout=10) as client:  # the referent sits in Belmont's bodies
        page = client.get("/connexion")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text[:500]
        assert client.post("/connexion", data={"email": "referent.ville-belmont@cdv-demo.test", "csrf_token":
                           token.group(1), "password": by_email["referent.ville-belmont@cdv-demo.test"][0]}
                           ).status_code == 303
        mine = client.get("/mes-instances").text
        assert "Comité de pilotage du contrat de ville de Belmont" in mine and "COPIL de printemps" in mine

    for process in PROCESSES:
        url = f"http://127.0.0.1:{ports[process.name]}{process.readiness}"
        assert httpx.get(url, timeout=5).status_code == 200, process.name
    health = httpx.get(f"http://127.0.0.1:{ports['gateway']}/fragments/health", timeout=10).text
    assert health.count("indisponible") == 0 and health.count("disponible") >= len(PROCESSES)
    engagements = httpx.get(f"http://127.0.0.1:{ports['engagements']}/openapi.json", timeout=5)
    assert engagements.status_code == 200

    # Its NATS refuses anonymous clients, and every service did all it needed with its own user's permissions.
    assert "sans accès anonyme" in banner
    with pytest.raises((nats.errors.Error, TimeoutError, OSError)):
        asyncio.run(nats.connect(nats_url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2))
    nats_log = (var_dir / "log" / "nats.log").read_text()
    assert "Violation" not in nats_log, nats_log[-3000:]

    children = processes_using(var_dir)
    assert len(children) >= len(PROCESSES) + 1, "NATS, the services and the gateway run under this var dir"
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    assert proc.returncode == 0
    time.sleep(0.5)
    assert processes_using(var_dir) == [], "Ctrl-C left processes behind"
