"""A handler that keeps failing sends its message to the dead-letter subject; consumption goes on."""

from __future__ import annotations

import asyncio

from kernel.consumer import Delivery, EventView
from tests.kernel.conftest import CreditedView, Ledger, running_with_dead_letters
from tests.kernel.test_outbox import wait_for


async def test_poison_message_goes_to_dead_letter_and_consumer_keeps_going(ledger: Ledger, js, nats_url) -> None:
    poison = await ledger.credit("mallory", 666)
    good = await ledger.credit("erin", 1)
    await ledger.relay(js).flush()
    attempts: dict[str, int] = {}

    async def handler(delivery: Delivery[CreditedView]) -> None:
        attempts[delivery.event.id] = attempts.get(delivery.event.id, 0) + 1
        if delivery.data.amount == 666:
            raise RuntimeError("montant refusé")
        await delivery.session.exec(ledger.effects.insert().values(event_id=delivery.event.id, account="erin",
                                                                   amount=1))

    consumer = ledger.consumer(js, handler=handler, max_deliver=3)
    async with running_with_dead_letters(consumer, nats_url) as dead:
        letter = await asyncio.wait_for(dead.get(), timeout=20)
        assert letter.headers["Cdv-Original-Subject"].endswith(".account.credited")
        assert "montant refusé" in letter.headers["Cdv-Dead-Letter-Reason"]
        assert poison in letter.data.decode()
        assert attempts[poison] == 3
        await wait_for(lambda: _has_effect(ledger, good))
        assert await ledger.effect_count(poison) == 0

        # Still consuming after the dead letter: a new event is applied.
        later = await ledger.credit("erin", 2)
        await ledger.relay(js).flush()
        await wait_for(lambda: _has_effect(ledger, later))


class CreditedInEuros(EventView):
    """A view asking for a field the publisher never sends."""

    account: str
    currency: str


async def test_an_event_missing_a_field_the_view_needs_goes_to_dead_letter(ledger: Ledger, js, nats_url) -> None:
    event_id = await ledger.credit("frank", 3)
    await ledger.relay(js).flush()
    handled: list[str] = []

    async def handler(delivery: Delivery[CreditedInEuros]) -> None:
        handled.append(delivery.data.currency)

    consumer = ledger.consumer(js, handler=handler, max_deliver=2, reads=CreditedInEuros)
    async with running_with_dead_letters(consumer, nats_url) as dead:
        letter = await asyncio.wait_for(dead.get(), timeout=20)
        assert event_id in letter.data.decode()
        reason = letter.headers["Cdv-Dead-Letter-Reason"]
        assert "validation error for CreditedInEuros" in reason and "currency" in reason, reason
        assert handled == [] and await ledger.effect_count(event_id) == 0


async def _has_effect(ledger: Ledger, event_id: str) -> bool:
    return await ledger.effect_count(event_id) == 1
