"""HTTP API of the webhooks (administrators only: the signed identity must carry the `admin` role).

Errors are JSON `{code, message, …}` in French: 403 `forbidden`, 404 `not_found`, 422 `invalid` (with `errors`
per field) or `handshake_failed` (the endpoint did not consent; with `handshake`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from kernel.app import RuntimeDep, SessionDep
from kernel.identity import IdentityDep
from kernel.ids import Id
from services.notifications import webhooks
from services.notifications.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookNotice

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])
FORBIDDEN = {403: {"description": "Réservé aux administrateurs"}}


class EndpointIn(BaseModel):
    url: str = Field(max_length=2000, description="Adresse https:// qui recevra les événements.")
    description: str = Field("", max_length=200)
    event_types: list[str] = Field(max_length=50, description="Types voulus ; jokers NATS `*` et `>` permis, "
                                                             "ex. `cdv.indicateurs.>`.")


class EndpointOut(BaseModel):
    id: str
    url: str
    description: str
    event_types: list[str]
    validated: bool
    validated_at: datetime | None
    handshake: str = Field(description="Résultat de la dernière validation (poignée de main CloudEvents).")
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    consecutive_failures: int
    retry_after: datetime | None
    created_at: datetime
    counts: dict[str, int] = Field(default_factory=dict, description="Livraisons par état : pending, delivered, "
                                                                     "failed.")

    @classmethod
    def of(cls, e: WebhookEndpoint, counts: dict[str, int] | None = None) -> EndpointOut:
        return cls(id=e.id, url=e.url, description=e.description, event_types=e.event_types,
                   validated=e.validated_at is not None, validated_at=e.validated_at, handshake=e.handshake,
                   enabled=e.enabled, disabled_reason=e.disabled_reason, disabled_at=e.disabled_at,
                   consecutive_failures=e.consecutive_failures, retry_after=e.retry_after, created_at=e.created_at,
                   counts=counts or {})


class EndpointWithSecret(EndpointOut):
    secret: str = Field(description="Secret de signature `whsec_…`, montré cette seule fois.")


class DeliveryOut(BaseModel):
    id: int
    endpoint_id: str
    event_id: str
    event_type: str
    event_time: datetime
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    replays: int

    @classmethod
    def of(cls, d: WebhookDelivery) -> DeliveryOut:
        return cls.model_validate(d, from_attributes=True)


class AttemptOut(BaseModel):
    at: datetime
    ok: bool
    status_code: int | None
    duration_ms: int
    answer: str | None = Field(description="Début de la réponse du récepteur (1 000 caractères au plus).")
    error: str | None

    @classmethod
    def of(cls, a: WebhookAttempt) -> AttemptOut:
        return cls.model_validate(a, from_attributes=True)


class DeliveryDetail(DeliveryOut):
    body: str = Field(description="Le CloudEvent envoyé (corps de la requête).")
    attempt_log: list[AttemptOut]


class ReplayIn(BaseModel):
    event_type: str = Field(max_length=120, description="Type ou motif (`cdv.indicateurs.>`).")
    since: datetime


class ReplayOut(BaseModel):
    count: int


class NoticeOut(BaseModel):
    id: int
    endpoint_id: str | None
    endpoint_url: str
    kind: str
    message: str
    created_at: datetime

    @classmethod
    def of(cls, n: WebhookNotice) -> NoticeOut:
        return cls.model_validate(n, from_attributes=True)


@router.get("", responses=FORBIDDEN)
async def list_endpoints(session: SessionDep, who: IdentityDep) -> list[EndpointOut]:
    """Every endpoint with its deliveries counted by state (never its secret)."""
    return [EndpointOut.of(e, counts) for e, counts in await webhooks.list_endpoints(session, identity=who)]


@router.post("", status_code=201, responses=FORBIDDEN)
async def register(body: EndpointIn, session: SessionDep, runtime: RuntimeDep, who: IdentityDep) -> EndpointWithSecret:
    """Registers an endpoint: URL checks, then the validation handshake. An endpoint that does not consent is
    kept as not validated (`validated: false`, reason in `handshake`) and receives nothing until revalidated."""
    endpoint, secret = await webhooks.register(session, runtime.settings, identity=who,  # type: ignore[arg-type]
                                               url=body.url, description=body.description,
                                               event_types=body.event_types)
    return EndpointWithSecret(**EndpointOut.of(endpoint).model_dump(), secret=secret)


@router.get("/notices", responses=FORBIDDEN)
async def notices(session: SessionDep, who: IdentityDep) -> list[NoticeOut]:
    """Notices for the administrators (endpoints disabled after repeated failures), not dismissed yet."""
    return [NoticeOut.of(n) for n in await webhooks.list_notices(session, identity=who)]


@router.post("/notices/{notice_id}/dismiss", status_code=204, responses=FORBIDDEN)
async def dismiss(notice_id: Id, session: SessionDep, who: IdentityDep) -> Response:
    """Marks a notice as read."""
    await webhooks.dismiss_notice(session, identity=who, notice_id=notice_id)
    return Response(status_code=204)


@router.get("/deliveries/{delivery_id}", responses=FORBIDDEN)
async def delivery(delivery_id: Id, session: SessionDep, who: IdentityDep) -> DeliveryDetail:
    """One delivery: the event sent and every attempt with the receiver's answer."""
    found, attempts = await webhooks.get_delivery(session, identity=who, delivery_id=delivery_id)
    return DeliveryDetail(**DeliveryOut.of(found).model_dump(), body=found.body,
                          attempt_log=[AttemptOut.of(a) for a in attempts])


@router.post("/deliveries/{delivery_id}/replay", responses=FORBIDDEN)
async def replay_delivery(delivery_id: Id, session: SessionDep, who: IdentityDep) -> DeliveryOut:
    """Sends one delivery again (same `webhook-id`, new signature and timestamp)."""
    return DeliveryOut.of(await webhooks.replay_delivery(session, identity=who, delivery_id=delivery_id))


@router.get("/{endpoint_id}", responses=FORBIDDEN)
async def endpoint(endpoint_id: str, session: SessionDep, who: IdentityDep) -> EndpointOut:
    """One endpoint with its deliveries counted by state (never its secret)."""
    [(found, counts)] = await webhooks.list_endpoints(session, identity=who, endpoint_id=endpoint_id)
    return EndpointOut.of(found, counts)


@router.delete("/{endpoint_id}", status_code=204, responses=FORBIDDEN)
async def remove(endpoint_id: str, session: SessionDep, who: IdentityDep) -> Response:
    """Deletes an endpoint, its queue and its log."""
    await webhooks.remove(session, identity=who, endpoint_id=endpoint_id)
    return Response(status_code=204)


@router.post("/{endpoint_id}/validate", responses=FORBIDDEN)
async def revalidate(endpoint_id: str, session: SessionDep, runtime: RuntimeDep, who: IdentityDep) -> EndpointOut:
    """Runs the validation handshake again."""
    return EndpointOut.of(await webhooks.revalidate(session, runtime.settings, identity=who,  # type: ignore[arg-type]
                                                    endpoint_id=endpoint_id))


@router.post("/{endpoint_id}/disable", responses=FORBIDDEN)
async def disable(endpoint_id: str, session: SessionDep, runtime: RuntimeDep, who: IdentityDep) -> EndpointOut:
    """Stops sending to the endpoint; its deliveries keep queuing and wait."""
    return EndpointOut.of(await webhooks.set_enabled(session, runtime.settings, identity=who,  # type: ignore[arg-type]
                                                     endpoint_id=endpoint_id, enabled=False))


@router.post("/{endpoint_id}/enable", responses=FORBIDDEN)
async def enable(endpoint_id: str, session: SessionDep, runtime: RuntimeDep, who: IdentityDep) -> EndpointOut:
    """Sends again, after a new validation handshake; what waited goes out in order."""
    return EndpointOut.of(await webhooks.set_enabled(session, runtime.settings, identity=who,  # type: ignore[arg-type]
                                                     endpoint_id=endpoint_id, enabled=True))


@router.post("/{endpoint_id}/rotate-secret", responses=FORBIDDEN)
async def rotate_secret(endpoint_id: str, session: SessionDep, who: IdentityDep) -> EndpointWithSecret:
    """A new secret, shown once; for 24 hours deliveries carry a signature with each secret."""
    endpoint, secret = await webhooks.rotate_secret(session, identity=who, endpoint_id=endpoint_id)
    return EndpointWithSecret(**EndpointOut.of(endpoint).model_dump(), secret=secret)


@router.get("/{endpoint_id}/deliveries", responses=FORBIDDEN)
async def deliveries(endpoint_id: str, session: SessionDep, who: IdentityDep,
                     status: Literal["pending", "delivered", "failed"] | None = None, event_type: str | None = None,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[DeliveryOut]:
    """The endpoint's delivery log, newest first."""
    found = await webhooks.list_deliveries(session, identity=who, endpoint_id=endpoint_id, status=status,
                                           event_type=event_type, limit=max(1, min(limit, 1000)))
    return [DeliveryOut.of(d) for d in found]


@router.post("/{endpoint_id}/replay", responses=FORBIDDEN)
async def replay_since(endpoint_id: str, body: ReplayIn, session: SessionDep, who: IdentityDep) -> ReplayOut:
    """Sends again the endpoint's deliveries of a type since a date (from this service's delivery log only)."""
    count = await webhooks.replay_since(session, identity=who, endpoint_id=endpoint_id, event_type=body.event_type,
                                        since=body.since)
    return ReplayOut(count=count)
