"""After a meeting: who attended (present, excused, represented, absent) and the minutes, published with the
decisions taken."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Invalid
from kernel.identity import Identity
from kernel.outbox import Outbox
from services.participation.events import MinutesPublished
from services.participation.models import Base, now, timestamp
from services.participation.schemas import AttendanceIn, MinutesIn
from services.participation.service.bodies import get_body
from services.participation.service.common import clean, require_secretariat, utcnow
from services.participation.service.meetings import Meeting, get_meeting, meeting_ref, meeting_url, starts_at
from services.participation.service.members import seats_of_body
from services.participation.service.people import Person
from services.participation.settings import Settings


class Attendance(Base, table=True):
    meeting_id: str = Field(foreign_key="meeting.id", primary_key=True, max_length=32)
    person_id: str = Field(foreign_key="person.id", primary_key=True, max_length=32)
    status: str = Field(max_length=20)
    represented_by: str | None = Field(default=None, max_length=200)
    organisation_id: str | None = Field(default=None, max_length=80)
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = Field(default_factory=now, sa_column=timestamp())


async def record_attendance(session: AsyncSession, who: Identity, meeting_id: str,
                            data: AttendanceIn) -> list[Attendance]:
    """The secretariat records who was present, excused, represented or absent (the lines given replace theirs)."""
    require_secretariat(who, "enregistrer les présences")
    meeting = await get_meeting(session, meeting_id)
    if meeting.status == "cancelled":
        raise Invalid("Cette réunion a été annulée : il n'y a pas de présences à enregistrer.")
    day = meeting.local_start.date()
    seats = {m.person_id: m for m, _ in await seats_of_body(session, meeting.body_id) if m.active_on(day)}
    saved = []
    for line in data.lines:
        seat = seats.get(line.person_id)
        if seat is None:
            raise Invalid("Une des personnes indiquées ne siégeait pas dans l'instance à la date de la réunion.",
                          field="lines", person_id=line.person_id)
        represented_by = clean(line.represented_by, "represented_by", "Représenté par", max_length=200)
        if line.status == "represente" and represented_by is None:
            raise Invalid("Pour une personne représentée, indiquez par qui.", field="represented_by",
                          person_id=line.person_id)
        row = await session.get(Attendance, (meeting_id, line.person_id)) or Attendance(
            meeting_id=meeting_id, person_id=line.person_id, status=line.status, recorded_by=who.name)
        row.status, row.represented_by = line.status, represented_by if line.status == "represente" else None
        row.organisation_id, row.recorded_by, row.recorded_at = seat.organisation_id, who.name, now()
        session.add(row)
        saved.append(row)
    await session.commit()
    return saved


async def attendance_of(session: AsyncSession, meeting_id: str) -> list[tuple[Attendance, Person]]:
    query = select(Attendance, Person).join(Person, Person.id == Attendance.person_id).where(
        Attendance.meeting_id == meeting_id)
    return sorted((await session.exec(query)).all(), key=lambda r: r[1].name)


async def present_organisations(session: AsyncSession, meeting_id: str) -> list[str]:
    rows = await attendance_of(session, meeting_id)
    return sorted({a.organisation_id for a, _ in rows if a.status in ("present", "represente") and a.organisation_id})


def minutes_url(settings: Settings, meeting: Meeting) -> str:
    return meeting_url(settings, meeting.id) + "#compte-rendu"


async def write_minutes(session: AsyncSession, outbox: Outbox, settings: Settings, who: Identity, meeting_id: str,
                        data: MinutesIn) -> Meeting:
    """The secretariat writes the minutes and, once the meeting has taken place, publishes them with the decisions."""
    from services.participation.service.decisions import decisions_of_meeting

    require_secretariat(who, "rédiger le compte rendu")
    meeting = await get_meeting(session, meeting_id)
    if meeting.status == "cancelled":
        raise Invalid("Cette réunion a été annulée : elle n'a pas de compte rendu.")
    if meeting.minutes_published_at is not None:
        raise Invalid("Le compte rendu est déjà publié.")
    meeting.minutes_text = clean(data.text, "text", "Compte rendu", required=True, max_length=100_000)
    if data.publish:
        if starts_at(meeting) > utcnow():
            raise Invalid("Le compte rendu se publie après la réunion : elle n'a pas encore eu lieu.", field="publish")
        meeting.minutes_published_at, meeting.minutes_published_by = now(), who.name
        body = await get_body(session, meeting.body_id)
        decisions = [d.id for d in await decisions_of_meeting(session, meeting_id) if not d.internal]
        await outbox.record(session, MinutesPublished(
            meeting=meeting_ref(meeting, body, settings), minutes_url=minutes_url(settings, meeting),
            decision_ids=decisions, present_organisations=await present_organisations(session, meeting_id)),
            subject=f"meeting/{meeting.id}")
    session.add(meeting)
    await session.commit()
    return meeting
