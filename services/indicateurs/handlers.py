"""What indicateurs consumes: the engagements' definitions (one indicator definition per label), and from
participation the QPV (with their national codes) and organisations, as this service's own copies."""

from kernel.consumer import Delivery, Subscription
from services.indicateurs.service import sync_engagement, upsert_organisation, upsert_qpv


async def on_engagement_defined(delivery: Delivery) -> None:
    data = delivery.event.data
    await sync_engagement(delivery.session, delivery.outbox, contract_id=data["contract_id"],
                          engagement_number=data["engagement_number"], engagement_title=data["title"],
                          pilots=data["pilots"], indicators=data["indicators"])


async def on_qpv_registered(delivery: Delivery) -> None:
    data = delivery.event.data
    await upsert_qpv(delivery.session, qpv_id=data["qpv_id"], name=data["name"], code=data.get("code"),
                     cities=data.get("cities") or [])


async def on_organisation_registered(delivery: Delivery) -> None:
    data = delivery.event.data
    await upsert_organisation(delivery.session, organisation_id=data["organisation_id"], name=data["name"],
                              short_name=data.get("short_name"), kind=data["kind"])


SUBSCRIPTIONS = [
    Subscription(durable="indicateurs_definitions", service="engagements",
                 filter="cdv.engagements.engagement.defined", handler=on_engagement_defined),
    Subscription(durable="indicateurs_qpv", service="participation",
                 filter="cdv.participation.qpv.registered", handler=on_qpv_registered),
    Subscription(durable="indicateurs_organisations", service="participation",
                 filter="cdv.participation.organisation.registered", handler=on_organisation_registered),
]
