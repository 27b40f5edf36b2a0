"""A tiny ledger built only from kernel parts, to test the mechanics apart from any domain."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import nats
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select

from kernel.consumer import Delivery, EventConsumer, EventView, Subscription, inbox_table
from kernel.db import Database, new_registry
from kernel.events import EventPayload, stream_name
from kernel.messaging import ensure_stream, stream_config
from kernel.outbox import Outbox, OutboxRelay, outbox_table


class Credited(EventPayload):
    """Not registered in the catalogue: a test-only event; each test gives it a service name of its own."""

    account: str
    amount: int


class CreditedView(EventView):
    """What the ledger's consumer reads of a `Credited` event."""

    account: str
    amount: int


@dataclass
class Ledger:
    db: Database
    metadata: MetaData
    outbox: Outbox
    effects: Table
    namespace: str
    service: str

    @property
    def payload_cls(self) -> type[Credited]:
        return type("Credited", (Credited,), {"__event_type__": f"cdv.{self.service}.account.credited"})

    async def credit(self, account: str, amount: int) -> str:
        """A state change and its event in one transaction."""
        async with self.db.session() as session:
            payload = self.payload_cls(account=account, amount=amount)
            event = await self.outbox.record(session, payload, subject=f"account/{account}")
            await session.commit()
            return event.id

    async def pending(self) -> int:
        async with self.db.session() as session:
            t = self.outbox.table
            return (await session.exec(select(func.count()).select_from(t).where(t.c.sent_at.is_(None)))).scalar_one()

    async def effect_count(self, event_id: str | None = None) -> int:
        async with self.db.session() as session:
            q = select(func.count()).select_from(self.effects)
            if event_id:
                q = q.where(self.effects.c.event_id == event_id)
            return (await session.exec(q)).scalar_one()

    def relay(self, js: Any, cls: type[OutboxRelay] = OutboxRelay) -> OutboxRelay:
        return cls(self.db, js, self.outbox.table, batch_size=50, poll_seconds=0.2)

    def consumer(self, js: Any, handler: Any = None, durable: str | None = None, max_deliver: int = 3,
                 reads: type[EventView] = CreditedView, batched: bool = False) -> EventConsumer:
        async def apply(delivery: Delivery[CreditedView]) -> None:
            data = delivery.data
            await delivery.session.exec(self.effects.insert().values(event_id=delivery.event.id,
                                                                     account=data.account, amount=data.amount))

        return EventConsumer(db=self.db, js=js, inbox=self.metadata.tables["inbox"], outbox=self.outbox,
                             subscription=Subscription(durable=durable or f"ledger_{uuid.uuid4().hex[:6]}",
                                                       service=self.service, filter=f"cdv.{self.service}.>",
                                                       handler=handler or apply, reads=reads, batched=batched),
                             namespace=self.namespace, max_deliver=max_deliver, ack_wait=2)


@asynccontextmanager
async def running_with_dead_letters(consumer: EventConsumer, nats_url: str) -> AsyncIterator[asyncio.Queue]:
    """The consumer started, and the queue of the messages it sends to its dead-letter subject; stopped after."""
    nc = await nats.connect(nats_url)
    dead: asyncio.Queue = asyncio.Queue()
    await nc.subscribe(consumer.dead_letter_subject, cb=dead.put)
    await consumer.start()
    try:
        yield dead
    finally:
        await consumer.stop()
        await nc.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def ledger(request: pytest.FixtureRequest, database_factory: Any, namespace: str,
                 js: Any) -> AsyncIterator[Ledger]:
    metadata = new_registry().metadata
    outbox = outbox_table(metadata)
    inbox_table(metadata)
    effects = Table("effect", metadata, Column("id", Integer, primary_key=True),
                    Column("event_id", String(64), nullable=False), Column("account", String(40)),
                    Column("amount", Integer))
    db = Database(database_factory(request.param, "ledger"))
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)  # test scaffolding only; services use their migrations
    # A stream of its own per test, so each test counts only its own messages.
    service = f"ledger{uuid.uuid4().hex[:6]}"
    await ensure_stream(js, stream_config(stream_name(namespace, service), [f"{namespace}.{service}.>"]))
    ledger = Ledger(db=db, metadata=metadata, outbox=Outbox(outbox, source="/cdv/ledger", namespace=namespace),
                    effects=effects, namespace=namespace, service=service)
    yield ledger
    await db.dispose()
    await js.delete_stream(stream_name(namespace, service))
