"""Daily digests: what a person chose to receive "in a daily summary" waits here, then leaves in one e-mail a
day (at the digest hour, Paris time). The digest's idempotency key is the person and the day, and its items are
marked in the same transaction, so a restart sends neither twice nor nothing."""

from __future__ import annotations

from datetime import datetime, time

from sqlmodel import Field, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.french import PARIS
from services.notifications import deliveries
from services.notifications.base import Base, now
from services.notifications.preferences import CATEGORIES


class DigestItem(Base, table=True):
    __tablename__ = "digest_item"
    id: int | None = Field(default=None, primary_key=True)
    recipient_id: str = Field(max_length=90, index=True)
    person_key: str = Field(max_length=90)
    idempotency_key: str = Field(max_length=300, unique=True)
    category: str = Field(max_length=30)
    title: str = Field(max_length=300)
    text: str = Field(default="", max_length=2000)
    url: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=now)
    digest_delivery_id: str | None = Field(default=None, max_length=32, index=True)


async def add(session: AsyncSession, *, recipient_id: str, person_key: str, key: str, category: str, title: str,
              text: str, url: str | None) -> bool:
    seen = (await session.exec(select(DigestItem.id).where(DigestItem.idempotency_key == key))).first()
    if seen is not None:
        return False
    session.add(DigestItem(recipient_id=recipient_id, person_key=person_key, idempotency_key=key, category=category,
                           title=title[:300], text=text[:2000], url=url))
    return True


def digest_due(at: datetime, hour: int) -> bool:
    """Whether today's digest hour (Paris) has come."""
    return at.astimezone(PARIS).time() >= time(hour)


async def send_digests(session: AsyncSession, *, at: datetime, domain: str) -> int:
    """Queues one digest per recipient with waiting items (once a day); returns how many were queued."""
    pending = list((await session.exec(
        select(DigestItem).where(col(DigestItem.digest_delivery_id).is_(None)).order_by(col(DigestItem.id))
    )).all())
    by_recipient: dict[str, list[DigestItem]] = {}
    for item in pending:
        by_recipient.setdefault(item.recipient_id, []).append(item)
    day = at.astimezone(PARIS).date()
    queued = 0
    for recipient_id, items in by_recipient.items():
        key = f"digest:{recipient_id}:{day.isoformat()}"
        sections: dict[str, list[dict[str, str | None]]] = {}
        for item in items:
            sections.setdefault(CATEGORIES[item.category].label, []).append(
                {"title": item.title, "text": item.text, "url": item.url})
        count = len(items)
        context = {"subject": f"Votre résumé du jour : {count} notification{'s' if count > 1 else ''}",
                   "day": day.isoformat(), "sections": sections, "category": "digest"}
        if not await deliveries.queue(session, key=key, recipient_id=recipient_id, notice_kind="digest",
                                      category="resume", template="digest", context=context,
                                      source_event_id=f"digest-{day.isoformat()}", domain=domain):
            continue  # today's digest already left: these items wait for tomorrow's
        delivery_id = (await session.exec(select(deliveries.Delivery.id).where(
            deliveries.Delivery.idempotency_key == key))).first()
        if delivery_id is None:  # flushed lazily: make the new row visible to the query
            await session.flush()
            delivery_id = (await session.exec(select(deliveries.Delivery.id).where(
                deliveries.Delivery.idempotency_key == key))).one()
        for item in items:
            item.digest_delivery_id = delivery_id
            session.add(item)
        queued += 1
    await session.commit()
    return queued
