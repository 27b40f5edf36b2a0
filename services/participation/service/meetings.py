"""Meetings of a body: scheduled in Europe/Paris wall-clock time, moved, cancelled; the agenda's lead time.

A meeting is stored as its local date-time plus its zone (not as an instant): a COPIL at 9:30 on a day after the
daylight-saving change stays at 9:30. Every change that recipients must know raises `sequence` (iCalendar)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Column, DateTime
from sqlmodel import Field, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Forbidden, Invalid
from kernel.identity import Identity
from kernel.outbox import Outbox
from kernel.rows import get_or_404, guarded_update
from services.participation.events import MeetingCancelled, MeetingMoved, MeetingRef, MeetingScheduled
from services.participation.models import Base, now, timestamp
from services.participation.schemas import CutOffIn, MeetingCancel, MeetingIn, MeetingMove
from services.participation.service.bodies import Body, get_body
from services.participation.service.common import (
    PARIS,
    PARIS_TZ,
    clean,
    localize,
    new_id,
    require_secretariat,
    today_paris,
    utcnow,
)
from services.participation.service.members import is_member
from services.participation.settings import Settings

DEFAULT_LENGTH = timedelta(hours=2)


class Meeting(Base, table=True):
    id: str = Field(primary_key=True, max_length=32)
    body_id: str = Field(foreign_key="body.id", max_length=80, index=True)
    title: str = Field(max_length=300)
    # Wall-clock times in `timezone`, stored without offset (a TIMESTAMP WITHOUT TIME ZONE).
    local_start: datetime = Field(sa_column=Column(DateTime(timezone=False), nullable=False, index=True))
    local_end: datetime = Field(sa_column=Column(DateTime(timezone=False), nullable=False))
    timezone: str = Field(default=PARIS_TZ, max_length=60)
    place: str | None = Field(default=None, max_length=500)
    video_url: str | None = Field(default=None, max_length=1000)
    status: str = Field(default="scheduled", max_length=20)  # scheduled | cancelled
    cancel_reason: str | None = None
    sequence: int = 0
    # Bumped by every change of the working agenda; a change or a publication names the one it saw.
    draft_rev: int = 0
    published_version: int = 0
    proposals_until: date | None = None
    minutes_text: str | None = None
    minutes_published_at: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))
    minutes_published_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=now, sa_column=timestamp())


@dataclass(frozen=True)
class Access:
    """What the caller is to a meeting's body."""

    secretariat: bool
    member: bool

    @property
    def insider(self) -> bool:
        return self.secretariat or self.member


def starts_at(meeting: Meeting) -> datetime:
    return localize(meeting.local_start, meeting.timezone)


def ends_at(meeting: Meeting) -> datetime:
    return localize(meeting.local_end, meeting.timezone)


def meeting_url(settings: Settings, meeting_id: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}/reunions/{meeting_id}"


def meeting_ref(meeting: Meeting, body: Body, settings: Settings) -> MeetingRef:
    return MeetingRef(meeting_id=meeting.id, body_id=body.id, body_name=body.name, body_kind=body.kind,
                      title=meeting.title, starts_at=starts_at(meeting), ends_at=ends_at(meeting),
                      timezone=meeting.timezone, place=meeting.place, video_url=meeting.video_url,
                      url=meeting_url(settings, meeting.id), sequence=meeting.sequence)


def agenda_due_on(meeting: Meeting, body: Body, settings: Settings) -> date:
    return meeting.local_start.date() - timedelta(days=settings.lead_time(body.kind))


def lead_time(meeting: Meeting, body: Body, settings: Settings, at: datetime | None = None) -> dict:
    """The lead-time indicator: required days, the day the agenda must go out, days left, and a state
    (`published`, `ok`, `soon` within the warning window, `today`, `late`)."""
    due = agenda_due_on(meeting, body, settings)
    left = (due - today_paris(at)).days
    if meeting.published_version:
        state = "published"
    elif left < 0:
        state = "late"
    elif left == 0:
        state = "today"
    elif left <= settings.lead_time_warning_days:
        state = "soon"
    else:
        state = "ok"
    return {"required_days": settings.lead_time(body.kind), "due_on": due, "days_left": left, "state": state,
            "warning_days": settings.lead_time_warning_days}


def _local(value: datetime) -> datetime:
    """A submitted time as Paris wall-clock time (an offset, if given, is converted)."""
    if value.tzinfo is not None:
        value = value.astimezone(PARIS)
    return value.replace(tzinfo=None, second=0, microsecond=0)


def _times(start: datetime, end: datetime | None) -> tuple[datetime, datetime]:
    local_start = _local(start)
    local_end = _local(end) if end else local_start + DEFAULT_LENGTH
    if local_end <= local_start:
        raise Invalid("La fin de la réunion doit suivre son début.", field="ends_at")
    return local_start, local_end


def _video(url: str | None) -> str | None:
    value = clean(url, "video_url", "Lien de visioconférence", max_length=1000)
    if value and not value.startswith(("https://", "http://")):
        raise Invalid("Le lien de visioconférence doit commencer par https://.", field="video_url")
    return value


async def schedule_meeting(session: AsyncSession, outbox: Outbox, settings: Settings, who: Identity,
                           data: MeetingIn, *, commit: bool = True) -> Meeting:
    """The secretariat schedules a meeting of a body (`commit=False`: the caller adds to it and commits)."""
    require_secretariat(who, "programmer une réunion")
    body = await get_body(session, data.body_id)
    local_start, local_end = _times(data.starts_at, data.ends_at)
    meeting = Meeting(id=new_id(), body_id=body.id, title=clean(data.title, "title", "Titre", required=True) or "",
                      local_start=local_start, local_end=local_end, place=clean(data.place, "place", "Lieu"),
                      video_url=_video(data.video_url), proposals_until=data.proposals_until)
    if data.proposals_until and data.proposals_until > local_start.date():
        raise Invalid("La date limite des propositions doit précéder la réunion.", field="proposals_until")
    session.add(meeting)
    await session.flush()
    await outbox.record(session, MeetingScheduled(meeting=meeting_ref(meeting, body, settings),
                                                  agenda_due_on=agenda_due_on(meeting, body, settings)),
                        subject=f"meeting/{meeting.id}")
    if commit:
        await session.commit()
    return meeting


async def get_meeting(session: AsyncSession, meeting_id: str) -> Meeting:
    return await get_or_404(session, Meeting, meeting_id, "Réunion introuvable.")


async def access_to(session: AsyncSession, who: Identity, body_id: str) -> Access:
    return Access(secretariat=who.is_secretariat, member=await is_member(session, who, body_id))


async def visible_meeting(session: AsyncSession, who: Identity, meeting_id: str) -> tuple[Meeting, Body, Access]:
    """A meeting the caller may see: the secretariat and members always, others once its agenda is published."""
    meeting = await get_meeting(session, meeting_id)
    body = await get_body(session, meeting.body_id)
    access = await access_to(session, who, body.id)
    if not access.insider and not meeting.published_version:
        raise Forbidden("Cette réunion n'est pas encore publique : son ordre du jour n'a pas été diffusé.")
    return meeting, body, access


async def move_meeting(session: AsyncSession, outbox: Outbox, settings: Settings, who: Identity, meeting_id: str,
                       data: MeetingMove) -> Meeting:
    """The secretariat moves a meeting (date, time or place); members are told (sequence + 1)."""
    require_secretariat(who, "déplacer une réunion")
    meeting = await get_meeting(session, meeting_id)
    if meeting.status == "cancelled":
        raise Invalid("Cette réunion est annulée : programmez-en une nouvelle.")
    body = await get_body(session, meeting.body_id)
    previous_start, previous_place = starts_at(meeting), meeting.place
    before = (meeting.local_start, meeting.local_end, meeting.place, meeting.video_url)
    after = (*_times(data.starts_at, data.ends_at), clean(data.place, "place", "Lieu"), _video(data.video_url))
    if after == before:
        raise Invalid("Rien ne change : indiquez une nouvelle date, une nouvelle heure ou un nouveau lieu.")
    meeting.local_start, meeting.local_end, meeting.place, meeting.video_url = after
    meeting.sequence += 1
    session.add(meeting)
    await outbox.record(session, MeetingMoved(meeting=meeting_ref(meeting, body, settings),
                                              previous_starts_at=previous_start, previous_place=previous_place,
                                              agenda_due_on=agenda_due_on(meeting, body, settings)),
                        subject=f"meeting/{meeting.id}")
    await session.commit()
    return meeting


async def cancel_meeting(session: AsyncSession, outbox: Outbox, settings: Settings, who: Identity,
                         meeting_id: str, data: MeetingCancel) -> Meeting:
    """The secretariat cancels a meeting, with a reason members are told."""
    require_secretariat(who, "annuler une réunion")
    meeting = await get_meeting(session, meeting_id)
    if meeting.status == "cancelled":
        raise Invalid("Cette réunion est déjà annulée.")
    body = await get_body(session, meeting.body_id)
    meeting.status, meeting.cancel_reason = "cancelled", clean(data.reason, "reason", "Raison", required=True)
    meeting.sequence += 1
    session.add(meeting)
    await outbox.record(session, MeetingCancelled(meeting=meeting_ref(meeting, body, settings),
                                                  reason=meeting.cancel_reason or "",
                                                  agenda_was_published=meeting.published_version > 0),
                        subject=f"meeting/{meeting.id}")
    await session.commit()
    return meeting


async def bump_draft(session: AsyncSession, meeting: Meeting, seen: int, values: dict | None = None) -> None:
    """Marks the working agenda changed, provided nobody changed it since the caller's `seen` revision."""
    await guarded_update(session, Meeting, meeting.id, expect={"draft_rev": seen},
                         values={"draft_rev": seen + 1, **(values or {})},
                         conflict="L'ordre du jour a été modifié entre-temps par quelqu'un d'autre : rechargez "
                                  "la page pour repartir de la version actuelle.",
                         current=lambda m: {"draft_rev": m.draft_rev})


async def set_cutoff(session: AsyncSession, who: Identity, meeting_id: str, data: CutOffIn) -> Meeting:
    """The secretariat sets (or clears) the last day members may propose items."""
    require_secretariat(who, "fixer la date limite des propositions")
    meeting = await get_meeting(session, meeting_id)
    if data.proposals_until and data.proposals_until > meeting.local_start.date():
        raise Invalid("La date limite des propositions doit précéder la réunion.", field="proposals_until")
    await bump_draft(session, meeting, data.draft_rev, {"proposals_until": data.proposals_until})
    await session.commit()
    return meeting


async def list_meetings(session: AsyncSession, who: Identity, *, body_id: str | None = None,
                        since: date | None = None, until: date | None = None) -> list[tuple[Meeting, Body]]:
    """Meetings the caller may see, by date: all for the secretariat, their bodies' for members, published
    ones for everyone else."""
    from services.participation.service.members import member_seats

    query = select(Meeting, Body).join(Body, Body.id == Meeting.body_id).order_by(Meeting.local_start)
    if body_id:
        query = query.where(Meeting.body_id == body_id)
    if since:
        query = query.where(Meeting.local_start >= datetime.combine(since, datetime.min.time()))
    if until:
        query = query.where(Meeting.local_start < datetime.combine(until + timedelta(days=1), datetime.min.time()))
    rows = list((await session.exec(query)).all())
    if who.is_secretariat:
        return rows
    mine = {s.body_id for s in await member_seats(session, who)}
    return [(m, b) for m, b in rows if m.published_version or b.id in mine]


async def previous_meeting(session: AsyncSession, meeting: Meeting) -> Meeting | None:
    """The body's last meeting before this one that was not cancelled."""
    query = (select(Meeting).where(Meeting.body_id == meeting.body_id, Meeting.local_start < meeting.local_start,
                                   Meeting.status != "cancelled").order_by(Meeting.local_start.desc()))  # type: ignore[attr-defined]
    return (await session.exec(query)).first()


def phase(meeting: Meeting, at: datetime | None = None) -> str:
    """cancelled, past or upcoming (as of `at`, Paris time)."""
    if meeting.status == "cancelled":
        return "cancelled"
    return "past" if ends_at(meeting) <= (at or utcnow()) else "upcoming"


def meeting_out(meeting: Meeting, body: Body, settings: Settings, *, at: datetime | None = None) -> dict:
    return {"id": meeting.id, "body_id": body.id, "body_name": body.name, "body_kind": body.kind,
            "title": meeting.title, "starts_at": starts_at(meeting), "ends_at": ends_at(meeting),
            "local_start": meeting.local_start, "timezone": meeting.timezone, "place": meeting.place,
            "video_url": meeting.video_url, "status": meeting.status, "phase": phase(meeting, at),
            "cancel_reason": meeting.cancel_reason, "sequence": meeting.sequence, "draft_rev": meeting.draft_rev,
            "published_version": meeting.published_version, "proposals_until": meeting.proposals_until,
            "minutes_published_at": meeting.minutes_published_at, "url": meeting_url(settings, meeting.id),
            "lead_time": lead_time(meeting, body, settings, at)}
