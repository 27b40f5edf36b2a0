"""Transactional outbox: the event row commits with the state change; a relay publishes it afterwards.

The relay wakes when a session that recorded events commits (polling only as a fallback), publishes a batch
with the acks awaited together (`Nats-Msg-Id` = event id, so JetStream drops a re-publish), and marks rows sent
only after their ack. On PostgreSQL rows are claimed `FOR UPDATE SKIP LOCKED`, so several relays share work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from nats.js import JetStreamContext
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, bindparam, delete, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.db import Database
from kernel.events import CloudEvent, EventPayload, subject_for
from kernel.tracing import current_traceparent

log = logging.getLogger(__name__)


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("position", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("subject", String(255), nullable=False),
        Column("envelope", Text, nullable=False),
        Column("traceparent", String(64)),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("sent_at", DateTime(timezone=True), index=True),
    )


class Outbox:
    """Writes events on the caller's session; they leave only if that session commits."""

    def __init__(self, table: Table, *, source: str, namespace: str) -> None:
        self.table = table
        self.source = source
        self.namespace = namespace
        self._insert = table.insert()  # built once (see `kernel.db`)

    async def record(self, session: AsyncSession, payload: EventPayload, *, subject: str | None) -> CloudEvent:
        return (await self.record_many(session, [(payload, subject)]))[0]

    async def record_many(self, session: AsyncSession, items: Sequence[tuple[EventPayload, str | None]],
                          *, chunk: int = 1000) -> list[CloudEvent]:
        """Writes many events with multi-row INSERTs (a 10,000-row import is one transaction, not 10,000)."""
        # The request's traceparent is kept so the published event continues its trace, not the relay's.
        traceparent = current_traceparent()
        created_at = datetime.now(UTC)
        events = [CloudEvent.wrap(payload, source=self.source, subject=subject, traceparent=traceparent)
                  for payload, subject in items]
        rows = [{"event_id": e.id, "subject": subject_for(e.type, self.namespace), "envelope": e.model_dump_json(),
                 "traceparent": traceparent, "created_at": created_at} for e in events]
        for start in range(0, len(rows), chunk):
            await session.exec(self._insert, params=rows[start:start + chunk])  # type: ignore[call-overload]
        if rows:
            session.sync_session.info["outbox_dirty"] = True  # wakes the relay when this session commits
        return events


class OutboxRelay:
    def __init__(self, db: Database, js: JetStreamContext, table: Table, *, batch_size: int = 200,
                 poll_seconds: float = 1.0, keep_sent: timedelta = timedelta(days=7), linger: float = 0.005) -> None:
        self.db = db
        self.js = js
        self.table = table
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        # Sent rows are kept a while for inspection, then pruned: the stream is the history, not the outbox.
        self.keep_sent = keep_sent
        # Under load (commits closer together than this), a flush waits until `linger` after the previous one,
        # so the commits arriving meanwhile go out together: one query, one UPDATE and one commit for several
        # events rather than for each. A lone commit goes out at once.
        self.linger = linger
        # The relay's two statements, built once (a flush per commit at low rates).
        self._pending = (select(table.c.position, table.c.event_id, table.c.subject, table.c.envelope,
                                table.c.traceparent)
                         .where(table.c.sent_at.is_(None)).order_by(table.c.position).limit(batch_size)
                         .with_for_update(skip_locked=True))
        self._sent = (update(table).where(table.c.position.in_(bindparam("positions", expanding=True)))
                      .values(sent_at=bindparam("sent_at")))
        self._last_flush = -1e9
        self._last_prune = 0.0
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """Called from the DB commit hook; safe from any thread."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.db.on_commit.append(self.wake)
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self, *, timeout: float = 10.0) -> None:
        """Stops the loop, then flushes what is still pending (a bounded effort: what remains stays for next start)."""
        self._stopping = True
        self._wake.set()
        if self.wake in self.db.on_commit:
            self.db.on_commit.remove(self.wake)
        if self._task is not None:
            await asyncio.wait([self._task], timeout=timeout)
        try:
            await asyncio.wait_for(self.flush(), timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - rows stay pending and go out at the next start
            log.warning("outbox flush at shutdown incomplete: %s", exc)

    async def _run(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            self._wake.clear()
            if self._stopping:
                break
            loop = asyncio.get_running_loop()
            if (pause := self._last_flush + self.linger - loop.time()) > 0:
                await asyncio.sleep(pause)
            self._last_flush = loop.time()
            try:
                await self.flush()
                if asyncio.get_running_loop().time() - self._last_prune > 3600:
                    self._last_prune = asyncio.get_running_loop().time()
                    await self.prune()
            except Exception:
                log.exception("outbox relay failed; will retry")

    async def flush(self) -> int:
        """Publishes until nothing is pending; returns how many events went out."""
        total = 0
        while True:
            sent = await self.publish_batch()
            total += sent
            if sent < self.batch_size:
                return total

    async def publish_batch(self) -> int:
        async with self.db.session() as session:
            rows = (await session.exec(self._pending)).all()  # type: ignore[call-overload]
            if not rows:
                return 0
            results = await asyncio.gather(*(self._publish(r) for r in rows), return_exceptions=True)
            # Only the run of successes before the first failure is marked: the rest is re-published in order
            # next time (JetStream drops the duplicates by Nats-Msg-Id).
            done = []
            for row, result in zip(rows, results, strict=True):
                if isinstance(result, BaseException):
                    log.warning("publish of %s failed: %s", row.event_id, result)
                    break
                done.append(row.position)
            if done:
                await self._mark_sent(session, done)
            await session.commit()
            return len(done)

    async def _mark_sent(self, session: AsyncSession, positions: list[int]) -> None:
        await session.exec(self._sent,  # type: ignore[call-overload]
                           params={"positions": positions, "sent_at": datetime.now(UTC)})

    async def _publish(self, row) -> None:  # type: ignore[no-untyped-def]
        headers = {"Nats-Msg-Id": row.event_id, "Content-Type": "application/cloudevents+json"}
        if row.traceparent:
            headers["traceparent"] = row.traceparent
        await self.js.publish(row.subject, row.envelope.encode(), headers=headers)

    async def prune(self) -> int:
        """Deletes rows sent longer ago than `keep_sent`; pending rows are never touched."""
        t = self.table
        async with self.db.session() as session:
            result = await session.exec(delete(t).where(t.c.sent_at.is_not(None),
                                                        t.c.sent_at < datetime.now(UTC) - self.keep_sent))
            await session.commit()
            return result.rowcount

    async def backlog(self) -> int:
        async with self.db.session() as session:
            t = self.table
            return (await session.exec(select(func.count()).select_from(t).where(t.c.sent_at.is_(None)))).scalar_one()
