"""The deployment files (infra/deploy): no Docker engine or cluster here, so what can be checked is checked — they
parse, every process is there with a command that exists and its probes, the settings each process needs in
production are all provided (environment and secret files), and the NATS configurations pass nats-server's own
check."""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.processes import PROCESSES, Process
from tests import components

DEPLOY = Path(__file__).resolve().parent.parent / "infra" / "deploy"
ROOT = DEPLOY.parent.parent


def _settings_class(process: Process) -> Any:
    return importlib.import_module(f"{process.module}.settings").Settings


def _command_runs(command: list[str]) -> None:
    assert command[:2] == ["python", "-m"], command
    spec = importlib.util.find_spec(f"{command[2]}.__main__")
    assert spec is not None, f"{command[2]} cannot be run with python -m"


def _production_settings(process: Process, env: dict[str, str], secrets: list[str], tmp_path: Path,
                         monkeypatch: pytest.MonkeyPatch) -> Any:
    """The process's settings as its container would read them: the environment given, and each secret as a file
    named like its variable in CDV_SECRETS_DIR (dummy values of the right shape)."""
    secrets_dir = tmp_path / process.name
    secrets_dir.mkdir()
    for name in secrets:
        value = ("postgresql+psycopg://role:password@postgres:5432/db" if name.endswith("DATABASE_URL") else
                 "a-long-random-secret-from-a-file")
        (secrets_dir / name).write_text(value + "\n")
    for key in [k for k in os.environ if k.startswith("CDV_")]:
        monkeypatch.delenv(key)
    for key, value in {**env, "CDV_SECRETS_DIR": str(secrets_dir), "CDV_VAR_DIR": str(tmp_path / "var")}.items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    return _settings_class(process)()


def _check_production(settings: Any, process: Process) -> None:
    assert settings.environment == "production"
    assert settings.database_url.startswith("postgresql+psycopg://"), f"{process.name}: no PostgreSQL URL"
    assert settings.identity_secret == "a-long-random-secret-from-a-file"
    assert settings.nats_user == process.name and settings.nats_password, f"{process.name}: no NATS credentials"
    assert settings.stream_replicas == 3
    assert settings.host == "0.0.0.0"  # the Dockerfile's default: reachable from other containers


def _dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    for line in text.splitlines():
        if line.startswith("ENV "):
            for pair in line[4:].split():
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def test_the_image_copies_what_exists_and_runs_as_a_user_with_secrets_from_files() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    copied = [line.split()[1] for line in text.splitlines() if line.startswith("COPY ")]
    assert copied and all((ROOT / path).exists() for path in copied), copied
    assert "USER cdv" in text
    env = _dockerfile_env()
    assert env["CDV_SECRETS_DIR"] == "/run/secrets" and env["CDV_ENVIRONMENT"] == "production"
    cmd = yaml.safe_load(text.split("CMD ", 1)[1].splitlines()[0])
    _command_runs(cmd)


def test_compose_runs_every_process_with_its_probe_and_all_its_production_settings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"nats-1", "nats-2", "nats-3", "postgres", "smtp"} <= set(services)
    for process in PROCESSES:
        service = services[process.name]
        _command_runs(service["command"])
        assert service["healthcheck"]["test"][-1] == f"http://127.0.0.1:{process.port}/readyz"
        for name in service["secrets"]:
            assert name in compose["secrets"], name
        env = {**_dockerfile_env(), **service["environment"]}
        settings = _production_settings(process, env, service["secrets"], tmp_path, monkeypatch)
        _check_production(settings, process)
    assert services["gateway"]["ports"] == ["8100:8100"]
    assert not any("ports" in services[p.name] for p in PROCESSES if p.name != "gateway")  # services stay inside


def _k8s_documents() -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    kustomization = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())
    for resource in kustomization["resources"]:
        for doc in yaml.safe_load_all((DEPLOY / "k8s" / resource).read_text()):
            found[(doc["kind"], doc["metadata"]["name"])] = doc
    return found


def test_kubernetes_deploys_every_process_twice_with_probes_and_all_its_production_settings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = _k8s_documents()
    config = docs[("ConfigMap", "contrat-de-ville")]["data"]
    for process in PROCESSES:
        deployment = docs[("Deployment", process.name)]
        assert deployment["spec"]["replicas"] >= 2
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        _command_runs(container["command"])
        assert container["ports"][0]["containerPort"] == process.port
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert docs[("Service", process.name)]["spec"]["ports"][0]["port"] == process.port
        env = {**_dockerfile_env(), **config, **{e["name"]: e["value"] for e in container["env"]}}
        # The Secrets the volume projects hold these files (created as docs/operations.md says).
        secrets = ["CDV_IDENTITY_SECRET", f"CDV_{process.prefix}_DATABASE_URL", f"CDV_{process.prefix}_NATS_PASSWORD"]
        _check_production(_production_settings(process, env, secrets, tmp_path, monkeypatch), process)
    assert docs[("Ingress", "contrat-de-ville")]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"][
        "name"] == "gateway"


def test_the_cluster_nodes_configurations_pass_nats_server_s_check(tmp_path: Path) -> None:
    binary = components.nats_server_binary()
    if binary is None:
        components.missing("nats-server", "no binary in .venv or on the PATH")
    for node in (1, 2, 3):
        conf = tmp_path / f"nats-{node}.conf"
        shutil.copy(DEPLOY / "nats" / f"nats-{node}.conf", conf)
        (tmp_path / "auth.conf").write_text('authorization { users: [{user: engagements, password: "a-secret"}] }\n')
        text = conf.read_text()
        assert "sync_interval: always" in text
        checked = subprocess.run([str(binary), "-t", "-c", str(conf)], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr + checked.stdout


def test_a_secret_file_is_read_and_the_environment_still_wins(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from services.engagements.settings import Settings

    (tmp_path / "CDV_ENGAGEMENTS_DATABASE_URL").write_text("postgresql+psycopg://e:secret@db:5432/e\n")
    (tmp_path / "CDV_IDENTITY_SECRET").write_text("from-a-file")
    monkeypatch.setenv("CDV_SECRETS_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CDV_IDENTITY_SECRET", raising=False)
    monkeypatch.delenv("CDV_ENGAGEMENTS_DATABASE_URL", raising=False)
    settings = Settings(var_dir=tmp_path)
    assert (settings.database_url, settings.identity_secret) == ("postgresql+psycopg://e:secret@db:5432/e",
                                                                 "from-a-file")
    monkeypatch.setenv("CDV_IDENTITY_SECRET", "from-the-environment")
    assert Settings(var_dir=tmp_path).identity_secret == "from-the-environment"
