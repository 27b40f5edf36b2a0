"""What indicateurs consumes: the engagements' definitions (one indicator definition per label), and from
participation the QPV (with their national codes) and organisations, as this service's own copies, and the
indicator values participation computes from its own data.

Each handler declares the part of the event it reads (an `EventView`): fields it does not know are ignored."""

from datetime import date
from typing import Any

from kernel.consumer import Delivery, EventView, Subscription
from services.indicateurs.service import record_measure, sync_engagement, upsert_organisation, upsert_qpv


class EngagementDefined(EventView):
    contract_id: str
    engagement_number: int
    title: str
    pilots: list[str]
    indicators: list[dict[str, Any]]


class QpvRegistered(EventView):
    qpv_id: str
    name: str
    code: str | None = None
    cities: list[str] = []


class OrganisationRegistered(EventView):
    organisation_id: str
    name: str
    short_name: str | None = None
    kind: str


class MeasureComputed(EventView):
    engagement_number: int
    indicator_label: str
    on: date
    qpv_id: str | None = None
    value: float
    basis: str


async def on_engagement_defined(delivery: Delivery[EngagementDefined]) -> None:
    data = delivery.data
    await sync_engagement(delivery.session, delivery.outbox, contract_id=data.contract_id,
                          engagement_number=data.engagement_number, engagement_title=data.title,
                          pilots=data.pilots, indicators=data.indicators)


async def on_qpv_registered(delivery: Delivery[QpvRegistered]) -> None:
    data = delivery.data
    await upsert_qpv(delivery.session, qpv_id=data.qpv_id, name=data.name, code=data.code, cities=data.cities)


async def on_organisation_registered(delivery: Delivery[OrganisationRegistered]) -> None:
    data = delivery.data
    await upsert_organisation(delivery.session, organisation_id=data.organisation_id, name=data.name,
                              short_name=data.short_name, kind=data.kind)


async def on_measure_computed(delivery: Delivery[MeasureComputed]) -> None:
    data = delivery.data
    await record_measure(delivery.session, delivery.outbox, engagement_number=data.engagement_number,
                         indicator_label=data.indicator_label, on=data.on, qpv_id=data.qpv_id, value=data.value,
                         basis=data.basis)


SUBSCRIPTIONS = [
    Subscription(durable="indicateurs_definitions", service="engagements",
                 filter="cdv.engagements.engagement.defined", handler=on_engagement_defined,
                 reads=EngagementDefined),
    Subscription(durable="indicateurs_qpv", service="participation",
                 filter="cdv.participation.qpv.registered", handler=on_qpv_registered, reads=QpvRegistered),
    Subscription(durable="indicateurs_organisations", service="participation",
                 filter="cdv.participation.organisation.registered", handler=on_organisation_registered,
                 reads=OrganisationRegistered),
    Subscription(durable="indicateurs_measures", service="participation",
                 filter="cdv.participation.measure.computed", handler=on_measure_computed, reads=MeasureComputed),
]
