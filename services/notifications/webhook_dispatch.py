"""Sending the webhook queue: claim due deliveries, POST them, log each attempt, back off, disable what keeps failing.

The queue is in the database, so a restart loses nothing. A claimed delivery gets a lease (its next attempt moved
past the request's time-out) before any request leaves, so two instances never send it at once, and a process
killed mid-request sends it again when the lease runs out: delivery is at least once, and receivers dedupe on
`webhook-id` (the event id). After a failure both the delivery and its endpoint back off exponentially (with
jitter), so a receiver that is down is probed, not flooded; its other deliveries wait for it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy import delete, update
from sqlmodel import col, or_, select

from kernel.db import Database
from services.notifications import webhook_http
from services.notifications.settings import Settings
from services.notifications.webhooks import (
    DELIVERED,
    FAILED,
    PENDING,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookNotice,
    now,
)

log = logging.getLogger(__name__)


def backoff(failures: int, *, base: float, cap: float) -> float:
    """Seconds to wait after the n-th failure: doubling from `base` up to `cap`, with "equal jitter" (between half
    and all of it) so that many deliveries failing together do not come back together."""
    delay = min(cap, base * 2 ** max(0, failures - 1))
    return delay / 2 + random.uniform(0, delay / 2)


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    endpoint_id: str
    event_id: str
    body: str
    url: str
    secrets: list[str]
    replays: int  # as claimed: a replay asked while the request was out keeps the delivery queued


class Dispatcher:
    def __init__(self, db: Database, http: httpx.AsyncClient, settings: Settings) -> None:
        self.db = db
        self.http = http
        self.settings = settings
        self._leased: set[int] = set()  # claimed here and not recorded yet

    def _backoff(self, failures: int) -> float:
        return backoff(failures, base=self.settings.webhook_backoff_base_seconds,
                       cap=self.settings.webhook_backoff_max_seconds)

    async def run_once(self) -> int:
        """Sends what is due; returns how many deliveries were claimed."""
        claimed = await self.claim()
        by_endpoint: dict[str, list[Claimed]] = defaultdict(list)
        for item in claimed:
            by_endpoint[item.endpoint_id].append(item)
        await asyncio.gather(*(self._send_in_order(items) for items in by_endpoint.values()))
        return len(claimed)

    async def claim(self) -> list[Claimed]:
        """Takes due deliveries of enabled, consenting, not resting endpoints, and leases them."""
        at = now()
        lease = at + timedelta(seconds=self.settings.webhook_timeout_seconds * 2 + 30)
        d, e = WebhookDelivery, WebhookEndpoint
        async with self.db.session() as session:
            rows = (await session.exec(
                select(d.id, d.endpoint_id, d.event_id, d.body, d.replays, e.url, e.secret, e.previous_secret,
                       e.previous_secret_until)
                .join(e, col(e.id) == col(d.endpoint_id))
                .where(d.status == PENDING, col(d.next_attempt_at) <= at, col(e.enabled).is_(True),
                       col(e.validated_at).is_not(None), or_(col(e.retry_after).is_(None), col(e.retry_after) <= at))
                .order_by(col(d.id)).limit(self.settings.webhook_batch_size)
                .with_for_update(skip_locked=True, of=d)  # type: ignore[arg-type]
            )).all()
            if not rows:
                return []
            self._leased.update(r[0] for r in rows)  # before the commit: a stop from here on releases them
            await session.exec(update(d).where(col(d.id).in_([r[0] for r in rows])).values(next_attempt_at=lease))
            await session.commit()
        claimed = []
        for delivery_id, endpoint_id, event_id, body, replays, url, secret, previous, previous_until in rows:
            keys = [secret] + ([previous] if previous and previous_until and previous_until > at else [])
            claimed.append(Claimed(delivery_id, endpoint_id, event_id, body, url, keys, replays))
        return claimed

    async def _send_in_order(self, items: list[Claimed]) -> None:
        """One endpoint's deliveries in queue order; after a failure the rest wait for the endpoint's backoff."""
        for index, item in enumerate(items):
            outcome = await webhook_http.deliver(
                self.http, item.url, body=item.body, msg_id=item.event_id, secrets_=item.secrets,
                origin=self.settings.webhook_origin, timeout=self.settings.webhook_timeout_seconds,
                allow_private=self.settings.webhook_allow_private_addresses)
            await self.record(item, outcome)
            if not outcome.ok:
                await self._release([i.delivery_id for i in items[index + 1:]])
                return

    async def _release(self, delivery_ids: list[int]) -> None:
        """Gives back leased deliveries untried: due again, held by the endpoint's backoff."""
        if not delivery_ids:
            return
        async with self.db.session() as session:
            await session.exec(update(WebhookDelivery).where(col(WebhookDelivery.id).in_(delivery_ids),
                                                             WebhookDelivery.status == PENDING)
                               .values(next_attempt_at=now()))
            await session.commit()
        self._leased.difference_update(delivery_ids)

    async def release_unsent(self) -> None:
        """At a graceful stop: what this process took and did not record is due again at once (after a crash,
        the lease runs out instead)."""
        await self._release(sorted(self._leased))

    async def record(self, item: Claimed, outcome: webhook_http.Outcome) -> None:
        """Logs the attempt and moves the delivery and its endpoint on, in one transaction."""
        await self._record(item, outcome)
        self._leased.discard(item.delivery_id)  # only once recorded: a stop before this releases it

    async def _record(self, item: Claimed, outcome: webhook_http.Outcome) -> None:
        at = now()
        async with self.db.session() as session:
            delivery = await session.get(WebhookDelivery, item.delivery_id)
            endpoint = await session.get(WebhookEndpoint, item.endpoint_id)
            if delivery is None or endpoint is None:  # deleted meanwhile
                return
            session.add(WebhookAttempt(delivery_id=delivery.id, at=at, ok=outcome.ok, status_code=outcome.status_code,
                                       duration_ms=outcome.duration_ms, answer=outcome.answer,
                                       error=(outcome.error or "")[:500] or None))
            delivery.last_attempt_at, delivery.last_status_code = at, outcome.status_code
            delivery.last_error = (outcome.error or "")[:500] or None
            replayed = delivery.replays != item.replays  # asked again meanwhile: stays queued as the replay set it
            if not replayed:
                delivery.attempts += 1
            if outcome.ok:
                if not replayed:
                    delivery.status, delivery.delivered_at, delivery.next_attempt_at = DELIVERED, at, None
                endpoint.consecutive_failures, endpoint.retry_after = 0, None
                await session.commit()
                return
            if not replayed and delivery.attempts >= self.settings.webhook_max_attempts:
                delivery.status, delivery.next_attempt_at = FAILED, None
            elif not replayed:
                wait = max(self._backoff(delivery.attempts), outcome.retry_after or 0)
                delivery.next_attempt_at = at + timedelta(seconds=wait)
            endpoint.consecutive_failures += 1
            rest = max(self._backoff(endpoint.consecutive_failures), outcome.retry_after or 0)
            endpoint.retry_after = at + timedelta(seconds=rest)
            if endpoint.enabled and (outcome.gone or
                                     endpoint.consecutive_failures >= self.settings.webhook_disable_after_failures):
                self._disable(session, endpoint, outcome)
            await session.commit()

    def _disable(self, session, endpoint: WebhookEndpoint, outcome: webhook_http.Outcome) -> None:  # type: ignore[no-untyped-def]
        """Disables an endpoint that keeps failing and leaves a notice for the administrators."""
        if outcome.gone:
            reason = outcome.error or "410"
        else:
            reason = (f"{endpoint.consecutive_failures} échecs consécutifs ; dernier : "
                      f"{outcome.error or 'erreur inconnue'}")
        endpoint.enabled, endpoint.disabled_at, endpoint.disabled_reason = False, now(), reason[:500]
        session.add(WebhookNotice(
            endpoint_id=endpoint.id, endpoint_url=endpoint.url, kind="endpoint_disabled",
            message=(f"Le webhook {endpoint.url} a été désactivé : {reason} Ses livraisons attendent ; "
                     "réactivez-le une fois le récepteur réparé.")[:1000]))
        log.warning("webhook endpoint %s disabled: %s", endpoint.id, reason)

    async def prune(self) -> int:
        """Forgets deliveries (and their attempts) older than the log's horizon; returns how many."""
        horizon = now() - timedelta(days=self.settings.webhook_log_days)
        async with self.db.session() as session:
            old = select(WebhookDelivery.id).where(col(WebhookDelivery.created_at) < horizon)
            await session.exec(delete(WebhookAttempt).where(col(WebhookAttempt.delivery_id).in_(old)))
            result = await session.exec(delete(WebhookDelivery).where(col(WebhookDelivery.created_at) < horizon))
            await session.commit()
            return result.rowcount
