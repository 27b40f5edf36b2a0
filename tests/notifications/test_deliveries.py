"""Delivery records against a real SMTP server: a refused recipient is retried then failed with its reason
while the others are sent; a SIGKILLed service, restarted, sends every member exactly one e-mail."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from kernel.events import stream_name
from tests.components import free_port
from tests.conftest import SECRET, auth, identity
from tests.notifications.conftest import (
    Sink,
    agenda_published,
    meeting_ref,
    notifications_settings,
    seat_members,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[2]
SECRETARIAT = identity("nantes-metropole", "secretariat")


async def test_a_refused_recipient_is_retried_then_failed_with_its_reason(notifications, bus, sink, js) -> None:
    body = await seat_members(bus, 3)
    refused = body.emails[1]
    sink.refuse.add(refused)
    await bus.publish(agenda_published(meeting_ref("reunion-refus", body.body_id)))
    api = notifications.client

    async def settled() -> list[dict]:
        rows = (await api.get("/api/v1/meetings/reunion-refus/deliveries", headers=auth(SECRETARIAT))).json()
        return rows if rows and rows[0]["pending"] == 0 and rows[0]["sent"] + rows[0]["failed"] == 3 else []

    await wait_until(settled, what="every delivery settled")
    [summary] = await settled()
    assert (summary["sent"], summary["failed"]) == (2, 1)
    assert sink.rcpt_attempts[refused] == 3  # retried with backoff, up to the attempts allowed
    assert sorted(sink.count()) == sorted(e for e in body.emails if e != refused)
    [failure] = summary["failures"]
    assert failure["recipient_id"] == body.members[1][0] and failure["attempts"] == 3
    assert "adresse refusée" in failure["reason"] and "550" in failure["reason"]

    # The proof of delivery is published on the internal stream (the SMTP reply may quote an address): one
    # delivery.failed for the refused member, delivery.sent for others; nothing on the public stream.
    stream = stream_name(bus.ns, "notifications-internal")
    failed = await js.get_last_msg(stream, f"{bus.ns}.notifications-internal.delivery.failed")
    data = json.loads(failed.data)["data"]
    assert data["recipient_id"] == body.members[1][0] and data["meeting_id"] == "reunion-refus"
    assert "550" in data["reason"] and "@" not in json.dumps(data)  # an opaque id, never an address
    sent = await js.get_last_msg(stream, f"{bus.ns}.notifications-internal.delivery.sent")
    assert json.loads(sent.data)["data"]["smtp_response"].startswith("250")
    assert (await js.stream_info(stream_name(bus.ns, "notifications"))).state.messages == 0


@pytest.fixture
def ascii_sink() -> Any:
    """A real SMTP server that does not offer SMTPUTF8, as many still do not."""
    handler = Sink(accepted="250 2.0.0 OK", port=free_port())
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port, enable_SMTPUTF8=False)
    controller.start()
    yield handler
    controller.stop()


async def test_an_accented_address_fails_with_its_reason_and_the_others_are_sent(service_runner, bus, ascii_sink,
                                                                                  js) -> None:
    """The server does not offer SMTPUTF8: the accented address cannot be sent to; it fails once and for all with
    a French reason (no retry, no stuck row), the other members get the agenda, and the worker goes on."""
    sink = ascii_sink
    accented = "chloé.demo3@exemple.test"
    async with service_runner("notifications", **notifications_settings(bus, sink)) as svc:
        body = await seat_members(bus, 3, addresses={1: accented})
        await bus.publish(agenda_published(meeting_ref("reunion-accent", body.body_id)))

        async def settled(meeting_id: str, total: int) -> list[dict]:
            rows = (await svc.client.get(f"/api/v1/meetings/{meeting_id}/deliveries",
                                         headers=auth(SECRETARIAT))).json()
            return rows if rows and rows[0]["pending"] == 0 and rows[0]["sent"] + rows[0]["failed"] == total else []

        await wait_until(lambda: settled("reunion-accent", 3), what="every delivery settled")
        [summary] = await settled("reunion-accent", 3)
        assert (summary["sent"], summary["failed"]) == (2, 1)
        [failure] = summary["failures"]
        assert failure["recipient_id"] == body.members[1][0] and failure["attempts"] == 1
        assert "adresse non ASCII" in failure["reason"] and "SMTPUTF8" in failure["reason"]
        assert accented not in sink.count() and len(sink.count()) == 2
        failed = await js.get_last_msg(stream_name(bus.ns, "notifications-internal"),
                                       f"{bus.ns}.notifications-internal.delivery.failed")
        assert json.loads(failed.data)["data"]["recipient_id"] == body.members[1][0]

        # The worker did not stop: the next circulation goes out too.
        other = await seat_members(bus, 1, prefix="n")
        await bus.publish(agenda_published(meeting_ref("reunion-suivante", other.body_id)))
        await wait_until(lambda: settled("reunion-suivante", 1), what="the next circulation settled")
        assert sink.count()[other.emails[0]] == 1


async def test_an_accented_address_is_sent_with_smtputf8_when_the_server_offers_it(notifications, bus,
                                                                                    sink) -> None:
    accented = "chloé.demo3@exemple.test"
    body = await seat_members(bus, 1, addresses={0: accented})
    await bus.publish(agenda_published(meeting_ref("reunion-utf8", body.body_id)))
    await wait_until(lambda: sink.count()[accented] == 1, what="the accented address reached")
    [message] = sink.to(accented)
    assert accented in message["To"]
    rows = (await notifications.client.get("/api/v1/meetings/reunion-utf8/deliveries",
                                           headers=auth(SECRETARIAT))).json()
    assert rows and rows[0]["failed"] == 0


async def test_a_message_taken_but_unanswered_is_not_sent_twice(service_runner, bus, sink) -> None:
    """The server takes the message but its answer comes after the client's timeout: resending could deliver it
    twice, so the delivery counts as sent, and says it is presumed."""
    async with service_runner("notifications", **notifications_settings(bus, sink, smtp_timeout_seconds=1)) as svc:
        body = await seat_members(bus, 2)
        sink.slow.add(body.emails[0])
        await bus.publish(agenda_published(meeting_ref("reunion-lente", body.body_id)))
        api = svc.client

        async def settled() -> list[dict]:
            rows = (await api.get("/api/v1/meetings/reunion-lente/deliveries", headers=auth(SECRETARIAT))).json()
            return rows if rows and rows[0]["sent"] == 2 else []

        await wait_until(settled, what="both deliveries recorded as sent")
        await asyncio.sleep(2.5)  # a retry (backoff 0.2 s) would have come by now
        assert sink.count() == {body.emails[0]: 1, body.emails[1]: 1}
        rows = (await api.get("/api/v1/deliveries", params={"recipient_id": body.members[0][0]},
                              headers=auth(SECRETARIAT))).json()
        assert rows[0]["state"] == "sent" and rows[0]["smtp_response"].startswith("présumé remis")


def _start(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "services.notifications"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


async def test_sigkill_while_circulating_to_200_members_then_restart_sends_each_exactly_one(
        bus, sink, nats_url, tmp_path) -> None:
    body = await seat_members(bus, 200)
    port = free_port()
    values = notifications_settings(bus, sink, send_rate_per_second=60, smtp_timeout_seconds=2,
                                    delivery_poll_seconds=0.2, address_wait_seconds=60)
    env = {**os.environ, **{f"CDV_NOTIFICATIONS_{k.upper()}": str(v) for k, v in values.items()},
           "CDV_NOTIFICATIONS_NATS_URL": nats_url, "CDV_NOTIFICATIONS_PORT": str(port),
           "CDV_NOTIFICATIONS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'notifications.db'}",
           "CDV_NOTIFICATIONS_ENVIRONMENT": "test", "CDV_IDENTITY_SECRET": SECRET, "CDV_LOG_JSON": "false"}
    first = _start(env)
    second: subprocess.Popen[bytes] | None = None
    try:
        await bus.publish(agenda_published(meeting_ref("reunion-200", body.body_id)))
        await wait_until(lambda: len(sink.received) >= 40 or first.poll() is not None, timeout=60,
                         what="the circulation under way")
        assert first.poll() is None, first.stderr.read().decode()[-2000:] if first.stderr else ""
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        at_kill = len(sink.received)
        assert at_kill < 200, "the service finished before it could be killed: raise the member count"

        second = _start(env)
        await wait_until(lambda: len(sink.count()) == 200, timeout=120, what="every member reached")
        await asyncio.sleep(2)  # anything sent twice would show up now
        counts = sink.count()
        assert sorted(counts) == sorted(body.emails)
        assert set(counts.values()) == {1}, {a: n for a, n in counts.items() if n != 1}

        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            async def all_recorded() -> bool:
                r = await client.get("/api/v1/meetings/reunion-200/deliveries",
                                     headers=auth(SECRETARIAT, audience="notifications"))
                return r.status_code == 200 and r.json()[0]["sent"] == 200

            await wait_until(all_recorded, timeout=60, what="200 deliveries recorded as sent")
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
