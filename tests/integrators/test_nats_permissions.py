"""The NATS configuration shipped for integrators, tested against a real nats-server started with it."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import nats
import pytest
from nats.js.api import StreamConfig

from kernel.events import CloudEvent
from services.indicateurs.events import DefinitionDefined
from tests import components

CONFIG = Path(__file__).resolve().parents[2] / "infra" / "nats" / "integrators.conf"


@pytest.fixture
def secured_nats():
    # nats-server reads a $VARIABLE's value as a config token: one starting with a digit would parse as a
    # number (infra/nats/README.md says so for production passwords too).
    passwords = {"NATS_SERVICES_PASSWORD": "pw" + secrets.token_hex(16),
                 "NATS_INTEGRATOR_PASSWORD": "pw" + secrets.token_hex(16)}
    if components.nats_server_binary() is None:
        components.missing("nats-server", "no binary in the venv nor on the PATH")
    server = components.OwnNats(config=CONFIG, env=passwords)
    yield server.url, passwords
    server.stop()


def event(n: int) -> bytes:
    payload = DefinitionDefined(indicator_id=n, contract_id="c", engagement_number=1, label=f"Indicateur {n}",
                                unit="nombre", periodicity="annuelle", target=None, by_qpv=False,
                                responsible=["ville-nantes"], active=True, version=1)
    return CloudEvent.wrap(payload, source="/cdv/indicateurs", subject=f"indicator/{n}").model_dump_json().encode()


# A refusal arrives as a NATS error (permission, API error, no responders) or as a timeout, by operation.
NATS_REFUSAL = (nats.errors.Error, TimeoutError)


async def test_integrator_reads_streams_but_cannot_publish_or_administer(secured_nats) -> None:
    url, passwords = secured_nats
    services = await nats.connect(url, user="services", password=passwords["NATS_SERVICES_PASSWORD"])
    sjs = services.jetstream()
    await sjs.add_stream(StreamConfig(name="CDV_INDICATEURS", subjects=["cdv.indicateurs.>"]))
    for n in range(3):
        await sjs.publish("cdv.indicateurs.definition.defined", event(n))

    violations: list[str] = []

    async def on_error(exc: Exception) -> None:
        violations.append(str(exc))

    integrator = await nats.connect(url, user="integrator", password=passwords["NATS_INTEGRATOR_PASSWORD"],
                                    error_cb=on_error)
    ijs = integrator.jetstream()
    try:
        sub = await ijs.pull_subscribe("cdv.indicateurs.>", durable="observatoire", stream="CDV_INDICATEURS")
        msgs = await sub.fetch(3, timeout=5)
        assert [CloudEvent.model_validate_json(m.data).data["indicator_id"] for m in msgs] == [0, 1, 2]
        for m in msgs:
            await m.ack()

        with pytest.raises(NATS_REFUSAL):
            await ijs.publish("cdv.indicateurs.definition.defined", event(99), timeout=2)
        await integrator.publish("cdv.indicateurs.definition.defined", event(98))
        await integrator.flush()
        with pytest.raises(NATS_REFUSAL):
            await asyncio.wait_for(ijs.add_stream(StreamConfig(name="CDV_PIRATE", subjects=["cdv.pirate.>"])), 5)
        with pytest.raises(NATS_REFUSAL):
            await asyncio.wait_for(ijs.delete_stream("CDV_INDICATEURS"), 5)
        await asyncio.sleep(0.2)
        assert any("permissions violation" in v.lower() for v in violations)
        info = await sjs.stream_info("CDV_INDICATEURS")
        assert info.state.messages == 3, "nothing the integrator sent reached the stream"
    finally:
        await integrator.close()
        await services.close()

    with pytest.raises(NATS_REFUSAL):
        await nats.connect(url, user="integrator", password="wrong", max_reconnect_attempts=0,
                           allow_reconnect=False, connect_timeout=2)
