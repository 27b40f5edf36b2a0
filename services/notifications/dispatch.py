"""Telling someone something: a notice in their centre (if they have an account), and an e-mail now, in the
daily digest, or none, as they chose for its category. Every write is idempotent by `key` (the cause and the
recipient) and happens on the caller's session, inside the transaction of the event that caused it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from services.notifications import deliveries, digests, notices, preferences
from services.notifications.people import Recipient
from services.notifications.preferences import Mode


@dataclass(frozen=True)
class Message:
    """What to say: a short notice (title, text, link) and the e-mail's template and context."""

    kind: str  # the delivery's notice kind (see events.NoticeKind)
    category: str
    title: str
    text: str
    url: str | None
    template: str
    context: dict[str, Any]
    meeting_id: str | None = None
    agenda_version: int | None = None


async def tell(session: AsyncSession, recipient: Recipient, message: Message, *, cause: str,
               source_event_id: str, domain: str) -> None:
    """Tells one recipient, once per `cause` (an event id or a reminder key)."""
    key = f"{cause}:{recipient.recipient_id}"
    if recipient.has_account:
        await notices.add(session, person_key=recipient.person_key, key=key, category=message.category,
                          kind=message.kind, title=message.title, text=message.text, url=message.url)
    mode = await preferences.mode_for(session, recipient.person_key, message.category)
    if mode is Mode.OFF:
        return
    if mode is Mode.DIGEST:
        await digests.add(session, recipient_id=recipient.recipient_id, person_key=recipient.person_key, key=key,
                          category=message.category, title=message.title, text=message.text, url=message.url)
        return
    await deliveries.queue(session, key=key, recipient_id=recipient.recipient_id, notice_kind=message.kind,
                           category=message.category, template=message.template, context=message.context,
                           source_event_id=source_event_id, domain=domain, meeting_id=message.meeting_id,
                           agenda_version=message.agenda_version)


async def tell_all(session: AsyncSession, recipients: list[Recipient], message: Message, *, cause: str,
                   source_event_id: str, domain: str) -> int:
    for recipient in recipients:
        await tell(session, recipient, message, cause=cause, source_event_id=source_event_id, domain=domain)
    return len(recipients)
