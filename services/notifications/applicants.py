"""Mails to an association applying to the inter-associatif: the link confirming its contact's address, then the
decision. The applicant has no account and sits in no body: their contact details arrive on participation's
internal stream and are kept as a member record of their own (`applicant:<application id>`), only to reach them.
The confirmation link is a secret: like set-password links, it is dropped from the delivery once sent."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.consumer import EventView
from services.notifications import deliveries, people
from services.notifications.settings import Settings


class ConfirmationView(EventView):
    application_id: str
    association_name: str
    contact_name: str
    email: str
    link: str
    expires_at: datetime


class AnsweredView(EventView):
    application_id: str
    association_name: str
    contact_name: str
    email: str
    accepted: bool
    reason: str | None = None
    url: str


def recipient_id(application_id: str) -> str:
    return f"applicant:{application_id}"


async def _contact(session: AsyncSession, application_id: str, name: str, email: str) -> str:
    rid = recipient_id(application_id)
    await people.upsert_person(session, member_id=rid, name=name, email=email, user_id=None, anonymised=False)
    return rid


async def confirmation_requested(session: AsyncSession, event_id: str, v: ConfirmationView,
                                 settings: Settings) -> None:
    rid = await _contact(session, v.application_id, v.contact_name, v.email)
    subject = f"Confirmez la candidature de « {v.association_name} » à l'inter-associatif"
    await deliveries.queue(session, key=f"application:confirm:{v.application_id}", recipient_id=rid,
                           notice_kind="account", category="compte", template="application",
                           context={"subject": subject, "step": "confirm", "association_name": v.association_name,
                                    "link": v.link, "expires_at": v.expires_at.isoformat()},
                           source_event_id=event_id, domain=settings.mail_domain)


async def answered(session: AsyncSession, event_id: str, v: AnsweredView, settings: Settings) -> None:
    rid = await _contact(session, v.application_id, v.contact_name, v.email)
    verdict = "acceptée" if v.accepted else "n'est pas retenue"
    subject = f"Votre candidature à l'inter-associatif : « {v.association_name} » {verdict}"
    await deliveries.queue(session, key=f"application:answer:{v.application_id}", recipient_id=rid,
                           notice_kind="notice", category="compte", template="application",
                           context={"subject": subject, "step": "answer", "association_name": v.association_name,
                                    "accepted": v.accepted, "reason": v.reason, "url": v.url},
                           source_event_id=event_id, domain=settings.mail_domain)
