"""Webhook tests: a namespace of their own with notifications (private receiver addresses allowed, fast backoff)
and indicateurs, whose real events (a campaign opened by the secretariat) feed the webhooks."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from tests.conftest import ADMIN, Running, auth, identity
from tests.kernel.test_outbox import wait_for
from tests.notifications.webhooks.receiver import ORIGIN, Receiver

FAST = {"webhook_allow_private_addresses": True, "webhook_origin": ORIGIN, "webhook_poll_seconds": 0.1,
        "webhook_backoff_base_seconds": 0.2, "webhook_backoff_max_seconds": 1.0,
        "webhook_disable_after_failures": 5, "webhook_max_attempts": 8, "webhook_timeout_seconds": 1.5}
SECRETARIAT = identity("nantes-metropole", "secretariat", name="Sacha Secrétariat")
_periods = itertools.count(2031)


@pytest.fixture(scope="session")
async def hooks_namespace(namespaces: Callable[[], Awaitable[str]]) -> str:
    return await namespaces()


@pytest.fixture(scope="session")
async def hooks(service_runner: Any, hooks_namespace: str) -> AsyncIterator[dict[str, Running]]:
    async with service_runner("notifications", event_namespace=hooks_namespace, **FAST) as notif, \
            service_runner("indicateurs", event_namespace=hooks_namespace) as ind:
        yield {"notifications": notif, "indicateurs": ind}


async def open_campaign(indicateurs: Running) -> dict[str, Any]:
    """The secretariat opens a campaign for a period of its own (a real `cdv.indicateurs.campaign.opened_v2`)."""
    period = str(next(_periods))
    r = await indicateurs.client.post("/api/v1/campaigns", headers=auth(SECRETARIAT),
                                      json={"title": f"Collecte {period}", "period": period, "closes_on": "2099-12-31"})
    assert r.status_code == 201, r.text
    return r.json()


async def register(notif: Running, receiver: Receiver, *types: str) -> dict[str, Any]:
    """Registers the receiver (handshake included) and gives it the secret shown once."""
    r = await notif.client.post("/api/v1/webhooks", headers=auth(ADMIN), json={
        "url": receiver.url, "description": "Observatoire (test)", "event_types": list(types)})
    assert r.status_code == 201, r.text
    receiver.secret = r.json()["secret"]
    return r.json()


async def wait_until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    async def check() -> bool:
        return predicate()

    await wait_for(check, timeout)


@pytest.fixture
async def receivers(hooks: dict[str, Running]) -> AsyncIterator[Callable[..., Receiver]]:
    """`make(**options)` starts a receiver; each is stopped, and every endpoint deleted, after the test."""
    made: list[Receiver] = []

    def make(**options: Any) -> Receiver:
        receiver = Receiver(**options).start()
        made.append(receiver)
        return receiver

    yield make
    notif = hooks["notifications"].client
    for endpoint in (await notif.get("/api/v1/webhooks", headers=auth(ADMIN))).json():
        await notif.delete(f"/api/v1/webhooks/{endpoint['id']}", headers=auth(ADMIN))
    for receiver in made:
        receiver.stop()
