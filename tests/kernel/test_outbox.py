"""Outbox and inbox: nothing lost when the relay dies, each effect applied once."""

from __future__ import annotations

import asyncio
import contextlib
import json

from kernel.events import CloudEvent
from kernel.outbox import OutboxRelay
from tests.kernel.conftest import Ledger


class RelayKilledBeforePublish(OutboxRelay):
    """A relay whose process dies after the commit, before anything reaches NATS."""

    async def _publish(self, row) -> None:  # type: ignore[no-untyped-def]
        raise asyncio.CancelledError


class RelayKilledBeforeMarking(OutboxRelay):
    """A relay whose process dies after JetStream acked, before it could mark the rows sent."""

    async def _mark_sent(self, session, positions) -> None:  # type: ignore[no-untyped-def]
        raise asyncio.CancelledError


async def stream_count(js, ledger: Ledger) -> int:
    from kernel.events import stream_name

    return (await js.stream_info(stream_name(ledger.namespace, ledger.service))).state.messages


async def wait_for(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.1)


async def test_relay_killed_between_commit_and_publish_republishes_on_restart(ledger: Ledger, js) -> None:
    event_id = await ledger.credit("alice", 10)
    crashed = ledger.relay(js, RelayKilledBeforePublish)
    with contextlib.suppress(asyncio.CancelledError):
        await crashed.publish_batch()
    assert await ledger.pending() == 1
    assert await stream_count(js, ledger) == 0

    restarted = ledger.relay(js)
    assert await restarted.flush() == 1
    assert await ledger.pending() == 0
    assert await stream_count(js, ledger) == 1

    consumer = ledger.consumer(js)
    await consumer.start()
    try:
        await wait_for(lambda: _effects_equal(ledger, event_id, 1))
    finally:
        await consumer.stop()


async def test_relay_killed_after_publish_does_not_duplicate(ledger: Ledger, js) -> None:
    event_id = await ledger.credit("bob", 5)
    crashed = ledger.relay(js, RelayKilledBeforeMarking)
    with contextlib.suppress(asyncio.CancelledError):
        await crashed.publish_batch()
    assert await ledger.pending() == 1, "not marked sent: the crash came before the mark"
    assert await stream_count(js, ledger) == 1

    await ledger.relay(js).flush()  # re-publishes with the same Nats-Msg-Id
    assert await ledger.pending() == 0
    assert await stream_count(js, ledger) == 1, "JetStream drops the duplicate by Nats-Msg-Id"

    consumer = ledger.consumer(js)
    await consumer.start()
    try:
        await wait_for(lambda: _effects_equal(ledger, event_id, 1))
    finally:
        await consumer.stop()


async def test_same_event_delivered_twice_is_applied_once(ledger: Ledger, js) -> None:
    first = await ledger.credit("carol", 7)
    await ledger.relay(js).flush()
    # The same event again under another message id: JetStream keeps both, the consumer's inbox must not.
    info = await js.get_msg(f"{ledger.namespace.upper()}_{ledger.service.upper()}", 1)
    await js.publish(info.subject, info.data, headers={"Nats-Msg-Id": "replay-" + first})
    second = await ledger.credit("carol", 3)
    await ledger.relay(js).flush()
    assert await stream_count(js, ledger) == 3

    consumer = ledger.consumer(js)
    await consumer.start()
    try:
        await wait_for(lambda: _effects_equal(ledger, second, 1))
        assert await ledger.effect_count(first) == 1
        assert await ledger.effect_count() == 2
    finally:
        await consumer.stop()


async def test_relay_wakes_on_commit_and_keeps_order(ledger: Ledger, js) -> None:
    relay = ledger.relay(js)
    relay.poll_seconds = 30  # only the commit hook can wake it within the test's time
    relay.start()
    try:
        ids = [await ledger.credit("dan", n) for n in range(5)]
        await wait_for(lambda: _pending_is(ledger, 0), timeout=5)
    finally:
        await relay.stop()
    stream = f"{ledger.namespace.upper()}_{ledger.service.upper()}"
    published = [CloudEvent.model_validate(json.loads((await js.get_msg(stream, seq)).data)).id for seq in range(1, 6)]
    assert published == ids


async def _effects_equal(ledger: Ledger, event_id: str, n: int) -> bool:
    return await ledger.effect_count(event_id) == n


async def _pending_is(ledger: Ledger, n: int) -> bool:
    return await ledger.pending() == n


async def test_sent_rows_are_pruned_after_the_retention_but_pending_ones_stay(ledger: Ledger, js) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    await ledger.credit("old", 1)
    await ledger.relay(js).flush()
    t = ledger.outbox.table
    async with ledger.db.session() as session:
        await session.exec(update(t).values(sent_at=datetime.now(UTC) - timedelta(days=30)))
        await session.commit()
    await ledger.credit("pending", 2)  # not yet published
    assert await ledger.relay(js).prune() == 1
    assert await ledger.pending() == 1
