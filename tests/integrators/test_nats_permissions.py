"""NATS users and permissions, against a real nats-server started from the configuration `make run` generates:
no anonymous client, each service publishes only its own subjects, integrators read the public history through
their own consumers and cannot touch a service's consumer nor an internal stream."""

from __future__ import annotations

import asyncio
import contextlib
import stat
from pathlib import Path

import nats
import pytest
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig

from infra.local import nats_auth
from kernel.events import CloudEvent
from kernel.messaging import ensure_stream, inbox_prefix, mirror_config, stream_config
from services.engagements.events import ContractLoaded
from tests import components

ROOT = Path(__file__).resolve().parents[2]
# A refusal arrives as a NATS error (permission, API error, no responders) or as a timeout, by operation.
NATS_REFUSAL = (nats.errors.Error, TimeoutError)
FEED = "cdv_notifications_feed_engagements"  # a real durable of the notifications service


@pytest.fixture
def secured(tmp_path: Path):
    if components.nats_server_binary() is None:
        components.missing("nats-server", "no binary in the venv nor on the PATH")
    port = components.free_port()
    local = nats_auth.write_local(tmp_path / "var", host="127.0.0.1", port=port)
    server = components.OwnNats(config=local.config)
    yield server.url, local
    server.stop()


async def connect(url: str, local: nats_auth.LocalNats, user: str, errors: list[str] | None = None) -> nats.NATS:
    async def on_error(exc: Exception) -> None:
        if errors is not None:
            errors.append(str(exc))

    prefix = "_INBOX" if user == nats_auth.INTEGRATOR else inbox_prefix(user)
    return await nats.connect(url, user=user, password=local.passwords[user], inbox_prefix=prefix,
                              error_cb=on_error, allow_reconnect=False)


def event(n: int) -> bytes:
    payload = ContractLoaded(contract_id="c", title=f"Contrat {n}", version=str(n), engagements=50, added=[],
                             changed=[])
    return CloudEvent.wrap(payload, source="/cdv/engagements", subject=None).model_dump_json().encode()


async def start_engagements(url: str, local: nats_auth.LocalNats) -> nats.NATS:
    """The engagements service's streams, as the kernel creates them, with three events in them."""
    nc = await connect(url, local, "engagements")
    js = nc.jetstream()
    await ensure_stream(js, stream_config("CDV_ENGAGEMENTS", ["cdv.engagements.>"]))
    await ensure_stream(js, mirror_config("CDV_ENGAGEMENTS_PUBLIC", "CDV_ENGAGEMENTS"))
    for n in range(3):
        await js.publish("cdv.engagements.contract.loaded", event(n))
    for _ in range(50):  # the mirror follows within milliseconds, asynchronously
        if (await js.stream_info("CDV_ENGAGEMENTS_PUBLIC")).state.messages == 3:
            break
        await asyncio.sleep(0.1)
    return nc


def test_secrets_are_private_files_starting_with_a_letter(tmp_path: Path) -> None:
    local = nats_auth.write_local(tmp_path / "var", host="127.0.0.1", port=4999)
    assert stat.S_IMODE(local.directory.stat().st_mode) == 0o700
    for path in [local.config, *local.directory.glob("*.password")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert set(local.passwords) == {"engagements", "indicateurs", "participation", "notifications", "integrator"}
    assert all(p[0].isalpha() and len(p) > 30 for p in local.passwords.values())
    assert len(set(local.passwords.values())) == 5
    again = nats_auth.write_local(tmp_path / "var", host="127.0.0.1", port=4999)
    assert again.passwords == local.passwords, "kept across runs"


def test_the_production_template_is_generated_from_the_code() -> None:
    committed = (ROOT / "infra" / "nats" / "integrators.conf").read_text()
    assert committed == nats_auth.production_template(), "run: python -m infra.local.nats_auth > infra/nats/…"
    assert "password: $NATS_INTEGRATOR_PASSWORD" in committed


async def test_anonymous_clients_and_wrong_passwords_are_refused(secured) -> None:
    url, _ = secured
    for credentials in ({}, {"user": "integrator", "password": "wrong"}, {"user": "engagements", "password": "x"}):
        with pytest.raises(NATS_REFUSAL):
            await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2,
                               **credentials)


async def test_a_service_publishes_only_its_own_subjects(secured) -> None:
    url, local = secured
    engagements = await start_engagements(url, local)
    indicateurs = await connect(url, local, "indicateurs")
    errors: list[str] = []
    forger = await connect(url, local, "engagements", errors)
    try:
        ijs = indicateurs.jetstream()
        await ensure_stream(ijs, stream_config("CDV_INDICATEURS", ["cdv.indicateurs.>"]))
        fjs = forger.jetstream()
        with pytest.raises(NATS_REFUSAL):
            await fjs.publish("cdv.indicateurs.submission.validated", b"{}", timeout=2)
        await forger.publish("cdv.participation.meeting.scheduled", b"{}")
        with pytest.raises(NATS_REFUSAL):
            await asyncio.wait_for(fjs.delete_stream("CDV_INDICATEURS"), 3)
        with pytest.raises(NATS_REFUSAL):  # nor read another service's stream through its own consumer
            await asyncio.wait_for(fjs.pull_subscribe("cdv.indicateurs.>", durable="cdv_engagements_spy",
                                                      stream="CDV_INDICATEURS"), 3)
        await forger.flush()
        await asyncio.sleep(0.2)
        assert any("permissions violation" in e.lower() for e in errors)
        assert (await ijs.stream_info("CDV_INDICATEURS")).state.messages == 0
        assert (await engagements.jetstream().stream_info("CDV_ENGAGEMENTS")).state.messages == 3
    finally:
        for nc in (forger, indicateurs, engagements):
            await nc.close()


async def test_integrators_replay_the_public_history_but_cannot_touch_a_service_consumer(secured) -> None:
    url, local = secured
    engagements = await start_engagements(url, local)
    participation = await connect(url, local, "participation")
    notifications = await connect(url, local, "notifications")
    errors: list[str] = []
    integrator = await connect(url, local, "integrator", errors)
    try:
        pjs = participation.jetstream()
        await ensure_stream(pjs, stream_config("CDV_PARTICIPATION_INTERNAL", ["cdv.participation-internal.>"]))
        await pjs.publish("cdv.participation-internal.person.changed", b'{"email": "a@b.fr"}')
        # The notifications service's own durable consumer, as its EventConsumer creates it.
        njs = notifications.jetstream()
        service_sub = await njs.pull_subscribe(
            "cdv.engagements.>", durable=FEED, stream="CDV_ENGAGEMENTS",
            config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL))

        ijs = integrator.jetstream()
        # The public history, replayed from the start through its own consumer on the public mirror.
        sub = await ijs.pull_subscribe("cdv.engagements.>", durable="observatoire", stream="CDV_ENGAGEMENTS_PUBLIC",
                                       config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL))
        msgs = await sub.fetch(3, timeout=5)
        assert [CloudEvent.model_validate_json(m.data).data["version"] for m in msgs] == ["0", "1", "2"]
        for m in msgs:
            await m.ack()
        await ijs.delete_consumer("CDV_ENGAGEMENTS_PUBLIC", "observatoire")  # its own: allowed

        attempts = [
            ijs.consumer_info("CDV_ENGAGEMENTS", FEED),
            ijs.pull_subscribe("cdv.engagements.>", durable=FEED, stream="CDV_ENGAGEMENTS"),
            ijs.add_consumer("CDV_ENGAGEMENTS", ConsumerConfig(durable_name=FEED, filter_subject="cdv.engagements.x")),
            ijs.delete_consumer("CDV_ENGAGEMENTS", FEED),
            ijs.stream_info("CDV_PARTICIPATION_INTERNAL"),
            ijs.pull_subscribe("cdv.participation-internal.>", durable="spy", stream="CDV_PARTICIPATION_INTERNAL"),
            ijs.add_stream(StreamConfig(name="CDV_PIRATE", subjects=["cdv.pirate.>"])),
            ijs.delete_stream("CDV_ENGAGEMENTS_PUBLIC"),
            ijs.publish("cdv.engagements.engagement.defined", event(9), timeout=2),
        ]
        for attempt in attempts:
            with pytest.raises(NATS_REFUSAL):
                await asyncio.wait_for(attempt, 1.5)
        # Nor listen to a service's replies (its fetched messages arrive on its inbox).
        spied: list[bytes] = []

        async def spy(msg: Msg) -> None:
            spied.append(msg.data)

        await integrator.subscribe(inbox_prefix("notifications") + ".>", cb=spy)
        await integrator.subscribe("cdv.>", cb=spy)
        await integrator.flush()

        # A push consumer on the mirror aimed at a service subject: the server would publish on the integrator's
        # behalf. Nothing subscribes there, so nothing is delivered, and the service stream stays as it was.
        with contextlib.suppress(*NATS_REFUSAL):
            await asyncio.wait_for(ijs.add_consumer("CDV_ENGAGEMENTS_PUBLIC", ConsumerConfig(
                durable_name="push", deliver_subject="cdv.engagements.contract.loaded")), 1.5)

        taken = await service_sub.fetch(3, timeout=5)
        assert len(taken) == 3, "the service's consumer still has all its messages"
        info = await njs.consumer_info("CDV_ENGAGEMENTS", FEED)
        assert info.config.filter_subject == "cdv.engagements.>"
        await asyncio.sleep(0.3)
        assert spied == []
        assert (await engagements.jetstream().stream_info("CDV_ENGAGEMENTS")).state.messages == 3
        assert sum("permissions violation" in e.lower() for e in errors) >= len(attempts)
    finally:
        for nc in (integrator, notifications, participation, engagements):
            await nc.close()
