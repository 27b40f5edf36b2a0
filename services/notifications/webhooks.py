"""Webhooks for integrators without NATS access: endpoints, the delivery queue and log, replay, notices.

An administrator registers a URL and the event types wanted; the platform makes the signing secret, shows it once
and first asks the URL's consent (CloudEvents validation handshake). Public events of the four services' streams
are consumed durably; each one wanted by an endpoint becomes one delivery row (unique per endpoint and event, so
an event delivered twice by NATS is queued once). `webhook_dispatch.py` sends the queue; `webhook_http.py` speaks
HTTP. Internal streams (`cdv.<service>-internal.…`, personal data) are never consumed here.

Event-type filters use NATS wildcards: `*` stands for one token, `>` for the rest, e.g. `cdv.indicateurs.>` or
`cdv.*.campaign.opened`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint, delete, func, update
from sqlmodel import Field, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.consumer import Delivery, Subscription
from kernel.errors import DomainError, Forbidden, Invalid
from kernel.events import is_internal
from kernel.identity import Identity
from kernel.rows import get_or_404
from services.notifications import webhook_http
from services.notifications.models import Base
from services.notifications.settings import Settings

PUBLIC_SERVICES = ("engagements", "indicateurs", "participation", "notifications")
FEED_SERVICES = ("engagements", "indicateurs")  # their events reach the queue through the feed's consumer
ROTATION_GRACE = timedelta(hours=24)  # the previous secret keeps signing this long after a rotation
REPLAY_MAX = 10_000
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


def now() -> datetime:
    return datetime.now(UTC)


class WebhookEndpoint(Base, table=True):
    """A URL an administrator registered, with the event types it wants."""

    __tablename__ = "webhook_endpoint"
    id: str = Field(default_factory=lambda: uuid.uuid4().hex, primary_key=True, max_length=32)
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=200)
    event_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Kept in clear because signing needs the key itself (an HMAC cannot be made from a hash of it);
    # never returned after registration, never logged.
    secret: str = Field(max_length=100)
    previous_secret: str | None = Field(default=None, max_length=100)
    previous_secret_until: datetime | None = None
    validated_at: datetime | None = None  # consent given in the handshake; nothing is sent before
    handshake: str = Field(default="", max_length=500)
    enabled: bool = True
    disabled_reason: str | None = Field(default=None, max_length=500)
    disabled_at: datetime | None = None
    consecutive_failures: int = 0
    retry_after: datetime | None = None  # after a failure, the endpoint rests until then (backoff)
    created_at: datetime = Field(default_factory=now)
    created_by: str = Field(max_length=80)

    def signing_secrets(self, at: datetime) -> list[str]:
        keep_previous = self.previous_secret and self.previous_secret_until and self.previous_secret_until > at
        return [self.secret, self.previous_secret] if keep_previous else [self.secret]  # type: ignore[list-item]


class WebhookDelivery(Base, table=True):
    """One event for one endpoint: queued, delivered or given up; its attempts are logged apart."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (UniqueConstraint("endpoint_id", "event_id"),)  # the idempotency key
    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: str = Field(foreign_key="webhook_endpoint.id", index=True, max_length=32)
    event_id: str = Field(max_length=64)
    event_type: str = Field(max_length=120, index=True)
    event_time: datetime
    body: str = Field(sa_column=Column(Text, nullable=False))  # the CloudEvent, as sent
    status: str = Field(default=PENDING, max_length=20, index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default_factory=now, index=True)
    last_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = None
    replays: int = 0
    created_at: datetime = Field(default_factory=now, index=True)


class WebhookAttempt(Base, table=True):
    """One HTTP attempt of a delivery: what the receiver answered, and how long it took."""

    __tablename__ = "webhook_attempt"
    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_delivery.id", index=True)
    at: datetime = Field(default_factory=now)
    ok: bool
    status_code: int | None = None
    duration_ms: int
    answer: str | None = Field(default=None, sa_column=Column(Text))
    error: str | None = Field(default=None, max_length=500)


class WebhookNotice(Base, table=True):
    """A notice for the administrators (an endpoint disabled after repeated failures), shown on the admin page."""

    __tablename__ = "webhook_notice"
    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: str | None = Field(default=None, max_length=32)
    endpoint_url: str = Field(max_length=2000)
    kind: str = Field(max_length=40)
    message: str = Field(max_length=1000)
    created_at: datetime = Field(default_factory=now)
    dismissed_at: datetime | None = None


class HandshakeFailed(DomainError):
    status_code = 422
    code = "handshake_failed"


# --- filters --------------------------------------------------------------------------------------------------

def pattern_problem(pattern: str) -> str | None:
    """Why an event-type filter is not acceptable, in French; None when it is."""
    tokens = pattern.split(".")
    if tokens[0] != "cdv" or len(tokens) < 2:
        return f"« {pattern} » : un type commence par cdv. (ex. cdv.indicateurs.value.approved)."
    if tokens[1].endswith("-internal"):
        return f"« {pattern} » : les flux internes (données personnelles) ne sont pas diffusés par webhook."
    if tokens[1] not in (*PUBLIC_SERVICES, "*", ">"):
        return f"« {pattern} » : service inconnu (attendu : {', '.join(PUBLIC_SERVICES)})."
    if len(tokens) > 4 or (len(tokens) < 4 and tokens[-1] != ">"):
        return f"« {pattern} » : attendu cdv.<service>.<entité>.<événement>, ou un préfixe terminé par « > »."
    for i, token in enumerate(tokens[1:], start=1):
        if token == ">" and i != len(tokens) - 1:
            return f"« {pattern} » : « > » ne peut être que le dernier élément."
        if token not in ("*", ">") and not (token.replace("_", "").isalnum() and token.islower()):
            return f"« {pattern} » : élément « {token} » invalide."
    return None


def matches(pattern: str, event_type: str) -> bool:
    """NATS subject matching: `*` is one token, `>` one or more trailing tokens."""
    wanted, actual = pattern.split("."), event_type.split(".")
    for i, token in enumerate(wanted):
        if token == ">":
            return len(actual) > i
        if i >= len(actual) or token not in ("*", actual[i]):
            return False
    return len(wanted) == len(actual)


def _admin(identity: Identity) -> None:
    if not identity.has("admin"):
        raise Forbidden("Seul un administrateur de la plateforme peut gérer les webhooks.")


# --- endpoints ------------------------------------------------------------------------------------------------

async def register(session: AsyncSession, settings: Settings, *, identity: Identity, url: str, description: str,
                   event_types: list[str]) -> tuple[WebhookEndpoint, str]:
    """Registers an endpoint after the validation handshake; returns it and its secret (shown once)."""
    _admin(identity)
    url = url.strip()
    types = list(dict.fromkeys(t.strip() for t in event_types if t.strip()))
    errors = []
    problem = webhook_http.url_problem(url) or await webhook_http.address_problem(
        url, allow_private=settings.webhook_allow_private_addresses)
    if problem:
        errors.append({"field": "url", "message": problem})
    if not types:
        errors.append({"field": "event_types", "message": "Choisissez au moins un type d'événement."})
    errors += [{"field": "event_types", "message": p} for t in types if (p := pattern_problem(t))]
    if errors:
        raise Invalid("Point de terminaison refusé : " + " ; ".join(e["message"] for e in errors), errors=errors)
    secret = webhook_http.new_secret()
    endpoint = WebhookEndpoint(url=url, description=description.strip(), event_types=types, secret=secret,
                               created_by=identity.user_id)
    await _validate(endpoint, settings)
    session.add(endpoint)
    await session.commit()
    return endpoint, secret


async def _validate(endpoint: WebhookEndpoint, settings: Settings) -> webhook_http.Handshake:
    async with webhook_http.client(settings.webhook_timeout_seconds) as http:
        result = await webhook_http.handshake(http, endpoint.url, origin=settings.webhook_origin,
                                              timeout=settings.webhook_timeout_seconds)
    endpoint.handshake = result.message
    endpoint.validated_at = now() if result.ok else None
    return result


async def revalidate(session: AsyncSession, settings: Settings, *, identity: Identity,
                     endpoint_id: str) -> WebhookEndpoint:
    """Runs the handshake again (e.g. once the receiver answers it)."""
    endpoint = await get_endpoint(session, identity=identity, endpoint_id=endpoint_id)
    await _validate(endpoint, settings)
    await session.commit()
    return endpoint


async def set_enabled(session: AsyncSession, settings: Settings, *, identity: Identity, endpoint_id: str,
                      enabled: bool) -> WebhookEndpoint:
    """Disables an endpoint (its deliveries wait), or enables it again after a new handshake."""
    endpoint = await get_endpoint(session, identity=identity, endpoint_id=endpoint_id)
    if not enabled:
        endpoint.enabled = False
        endpoint.disabled_at = now()
        endpoint.disabled_reason = "Désactivé par un administrateur."
    else:
        result = await _validate(endpoint, settings)
        if not result.ok:
            await session.commit()
            raise HandshakeFailed(f"Point de terminaison toujours désactivé : {result.message}",
                                  handshake=result.message)
        endpoint.enabled, endpoint.disabled_at, endpoint.disabled_reason = True, None, None
        endpoint.consecutive_failures, endpoint.retry_after = 0, None
    await session.commit()
    return endpoint


async def rotate_secret(session: AsyncSession, *, identity: Identity, endpoint_id: str) -> tuple[WebhookEndpoint, str]:
    """A new secret (shown once); the previous one still signs for 24 hours, so the receiver can switch."""
    endpoint = await get_endpoint(session, identity=identity, endpoint_id=endpoint_id)
    secret = webhook_http.new_secret()
    endpoint.previous_secret, endpoint.previous_secret_until = endpoint.secret, now() + ROTATION_GRACE
    endpoint.secret = secret
    await session.commit()
    return endpoint, secret


async def remove(session: AsyncSession, *, identity: Identity, endpoint_id: str) -> None:
    """Deletes an endpoint with its queue and log."""
    endpoint = await get_endpoint(session, identity=identity, endpoint_id=endpoint_id)
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint.id)
    await session.exec(delete(WebhookAttempt).where(col(WebhookAttempt.delivery_id).in_(deliveries)))
    await session.exec(delete(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint.id))
    await session.delete(endpoint)
    await session.commit()


async def get_endpoint(session: AsyncSession, *, identity: Identity, endpoint_id: str) -> WebhookEndpoint:
    _admin(identity)
    return await get_or_404(session, WebhookEndpoint, endpoint_id, "Ce point de terminaison n'existe pas.")


async def list_endpoints(session: AsyncSession, *, identity: Identity,
                         endpoint_id: str | None = None) -> list[tuple[WebhookEndpoint, dict[str, int]]]:
    """Every endpoint (or the one asked for), oldest first, with its deliveries counted by status."""
    if endpoint_id is not None:
        endpoints = [await get_endpoint(session, identity=identity, endpoint_id=endpoint_id)]
    else:
        _admin(identity)
        endpoints = list((await session.exec(select(WebhookEndpoint)
                                             .order_by(col(WebhookEndpoint.created_at)))).all())
    counts: dict[str, dict[str, int]] = {}
    query = select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count())
    if endpoint_id is not None:
        query = query.where(WebhookDelivery.endpoint_id == endpoint_id)
    rows = (await session.exec(query.group_by(col(WebhookDelivery.endpoint_id), col(WebhookDelivery.status)))).all()
    for owner, status, count in rows:
        counts.setdefault(owner, {})[status] = count
    return [(e, {s: counts.get(e.id, {}).get(s, 0) for s in (PENDING, DELIVERED, FAILED)}) for e in endpoints]


# --- the queue ------------------------------------------------------------------------------------------------

async def queue_event(delivery: Delivery[Any]) -> None:
    """Queues a public event for each consenting endpoint that wants its type (once per endpoint and event)."""
    event, session = delivery.event, delivery.session
    if is_internal(event.type):
        return
    # Read once per transaction: a batch of events (one fetch, one transaction) shares the list.
    endpoints = session.info.get("webhook_endpoints")
    if endpoints is None:
        endpoints = session.info["webhook_endpoints"] = (await session.exec(
            select(WebhookEndpoint).where(col(WebhookEndpoint.validated_at).is_not(None)))).all()
    targets = {e.id for e in endpoints if any(matches(p, event.type) for p in e.event_types)}
    if not targets:
        return
    queued = set((await session.exec(select(WebhookDelivery.endpoint_id).where(
        WebhookDelivery.event_id == event.id, col(WebhookDelivery.endpoint_id).in_(targets)))).all())
    body = event.model_dump_json()
    for endpoint_id in sorted(targets - queued):
        session.add(WebhookDelivery(endpoint_id=endpoint_id, event_id=event.id, event_type=event.type,
                                    event_time=event.time, body=body))


SUBSCRIPTIONS = [Subscription(durable=f"notifications_webhooks_{name}", service=name, filter=f"cdv.{name}.>",
                              handler=queue_event, batched=True)
                 for name in PUBLIC_SERVICES if name not in FEED_SERVICES]


async def list_deliveries(session: AsyncSession, *, identity: Identity, endpoint_id: str, status: str | None = None,
                          event_type: str | None = None, limit: int = 100) -> list[WebhookDelivery]:
    """An endpoint's deliveries, newest first."""
    await get_endpoint(session, identity=identity, endpoint_id=endpoint_id)
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if status:
        query = query.where(WebhookDelivery.status == status)
    if event_type:
        query = query.where(WebhookDelivery.event_type == event_type)
    return list((await session.exec(query.order_by(col(WebhookDelivery.id).desc()).limit(limit))).all())


async def get_delivery(session: AsyncSession, *, identity: Identity,
                       delivery_id: int) -> tuple[WebhookDelivery, list[WebhookAttempt]]:
    """A delivery with every attempt, newest first."""
    _admin(identity)
    found = await get_or_404(session, WebhookDelivery, delivery_id, "Cette livraison n'existe pas (ou plus).")
    attempts = (await session.exec(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
                                   .order_by(col(WebhookAttempt.id).desc()))).all()
    return found, list(attempts)


def _requeue() -> dict[str, Any]:
    return {"status": PENDING, "attempts": 0, "next_attempt_at": now(), "replays": WebhookDelivery.replays + 1}


async def replay_delivery(session: AsyncSession, *, identity: Identity, delivery_id: int) -> WebhookDelivery:
    """Sends a delivery again (same webhook-id, fresh signature); its earlier attempts stay in the log."""
    found, _ = await get_delivery(session, identity=identity, delivery_id=delivery_id)
    await session.exec(update(WebhookDelivery).where(col(WebhookDelivery.id) == found.id).values(**_requeue()))
    await session.commit()
    await session.refresh(found)
    return found


async def replay_since(session: AsyncSession, *, identity: Identity, endpoint_id: str, event_type: str,
                       since: datetime) -> int:
    """Sends again every delivery of the endpoint whose event matches `event_type` and happened since `since`.

    Only what this endpoint's log holds: events queued for it since its registration, for `webhook_log_days`.
    """
    await get_endpoint(session, identity=identity, endpoint_id=endpoint_id)
    if problem := pattern_problem(event_type):
        raise Invalid(problem, errors=[{"field": "event_type", "message": problem}])
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    rows = (await session.exec(select(WebhookDelivery.id, WebhookDelivery.event_type).where(
        WebhookDelivery.endpoint_id == endpoint_id, col(WebhookDelivery.event_time) >= since))).all()
    ids = [delivery_id for delivery_id, type_ in rows if matches(event_type, type_)]
    if len(ids) > REPLAY_MAX:
        raise Invalid(f"{len(ids)} livraisons correspondent : c'est plus que {REPLAY_MAX}. Réduisez la période "
                      "ou choisissez un type plus précis.")
    for start in range(0, len(ids), 500):
        await session.exec(update(WebhookDelivery).where(col(WebhookDelivery.id).in_(ids[start:start + 500]))
                           .values(**_requeue()))
    await session.commit()
    return len(ids)


# --- notices --------------------------------------------------------------------------------------------------

async def list_notices(session: AsyncSession, *, identity: Identity) -> list[WebhookNotice]:
    """Notices not dismissed yet, newest first."""
    _admin(identity)
    return list((await session.exec(select(WebhookNotice).where(col(WebhookNotice.dismissed_at).is_(None))
                                    .order_by(col(WebhookNotice.id).desc()))).all())


async def dismiss_notice(session: AsyncSession, *, identity: Identity, notice_id: int) -> None:
    _admin(identity)
    notice = await get_or_404(session, WebhookNotice, notice_id, "Cet avis n'existe pas.")
    notice.dismissed_at = notice.dismissed_at or now()
    await session.commit()
