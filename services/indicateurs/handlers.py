"""What indicateurs consumes: the engagements' definitions, to keep one indicator definition per label."""

from kernel.consumer import Delivery, Subscription
from services.indicateurs.service import sync_engagement


async def on_engagement_defined(delivery: Delivery) -> None:
    data = delivery.event.data
    await sync_engagement(delivery.session, delivery.outbox, contract_id=data["contract_id"],
                          engagement_number=data["engagement_number"], engagement_title=data["title"],
                          pilots=data["pilots"], indicators=data["indicators"])


SUBSCRIPTIONS = [
    Subscription(durable="indicateurs_definitions", service="engagements",
                 filter="cdv.engagements.engagement.defined", handler=on_engagement_defined),
]
