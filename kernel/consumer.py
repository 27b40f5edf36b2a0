"""Idempotent JetStream consumers: durable pull consumer, explicit ack, inbox, dead-letter after N tries.

The inbox row (consumer, event id) is written in the same transaction as the handler's effect, so a message
delivered twice has its effect applied once. A handler that keeps failing sends the message to
`<namespace>.dlq.<consumer>` after `max_deliver` deliveries, and consumption goes on.

A subscription marked `batched` takes what one fetch brought in one transaction, each message in a savepoint of
its own (a failing handler undoes only its message): under load, one commit and one session for many events
instead of one each. It is for handlers that only write on the session they are given (no commit of their own);
if anything goes wrong at the batch level, the messages are taken again one by one. Once it has caught up, such a
consumer waits `linger` (200 ms) before its next fetch, so that the events arriving meanwhile come in one fetch and
one transaction rather than each in its own: under load, copies fed by events lag up to that much more (at 50
events/s, 200 ms took a sixth to a fifth less CPU than 50 ms, which took a fifth less than none). A lone event is
taken as soon as it comes: the pause follows a fetch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import Column, DateTime, MetaData, PrimaryKeyConstraint, String, Table, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel import audit
from kernel.db import Database
from kernel.events import CloudEvent, stream_name, subject_for
from kernel.messaging import DEAD_LETTER_SERVICE, ensure_stream, stream_config
from kernel.outbox import Outbox
from kernel.tracing import extract_context, tracer

log = logging.getLogger(__name__)



class EventView(BaseModel):
    """The part of an event's data a consumer reads, declared by the consumer itself.

    Fields the consumer does not know are ignored, so a publisher adding a field breaks no one; a missing or
    mistyped field the consumer needs fails the delivery (and after N tries sends it to the dead letter).
    """

    model_config = ConfigDict(extra="ignore", frozen=True)


V = TypeVar("V", bound=BaseModel)


@dataclass(frozen=True)
class Delivery(Generic[V]):
    """What a handler gets: the event, its data read through the subscription's view (the raw dict when the
    subscription declares none), the session its effect is written on, and the service's outbox."""

    event: CloudEvent
    session: AsyncSession
    outbox: Outbox
    data: V = None  # type: ignore[assignment]


Handler = Callable[[Delivery[Any]], Awaitable[None]]


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("consumer", String(100), nullable=False),
        Column("event_id", String(64), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False),
        PrimaryKeyConstraint("consumer", "event_id"),
    )


@dataclass(frozen=True)
class Subscription:
    """What a service consumes: a durable name, the owning service's stream and a subject filter."""

    durable: str
    service: str  # service whose stream holds the events, e.g. "engagements"
    filter: str  # canonical subject filter, e.g. "cdv.engagements.>"
    handler: Handler
    # The view of `event.data` the handler reads; None hands it the raw dict (e.g. a feed of every type).
    reads: type[BaseModel] | None = None
    # Whether a fetch's messages may share one transaction (the handler never commits: see the module's note).
    batched: bool = False


def durable_name(namespace: str, durable: str) -> str:
    """The JetStream consumer name of a subscription, e.g. `cdv_notifications_feed_engagements`."""
    return f"{namespace}_{durable}".replace(".", "_")


class EventConsumer:
    def __init__(self, *, db: Database, js: JetStreamContext, inbox: Table, outbox: Outbox,
                 subscription: Subscription, namespace: str, max_deliver: int = 5, ack_wait: float = 30.0,
                 batch: int = 20, replicas: int = 1, linger: float = 0.2) -> None:
        self.db = db
        self.js = js
        self.inbox = inbox
        self.outbox = outbox
        self.sub_spec = subscription
        self.namespace = namespace
        self.max_deliver = max_deliver
        self.ack_wait = ack_wait
        self.batch = batch
        self.linger = linger
        # Built once (see `kernel.db`).
        self._inbox_insert = inbox.insert()
        self._inbox_seen = select(inbox.c.event_id).where(inbox.c.consumer == bindparam("consumer"),
                                                          inbox.c.event_id.in_(bindparam("ids", expanding=True)))
        self.replicas = replicas
        self.durable = durable_name(namespace, subscription.durable)
        self.dead_letter_subject = f"{namespace}.{DEAD_LETTER_SERVICE}.{subscription.durable}"
        self._tracer = tracer("consumer")
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.subscribed = asyncio.Event()
        self._busy = False

    async def start(self) -> None:
        """Subscribes in the background: the source stream may not exist yet if its service starts later."""
        await ensure_stream(self.js, stream_config(stream_name(self.namespace, DEAD_LETTER_SERVICE),
                                                   [f"{self.namespace}.{DEAD_LETTER_SERVICE}.>"], self.replicas))
        self._task = asyncio.create_task(self._run(), name=f"consumer-{self.durable}")

    async def _subscribe(self) -> None:
        filter_subject = subject_for(self.sub_spec.filter, self.namespace)
        delay = first = 0.5
        while not self._stopping.is_set():
            try:
                self._sub = await self.js.pull_subscribe(
                    filter_subject,
                    durable=self.durable,
                    stream=stream_name(self.namespace, self.sub_spec.service),
                    config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, max_deliver=self.max_deliver,
                                          ack_wait=self.ack_wait, deliver_policy=DeliverPolicy.ALL),
                )
                self.subscribed.set()
                return
            except NotFoundError:
                # Said once at INFO; the retries every few seconds until the owner starts are DEBUG noise.
                log.log(logging.INFO if delay == first else logging.DEBUG, "stream of %s not there yet; %s waits",
                        self.sub_spec.service, self.durable)
            await self._pause(delay)
            delay = min(delay * 2, 5)

    async def stop(self, timeout: float = 10.0) -> None:
        """Stops fetching at once; messages in hand are finished first (up to `timeout`)."""
        self._stopping.set()
        if self._task is None:
            return
        if not self._busy:
            self._task.cancel()  # waiting for messages or for the stream: nothing in flight to lose
        await asyncio.wait([self._task], timeout=timeout)
        if not self._task.done():
            self._task.cancel()
        if self.subscribed.is_set():
            try:
                await self._sub.unsubscribe()  # before the connection drains, so nothing waits on it
            except Exception as exc:  # noqa: BLE001 - the connection may already be closing
                log.debug("unsubscribe of %s: %s", self.durable, exc)

    async def _run(self) -> None:
        await self._subscribe()
        while not self._stopping.is_set():
            try:
                msgs = await self._sub.fetch(self.batch, timeout=1)
            except TimeoutError:
                continue
            except Exception:
                log.exception("fetch failed on %s", self.durable)
                await self._pause(1)
                continue
            self._busy = True
            try:
                if self.sub_spec.batched and len(msgs) > 1:
                    await self.process_batch(msgs)
                else:
                    for msg in msgs:
                        await self.process(msg)
            finally:
                self._busy = False
            if self.sub_spec.batched and len(msgs) < self.batch:
                # Caught up: let the next events gather a moment, to be taken in one fetch and one transaction
                # (each fetch of a single message is a pull request, its reply and a commit of its own).
                await self._pause(self.linger)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    def _consume_span(self, msg: Msg) -> AbstractContextManager[Span]:
        """The CONSUMER span of one message, child of the trace its event carries."""
        return self._tracer.start_as_current_span(f"consume {msg.subject}", context=extract_context(msg.headers),
                                                  kind=SpanKind.CONSUMER,
                                                  attributes={"messaging.consumer.name": self.durable})

    def _actor(self) -> AbstractContextManager[None]:
        """Who the audit log names for a change made on an event."""
        return audit.acting_as(audit.Actor(f"système ({self.durable})"))

    async def _seen(self, session: AsyncSession, event_ids: list[str]) -> set[str]:
        """Which of these events this consumer has already applied (its inbox)."""
        rows = await session.exec(self._inbox_seen,  # type: ignore[call-overload]
                                  params={"consumer": self.durable, "ids": event_ids})
        return {row[0] for row in rows.all()}

    async def process(self, msg: Msg) -> None:
        with self._consume_span(msg) as span:
            try:
                event = CloudEvent.model_validate_json(msg.data)
            except ValidationError as exc:
                log.error("malformed message on %s: %s", msg.subject, exc)
                await self._dead_letter(msg, f"malformed: {exc.errors()[0]['msg']}")
                return
            span.set_attribute("messaging.message.id", event.id)
            try:
                with self._actor():
                    await self._apply_once(event)
            except Exception as exc:  # noqa: BLE001 - any handler failure counts as a failed delivery
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR))
                await self._failed(msg, event, exc)
                return
            await msg.ack()

    async def process_batch(self, msgs: list[Msg]) -> None:
        """The messages of one fetch in one transaction, each in a savepoint; acks after the commit. A message
        whose handler fails is handled as `process` would (retried later, or dead-lettered); a failure of the
        batch itself (the commit) has every message taken again one by one."""
        events: list[tuple[Msg, CloudEvent]] = []
        for msg in msgs:
            try:
                events.append((msg, CloudEvent.model_validate_json(msg.data)))
            except ValidationError:
                await self.process(msg)  # malformed: dead-lettered there, with its reason
        failed: list[tuple[Msg, CloudEvent, Exception]] = []
        try:
            async with self.db.session() as session:
                seen = await self._seen(session, [event.id for _, event in events])
                for msg, event in events:
                    if event.id in seen:
                        continue
                    seen.add(event.id)  # the same event twice in one fetch: applied once
                    with self._consume_span(msg) as span:
                        span.set_attribute("messaging.message.id", event.id)
                        try:
                            async with session.begin_nested():
                                with self._actor():
                                    await self._apply(session, event)
                        except Exception as exc:  # noqa: BLE001 - this message only; the others go on
                            span.record_exception(exc)
                            span.set_status(Status(StatusCode.ERROR))
                            failed.append((msg, event, exc))
                await session.commit()
        except Exception as exc:  # noqa: BLE001 - the batch as a whole: each message again, on its own
            log.warning("batch of %s messages on %s failed (%s); taken one by one", len(events), self.durable, exc)
            for msg, _ in events:
                await self.process(msg)
            return
        failures = {id(msg) for msg, _, _ in failed}
        for msg, event, exc in failed:
            await self._failed(msg, event, exc)
        for msg, _ in events:
            if id(msg) not in failures:
                await msg.ack()

    async def _failed(self, msg: Msg, event: CloudEvent, exc: Exception) -> None:
        """A delivery whose handler failed: retried after a delay, or dead-lettered after `max_deliver`."""
        delivered = msg.metadata.num_delivered
        log.warning("handler %s failed on %s (delivery %s/%s): %s", self.durable, event.id,
                    delivered, self.max_deliver, exc)
        if delivered >= self.max_deliver:
            await self._dead_letter(msg, repr(exc))
        else:
            await msg.nak(delay=min(0.2 * 2 ** delivered, 30))

    async def _apply(self, session: AsyncSession, event: CloudEvent) -> None:
        """The inbox row and the handler's effect, on `session` (not committed here)."""
        await self._record_inbox(session, event)
        await self._handle(session, event)

    async def _record_inbox(self, session: AsyncSession, event: CloudEvent) -> None:
        await session.exec(self._inbox_insert,  # type: ignore[call-overload]
                           params={"consumer": self.durable, "event_id": event.id, "processed_at": datetime.now(UTC)})

    async def _handle(self, session: AsyncSession, event: CloudEvent) -> None:
        reads = self.sub_spec.reads
        data = reads.model_validate(event.data) if reads is not None else event.data
        await self.sub_spec.handler(Delivery(event=event, session=session, outbox=self.outbox, data=data))

    async def _apply_once(self, event: CloudEvent) -> None:
        async with self.db.session() as session:
            # The inbox row first, rather than a query before: an event already applied stops at its key, before
            # the handler runs. That includes another instance applying it at the same moment: on PostgreSQL the
            # second INSERT waits for the first transaction and fails once it commits (SQLite takes one writer at a
            # time). So an integrity error at the commit is the handler's own, a failure like any other.
            try:
                await self._record_inbox(session, event)
            except IntegrityError:
                return
            await self._handle(session, event)
            await session.commit()

    async def _dead_letter(self, msg: Msg, reason: str) -> None:
        headers = dict(msg.headers or {})
        headers.pop("Nats-Msg-Id", None)
        headers.update({"Cdv-Dead-Letter-Reason": reason[:500], "Cdv-Original-Subject": msg.subject})
        await self.js.publish(self.dead_letter_subject, msg.data, headers=headers)
        await msg.term()
        log.error("message on %s sent to %s: %s", msg.subject, self.dead_letter_subject, reason)
