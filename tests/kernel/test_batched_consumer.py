"""A batched consumer (`Subscription.batched`): what one fetch brings shares a transaction, each message in a
savepoint. The same guarantees as one by one: each effect once, a failing message undoes only itself (retried,
then dead-lettered), the others of its batch are kept."""

from __future__ import annotations

import asyncio

from kernel.consumer import Delivery
from tests.kernel.conftest import CreditedView, Ledger, running_with_dead_letters
from tests.kernel.test_outbox import wait_for


async def test_a_batch_applies_each_event_once_and_a_failing_one_undoes_only_itself(ledger: Ledger, js,
                                                                                     nats_url) -> None:
    goods = [await ledger.credit(f"compte{i}", i + 1) for i in range(40)]
    poison = await ledger.credit("mallory", 666)
    flaky = await ledger.credit("oscar", 777)  # fails at its first delivery only
    goods += [await ledger.credit(f"suite{i}", 1) for i in range(20)]
    await ledger.relay(js).flush()
    # The first event again under another message id: JetStream keeps both, the inbox must not apply it twice.
    info = await js.get_msg(f"{ledger.namespace.upper()}_{ledger.service.upper()}", 1)
    await js.publish(info.subject, info.data, headers={"Nats-Msg-Id": "replay-" + goods[0]})
    attempts: dict[str, int] = {}

    async def handler(delivery: Delivery[CreditedView]) -> None:
        attempts[delivery.event.id] = attempts.get(delivery.event.id, 0) + 1
        # The effect is written first, so a failure must undo it (the savepoint), not only skip the rest.
        await delivery.session.exec(ledger.effects.insert().values(
            event_id=delivery.event.id, account=delivery.data.account, amount=delivery.data.amount))
        if delivery.data.amount == 666 or (delivery.data.amount == 777 and attempts[delivery.event.id] == 1):
            raise RuntimeError("montant refusé")

    consumer = ledger.consumer(js, handler=handler, max_deliver=3, batched=True)
    async with running_with_dead_letters(consumer, nats_url) as dead:
        letter = await asyncio.wait_for(dead.get(), timeout=30)
        assert poison in letter.data.decode() and "montant refusé" in letter.headers["Cdv-Dead-Letter-Reason"]

        async def all_applied() -> bool:
            return await ledger.effect_count() == len(goods) + 1

        await wait_for(all_applied, timeout=20)
        for event_id in goods:
            assert await ledger.effect_count(event_id) == 1, event_id
        assert await ledger.effect_count(flaky) == 1 and attempts[flaky] == 2
        assert await ledger.effect_count(poison) == 0 and attempts[poison] == 3
        assert max(attempts[g] for g in goods) == 1  # the batch's good events were not applied again
