"""A new integrator replays the whole history of indicator events, in order, each a valid documented event."""

from __future__ import annotations

import json

from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from kernel import asyncapi
from kernel.events import stream_name
from tests.kernel.test_outbox import wait_for


async def test_fresh_durable_consumer_replays_indicator_history_in_order(stack, js, namespace) -> None:
    indicateurs = stack["indicateurs"]

    stream = stream_name(namespace, "indicateurs")
    counts: list[int] = []

    async def definitions_published() -> bool:
        # Settled: nothing pending in the outbox and the stream no longer growing.
        counts.append((await js.stream_info(stream)).state.messages)
        return await indicateurs.runtime.relay.backlog() == 0 and counts[-1] > 50 and counts[-3:] == [counts[-1]] * 3

    await wait_for(definitions_published, timeout=30)
    total = (await js.stream_info(stream)).state.messages
    sub = await js.pull_subscribe(f"{namespace}.indicateurs.>", durable="observatoire_test", stream=stream,
                                  config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL,
                                                        ack_policy=AckPolicy.EXPLICIT))
    document = asyncapi.build(title="t", version="t")
    sequences: list[int] = []
    labels = set()
    while len(sequences) < total:
        for msg in await sub.fetch(100, timeout=5):
            event = json.loads(msg.data)
            asyncapi.validate_event(document, event)
            assert msg.headers["Nats-Msg-Id"] == event["id"]
            sequences.append(msg.metadata.sequence.stream)
            labels.add(event["data"].get("label"))
            await msg.ack()
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    assert sequences[:total] == list(range(sequences[0], sequences[0] + total))
    assert "Nombre de jumelages" in labels, "indicators defined from the contract are in the history"
    await js.delete_consumer(stream, "observatoire_test")
