"""What notifications consumes: engagement and indicator events go to the activity feed.

The feed reads every event type alike (a title or label, an actor, an organisation, whichever the event has),
so it takes the raw `event.data` dict rather than an `EventView`: a view would have to name fields that most
types lack, and one type carrying, say, a `label` that is not text would send the whole feed's deliveries to the
dead letter. A handler that reads one event type (a mail, a reminder…) declares its view with `reads=`.
"""

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
