"""What participation consumes: the engagements' definitions (who pilots each one: they answer opinions; the themes
the appel à projets names), engagement progress (in detail, from the internal stream: the pack shows the pilots'
comments to members) and approved indicator values (public) for its own read model of the meeting packs, and the
notifications' proof of delivery (internal: the circulation status of each meeting).

Each handler declares the part of the event it reads (an `EventView`): fields it does not know are ignored."""

from __future__ import annotations

from datetime import datetime

from kernel.consumer import Delivery, EventView, Subscription
from services.participation.service import catalogue, circulation, readmodel


class EngagementDefined(EventView):
    engagement_number: int
    title: str
    theme_id: str
    theme_title: str
    pilots: list[str]


class PartState(EventView):
    status: str
    progress: int
    comment: str | None = None


class ProgressUpdated(EventView):
    engagement_number: int
    title: str
    organisation_id: str
    organisation_name: str
    actor_organisation_id: str | None = None
    actor_name: str
    version: int
    before: PartState
    after: PartState
    changed: list[str]
    consolidated_status: str


class ValueApproved(EventView):
    submission_id: int
    indicator_id: int
    indicator_label: str
    engagement_number: int
    period: str
    qpv_id: str | None = None
    value: float
    unit: str
    organisation_id: str


class DeliveryReport(EventView):
    delivery_id: str
    notice_kind: str
    recipient_id: str
    meeting_id: str | None = None
    agenda_version: int | None = None
    attempts: int = 1
    at: datetime
    smtp_response: str | None = None
    reason: str | None = None


async def on_progress(delivery: Delivery[ProgressUpdated]) -> None:
    d = delivery.data
    await readmodel.record_progress(delivery.session, readmodel.ProgressSeen(
        event_id=delivery.event.id, engagement_number=d.engagement_number, title=d.title,
        organisation_id=d.organisation_id, organisation_name=d.organisation_name, actor_name=d.actor_name,
        actor_organisation_id=d.actor_organisation_id, version=d.version, before_status=d.before.status,
        after_status=d.after.status, before_progress=d.before.progress, after_progress=d.after.progress,
        changed=d.changed, consolidated_status=d.consolidated_status, comment=d.after.comment, at=delivery.event.time))


async def on_value_approved(delivery: Delivery[ValueApproved]) -> None:
    d = delivery.data
    await readmodel.record_value(delivery.session, readmodel.ValueSeen(
        event_id=delivery.event.id, submission_id=d.submission_id, indicator_id=d.indicator_id,
        indicator_label=d.indicator_label, engagement_number=d.engagement_number, period=d.period, qpv_id=d.qpv_id,
        value=d.value, unit=d.unit, organisation_id=d.organisation_id, at=delivery.event.time))


async def on_engagement_defined(delivery: Delivery[EngagementDefined]) -> None:
    d = delivery.data
    await catalogue.record_engagement(delivery.session, number=d.engagement_number, title=d.title,
                                      theme_id=d.theme_id, theme_title=d.theme_title, pilots=d.pilots)


async def on_delivery(delivery: Delivery[DeliveryReport]) -> None:
    d = delivery.data
    if d.meeting_id is None:
        return  # not about a meeting (an account notice, a digest…)
    sent = delivery.event.type.endswith(".sent")
    await circulation.record_delivery(
        delivery.session, delivery_id=d.delivery_id, meeting_id=d.meeting_id, agenda_version=d.agenda_version,
        notice_kind=d.notice_kind, recipient_id=d.recipient_id, status="sent" if sent else "failed",
        detail=(d.smtp_response if sent else d.reason) or "", attempts=d.attempts, at=d.at)


SUBSCRIPTIONS = [
    Subscription(durable="participation_progress", service="engagements-internal",
                 filter="cdv.engagements-internal.engagement.progress_updated", handler=on_progress,
                 reads=ProgressUpdated, batched=True),  # one row each: under load, a fetch in one transaction
    Subscription(durable="participation_approved_values", service="indicateurs",
                 filter="cdv.indicateurs.value.approved", handler=on_value_approved, reads=ValueApproved,
                 batched=True),
    Subscription(durable="participation_deliveries", service="notifications-internal",
                 filter="cdv.notifications-internal.delivery.>", handler=on_delivery, reads=DeliveryReport),
    Subscription(durable="participation_catalogue", service="engagements",
                 filter="cdv.engagements.engagement.defined", handler=on_engagement_defined, reads=EngagementDefined),
]
