"""Readiness follows the real dependencies: a service whose NATS goes away answers 503, and still stops."""

from __future__ import annotations

import asyncio

from tests import components


async def test_readyz_turns_503_when_nats_goes_away(service_runner) -> None:
    if components.nats_server_binary() is None:
        components.missing("nats-server", "no binary to start a NATS this test may stop")
    own = components.OwnNats()
    try:
        async with service_runner("participation", nats_url=own.url, shutdown_timeout_seconds=2) as part:
            ready = await part.client.get("/readyz")
            assert ready.status_code == 200 and ready.json()["nats"] is True
            assert (await part.client.get("/healthz")).status_code == 200
            own.stop()
            for _ in range(50):
                answer = await part.client.get("/readyz")
                if answer.status_code == 503:
                    break
                await asyncio.sleep(0.1)
            assert answer.status_code == 503
            assert answer.json()["nats"] is False and answer.json()["database"] is True
            assert (await part.client.get("/healthz")).status_code == 200, "alive, just not ready"
    finally:
        if own.proc.poll() is None:
            own.stop()
