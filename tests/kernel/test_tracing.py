"""A trace started by an HTTP request to one service continues in another service's consumer, across NATS."""

from __future__ import annotations

import asyncio
import json
import uuid

import nats
from opentelemetry.trace import SpanKind

from tests.conftest import auth, identity


async def test_request_trace_continues_in_consumer_of_its_event(stack, spans, namespace, nats_url) -> None:
    referent = identity("ville-nantes", "referent")
    engagements = stack["engagements"].client
    number = (await engagements.get("/api/v1/engagements", params={"pilot": "ville-nantes"},
                                    headers=auth(referent))).json()[0]["number"]
    part = next(p for p in (await engagements.get(f"/api/v1/engagements/{number}", headers=auth(referent))).json()
                ["parts"] if p["organisation_id"] == "ville-nantes")
    # The public view of the update (notifications' feed consumes it); the detailed one goes to the internal stream.
    subject = f"{namespace}.engagements.engagement.progress_updated_v2"
    marker = f"Trace test {uuid.uuid4()}"
    nc = await nats.connect(nats_url)
    published: asyncio.Queue = asyncio.Queue()
    await nc.subscribe(subject, cb=published.put)
    spans.clear()
    response = await engagements.patch(
        f"/api/v1/engagements/{number}/parts/ville-nantes", headers=auth(referent),
        json={"version": part["version"], "status": "en_cours", "progress": part["progress"] + 1,
              "comment": marker})
    assert response.status_code == 200, response.text
    while True:
        event = json.loads((await asyncio.wait_for(published.get(), 10)).data)
        if event["subject"] == f"engagement/{number}" and event["data"]["version"] == part["version"] + 1:
            break
    await nc.close()

    # The feed consumer shares the run's namespace with other tests and may have a backlog to go through first.
    server = consumer = None
    deadline = asyncio.get_running_loop().time() + 90
    while asyncio.get_running_loop().time() < deadline:
        finished = spans.get_finished_spans()
        server = next((s for s in finished if s.kind == SpanKind.SERVER and s.name.startswith("PATCH ")), None)
        consumer = next((s for s in finished if s.kind == SpanKind.CONSUMER and s.name == f"consume {subject}"
                         and "notifications" in str(s.attributes.get("messaging.consumer.name"))
                         and s.attributes.get("messaging.message.id") == event["id"]), None)
        if server and consumer:
            break
        await asyncio.sleep(0.1)
    assert server is not None, "the request's span was recorded"
    assert consumer is not None, "notifications consumed the event under a span"
    assert consumer.context.trace_id == server.context.trace_id
    # The consumer's parent is the request span or one of its descendants (FastAPI's endpoint span).
    by_id = {s.context.span_id: s for s in spans.get_finished_spans()}
    ancestor = consumer.parent.span_id if consumer.parent else None
    chain = []
    while ancestor is not None and ancestor in by_id:
        chain.append(ancestor)
        parent = by_id[ancestor].parent
        ancestor = parent.span_id if parent else None
    assert server.context.span_id in chain
