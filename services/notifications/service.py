from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.events import CloudEvent
from services.notifications.models import Activity


def summarise(event: CloudEvent) -> str:
    """A French one-liner for the feed, from the event's own data."""
    data = event.data
    label = data.get("title") or data.get("label") or event.subject or ""
    actor = data.get("organisation_name") or data.get("actor_name") or ""
    kind = event.type.split(".", 2)[2]
    text = f"{kind} — {label}" + (f" ({actor})" if actor else "")
    return text[:500]


async def record_activity(session: AsyncSession, event: CloudEvent) -> Activity:
    """Stores a received event in the feed (idempotency is the consumer's inbox)."""
    activity = Activity(event_id=event.id, event_type=event.type, subject=event.subject,
                        summary=summarise(event), organisation_id=event.data.get("organisation_id"),
                        occurred_at=event.time)
    session.add(activity)
    return activity


async def list_activity(session: AsyncSession, *, limit: int = 50, event_type: str | None = None) -> list[Activity]:
    """Gets the latest feed entries, newest first."""
    query = select(Activity).order_by(col(Activity.id).desc()).limit(limit)
    if event_type:
        query = query.where(Activity.event_type == event_type)
    return list((await session.exec(query)).all())
