"""Agenda circulation: what participation publishes about a meeting reaches every member of its body.

Members to circulate to are the active seats of the meeting's body when the event is handled (the memberships
come on the same stream, before it, so they are known). Each member gets an e-mail with the agenda, its
documents, the pack and a calendar invitation; a revision, a move and a cancellation update that invitation
(same UID, higher SEQUENCE; CANCEL for a cancellation). People with an account also get a notice.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from sqlmodel import Field
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.consumer import EventView
from kernel.events import CloudEvent
from services.notifications import people
from services.notifications.base import Base, now
from services.notifications.dispatch import Message, tell, tell_all
from services.notifications.messages import datetime_fr, day_fr
from services.notifications.settings import Settings

log = logging.getLogger(__name__)


class MeetingView(EventView):
    meeting_id: str
    body_id: str
    body_name: str
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str = "Europe/Paris"
    place: str | None = None
    video_url: str | None = None
    url: str
    sequence: int


class DocumentView(EventView):
    title: str
    url: str
    public: bool = True  # false: for the body's members only (a signed-in member opens it)


class ItemView(EventView):
    item_id: str
    position: int
    title: str
    engagements: list[int] = []
    presenter_organisation_name: str | None = None
    duration_minutes: int | None = None
    documents: list[DocumentView] = []


class ChangeView(EventView):
    kind: str
    item_id: str
    title: str
    detail: str


class MeetingScheduled(EventView):
    meeting: MeetingView
    agenda_due_on: date


class MeetingMoved(EventView):
    meeting: MeetingView
    previous_starts_at: datetime
    previous_place: str | None = None
    agenda_due_on: date


class AgendaCirculated(EventView):
    """Both `agenda_published` and `agenda_revised` (the latter adds its changes)."""

    meeting: MeetingView
    version: int
    previous_version: int | None = None
    items: list[ItemView]
    documents: list[DocumentView] = []
    changes: list[ChangeView] = []
    pack_url: str | None = None
    on_time: bool
    late_reason: str | None = None


class MeetingCancelled(EventView):
    meeting: MeetingView
    reason: str
    agenda_was_published: bool


class MinutesPublished(EventView):
    meeting: MeetingView
    minutes_url: str


class AgendaItemDecided(EventView):
    meeting: MeetingView
    proposal_id: str
    title: str
    accepted: bool
    reason: str | None = None
    proposer_member_id: str


class CirculatedMeeting(Base, table=True):
    """A meeting whose invitation went out: later moves are sent as updates to it."""

    __tablename__ = "circulated_meeting"
    meeting_id: str = Field(primary_key=True, max_length=80)
    body_id: str = Field(max_length=80)
    sequence: int
    cancelled: bool = False


def _base_context(event: CloudEvent, meeting: MeetingView, kind: str, subject: str) -> dict[str, Any]:
    return {"kind": kind, "subject": subject, "meeting": meeting.model_dump(mode="json"),
            "stamp": event.time.isoformat(), "items": [], "documents": [], "changes": [], "pack_url": None,
            "late_reason": None, "version": None, "previous_version": None, "heading": subject}


async def _circulate(session: AsyncSession, event: CloudEvent, meeting: MeetingView, *, kind: str, subject: str,
                     text: str, context: dict[str, Any], settings: Settings, version: int | None = None) -> int:
    if meeting.ends_at < now():
        # A meeting already over (an old event read again, a history loaded at once): no invitation to send.
        log.info("meeting %s is over: its %s is not circulated", meeting.meeting_id, kind)
        return 0
    members = await people.body_members(session, meeting.body_id)
    message = Message(kind=kind, category="ordre_du_jour", title=subject, text=text, url=meeting.url,
                      template="agenda", context=context, meeting_id=meeting.meeting_id, agenda_version=version)
    row = await session.get(CirculatedMeeting, meeting.meeting_id) or CirculatedMeeting(
        meeting_id=meeting.meeting_id, body_id=meeting.body_id, sequence=meeting.sequence)
    row.sequence, row.cancelled = meeting.sequence, kind == "meeting_cancelled"
    session.add(row)
    return await tell_all(session, members, message, cause=event.id, source_event_id=event.id,
                          domain=settings.mail_domain)


async def agenda(session: AsyncSession, event: CloudEvent, data: AgendaCirculated, settings: Settings) -> int:
    """An agenda published (kind "agenda") or revised ("agenda_revision"): to every member."""
    m = data.meeting
    revised = data.previous_version is not None
    if revised:
        subject = f"Ordre du jour modifié (version {data.version}) — {m.body_name} du {day_fr(m.starts_at)}"
        text = f"{len(data.changes)} changement(s) depuis la version {data.previous_version}."
    else:
        subject = f"Ordre du jour — {m.body_name} du {day_fr(m.starts_at)}"
        text = f"Réunion « {m.title} » le {datetime_fr(m.starts_at)} : {len(data.items)} point(s)."
    context = _base_context(event, m, "agenda_revision" if revised else "agenda", subject)
    context.update(heading=f"{m.body_name} : {m.title}", version=data.version, previous_version=data.previous_version,
                   items=[i.model_dump(mode="json") for i in sorted(data.items, key=lambda i: i.position)],
                   documents=[d.model_dump(mode="json") for d in data.documents],
                   changes=[c.model_dump(mode="json") for c in data.changes], pack_url=data.pack_url,
                   late_reason=None if data.on_time else (data.late_reason or "non précisée"))
    return await _circulate(session, event, m, kind=context["kind"], subject=subject, text=text, context=context,
                            settings=settings, version=data.version)


async def moved(session: AsyncSession, event: CloudEvent, data: MeetingMoved, settings: Settings) -> int:
    """A meeting moved after its invitation went out: an update of that invitation to every member."""
    m = data.meeting
    known = await session.get(CirculatedMeeting, m.meeting_id)
    if known is None or known.cancelled:
        return 0  # nobody has an invitation to update yet; the agenda will carry the new date
    subject = f"Réunion déplacée — {m.body_name} : {datetime_fr(m.starts_at)}"
    moved_time = data.previous_starts_at != m.starts_at
    context = _base_context(event, m, "meeting_moved", subject)
    context.update(heading=f"{m.body_name} : {m.title}", previous_starts_at=data.previous_starts_at.isoformat(),
                   previous_place=data.previous_place, moved_time=moved_time,
                   moved_place=(data.previous_place or None) != (m.place or None))
    text = f"Nouvelle date : {datetime_fr(m.starts_at)}" + (f", {m.place}" if m.place else "") + "."
    return await _circulate(session, event, m, kind="meeting_moved", subject=subject, text=text, context=context,
                            settings=settings)


async def cancelled(session: AsyncSession, event: CloudEvent, data: MeetingCancelled, settings: Settings) -> int:
    """A cancelled meeting: METHOD CANCEL to every member, if an invitation (or an agenda) went out."""
    m = data.meeting
    known = await session.get(CirculatedMeeting, m.meeting_id)
    if known is None and not data.agenda_was_published:
        return 0
    subject = f"Réunion annulée — {m.body_name} du {day_fr(m.starts_at)}"
    context = _base_context(event, m, "meeting_cancelled", subject)
    context.update(reason=data.reason)
    return await _circulate(session, event, m, kind="meeting_cancelled", subject=subject,
                            text=f"Motif : {data.reason}", context=context, settings=settings)


async def minutes(session: AsyncSession, event: CloudEvent, data: MinutesPublished, settings: Settings) -> int:
    """Minutes published: members are told where to read them."""
    m = data.meeting
    subject = f"Compte rendu publié — {m.body_name} du {day_fr(m.starts_at)}"
    message = Message(kind="notice", category="instances", title=subject,
                      text=f"Le compte rendu de la réunion « {m.title} » est en ligne.", url=data.minutes_url,
                      template="notice", context={
                          "subject": subject, "title": subject, "lines": [],
                          "paragraphs": [f"Le compte rendu de la réunion « {m.title} » du {datetime_fr(m.starts_at)} "
                                         "est publié."],
                          "link_url": data.minutes_url, "link_label": "Lire le compte rendu"})
    return await tell_all(session, await people.body_members(session, m.body_id), message, cause=event.id,
                          source_event_id=event.id, domain=settings.mail_domain)


async def proposal_decided(session: AsyncSession, event: CloudEvent, data: AgendaItemDecided,
                           settings: Settings) -> None:
    """The member who proposed an agenda item learns whether it was accepted, and why not."""
    m = data.meeting
    verdict = "retenu" if data.accepted else "non retenu"  # le point…
    subject = (f"Votre proposition de point est {verdict}e — "  # …la proposition
               f"{m.body_name} du {day_fr(m.starts_at)}")
    paragraphs = [f"Le point « {data.title} » que vous avez proposé pour la réunion « {m.title} » est {verdict}."]
    if data.reason:
        paragraphs.append(("Motif : " if not data.accepted else "Commentaire : ") + data.reason)
    message = Message(kind="notice", category="instances", title=subject, text=" ".join(paragraphs[1:]),
                      url=m.url, template="notice", context={
                          "subject": subject, "title": subject, "paragraphs": paragraphs, "lines": [],
                          "link_url": m.url, "link_label": "Voir la réunion"})
    await tell(session, await people.member(session, data.proposer_member_id), message, cause=event.id,
               source_event_id=event.id, domain=settings.mail_domain)
