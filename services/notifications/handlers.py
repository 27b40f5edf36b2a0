"""What notifications consumes: engagement and indicator events go to the activity feed."""

from kernel.consumer import Delivery, Subscription
from services.notifications.service import record_activity


async def on_event(delivery: Delivery) -> None:
    await record_activity(delivery.session, delivery.event)


SUBSCRIPTIONS = [
    Subscription(durable="notifications_feed_engagements", service="engagements", filter="cdv.engagements.>",
                 handler=on_event),
    Subscription(durable="notifications_feed_indicateurs", service="indicateurs", filter="cdv.indicateurs.>",
                 handler=on_event),
]
