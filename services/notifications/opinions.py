"""Opinions of conseils citoyens (and of the inter-associatif): the pilots who owe an answer are told when one is
published (with its due date), and the body's members when the answer arrives."""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.consumer import EventView
from kernel.events import CloudEvent
from services.notifications import people
from services.notifications.dispatch import Message, tell_all
from services.notifications.messages import day_fr
from services.notifications.settings import Settings


class Target(EventView):
    engagement_number: int | None = None
    item_title: str | None = None


class OpinionPublishedView(EventView):
    opinion_id: str
    body_id: str
    body_name: str
    target: Target
    answer_organisation_ids: list[str]
    due_on: date
    url: str


class OpinionAnsweredView(EventView):
    opinion_id: str
    body_id: str
    body_name: str
    target: Target
    organisation_id: str | None = None
    url: str


def _about(target: Target) -> str:
    if target.engagement_number is not None:
        return f"l'engagement n° {target.engagement_number}"
    return f"le point « {target.item_title} » de l'ordre du jour du COPIL"


def _message(title: str, paragraph: str, url: str, label: str) -> Message:
    return Message(kind="notice", category="instances", title=title, text=paragraph, url=url, template="notice",
                   context={"subject": title, "title": title, "paragraphs": [paragraph], "lines": [],
                            "link_url": url, "link_label": label})


async def published(session: AsyncSession, event: CloudEvent, data: OpinionPublishedView, settings: Settings) -> None:
    """The referents of each organisation that owes the answer (the secretariat when none is known)."""
    recipients = [r for org in data.answer_organisation_ids for r in await people.referents_of(session, org)]
    if not data.answer_organisation_ids:
        recipients = await people.secretariat(session)
    title = f"Avis de « {data.body_name} » sur {_about(data.target)} : réponse attendue avant le {day_fr(data.due_on)}"
    paragraph = (f"« {data.body_name} » a publié un avis sur {_about(data.target)}. Votre organisation en est "
                 f"pilote : la réponse est attendue au plus tard le {day_fr(data.due_on)} ; elle sera publiée sous "
                 "l'avis.")
    await tell_all(session, recipients, _message(title, paragraph, data.url, "Lire l'avis et répondre"),
                   cause=event.id, source_event_id=event.id, domain=settings.mail_domain)


async def answered(session: AsyncSession, event: CloudEvent, data: OpinionAnsweredView, settings: Settings) -> None:
    """The members of the body that gave the opinion."""
    who = await people.organisation_name(session, data.organisation_id) if data.organisation_id else None
    title = f"Réponse à l'avis de « {data.body_name} » sur {_about(data.target)}"
    paragraph = f"{who or 'Le secrétariat du COPIL'} a répondu à votre avis sur {_about(data.target)}."
    await tell_all(session, await people.body_members(session, data.body_id),
                   _message(title, paragraph, data.url, "Lire la réponse"), cause=event.id,
                   source_event_id=event.id, domain=settings.mail_domain)
