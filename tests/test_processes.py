"""The list of processes (`gateway.processes`) agrees with each process's own settings and entry point, so that
the launcher, the gateway's clients and the tests reach every process where it really listens."""

from __future__ import annotations

import importlib
import importlib.util

import pytest

from gateway.processes import GATEWAY, PROCESSES, SERVICES, service
from gateway.settings import Settings as GatewaySettings


@pytest.mark.parametrize("process", PROCESSES, ids=lambda p: p.name)
def test_each_process_listens_where_the_list_says(process) -> None:
    settings = importlib.import_module(f"{process.module}.settings").Settings
    assert settings.service_name == process.name
    assert settings.default_port == process.port
    assert settings.model_config["env_prefix"] == process.settings_prefix
    assert importlib.util.find_spec(f"{process.module}.__main__") is not None, "runs as python -m <module>"


def test_the_gateway_calls_each_service_on_its_port_unless_told_otherwise() -> None:
    urls = GatewaySettings(environment="test", indicateurs_url="http://indicateurs.internal").service_urls()
    assert list(urls) == [s.name for s in SERVICES]
    assert urls["engagements"] == f"http://127.0.0.1:{service('engagements').port}"
    assert urls["indicateurs"] == "http://indicateurs.internal"
    assert len({p.port for p in PROCESSES}) == len(PROCESSES) and GATEWAY not in SERVICES


def test_every_service_publishes_its_events_module() -> None:
    for process in SERVICES:
        assert importlib.util.find_spec(process.events_module) is not None
    with pytest.raises(KeyError):
        service("gateway")
