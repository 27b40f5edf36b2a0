"""The decision register: what each meeting decided, who follows it up, by when, and how it is going.

Public except the decisions the secretariat marks internal (announced on the internal stream only). The
organisation responsible for a follow-up updates it, with a comment each time; the history is kept."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Forbidden, Invalid
from kernel.identity import Identity
from kernel.outbox import Outbox
from kernel.rows import get_or_404, guarded_update
from services.participation.events import (
    DecisionFollowUpUpdated,
    DecisionRecorded,
    InternalDecisionFollowUpUpdated,
    InternalDecisionRecorded,
)
from services.participation.labels import FOLLOW_UP_LABELS
from services.participation.models import Base, now, timestamp
from services.participation.schemas import DecisionIn, FollowUpIn
from services.participation.service.bodies import Body
from services.participation.service.catalogue import known_engagements
from services.participation.service.common import clean, new_id, require_secretariat, today_paris
from services.participation.service.meetings import Meeting, get_meeting
from services.participation.service.members import member_seats
from services.participation.service.registry import Organisation

OPEN = ("a_faire", "en_cours")


class Decision(Base, table=True):
    id: str = Field(primary_key=True, max_length=32)
    meeting_id: str = Field(foreign_key="meeting.id", max_length=32, index=True)
    body_id: str = Field(foreign_key="body.id", max_length=80, index=True)
    text: str
    engagements: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    responsible_organisation_id: str | None = Field(default=None, max_length=80, index=True)
    due_on: date | None = None
    status: str = Field(default="a_faire", max_length=20)
    internal: bool = False
    version: int = 1
    recorded_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=now, sa_column=timestamp())
    updated_at: datetime = Field(default_factory=now, sa_column=timestamp())


class FollowUp(Base, table=True):
    __tablename__ = "follow_up"
    id: str = Field(primary_key=True, max_length=32)
    decision_id: str = Field(foreign_key="decision.id", max_length=32, index=True)
    previous_status: str = Field(max_length=20)
    status: str = Field(max_length=20)
    comment: str
    actor_name: str = Field(max_length=200)
    actor_organisation_id: str | None = Field(default=None, max_length=80)
    at: datetime = Field(default_factory=now, sa_column=timestamp())


def overdue(decision: Decision, today: date | None = None) -> bool:
    return decision.status in OPEN and decision.due_on is not None and decision.due_on < (today or today_paris())


def _fields(d: Decision) -> dict:
    return {"decision_id": d.id, "meeting_id": d.meeting_id, "body_id": d.body_id, "text": d.text,
            "engagements": d.engagements, "responsible_organisation_id": d.responsible_organisation_id,
            "due_on": d.due_on, "status": d.status}


async def record_decision(session: AsyncSession, outbox: Outbox, who: Identity, meeting_id: str,
                          data: DecisionIn) -> Decision:
    """The secretariat records a decision taken in a meeting."""
    require_secretariat(who, "inscrire une décision au registre")
    meeting = await get_meeting(session, meeting_id)
    if meeting.status == "cancelled":
        raise Invalid("Cette réunion a été annulée : aucune décision n'y a été prise.")
    org = data.responsible_organisation_id or None
    if org and await session.get(Organisation, org) is None:
        raise Invalid(f"Organisation inconnue : « {org} ».", field="responsible_organisation_id")
    engagements = await known_engagements(session, data.engagements)
    decision = Decision(id=new_id(), meeting_id=meeting.id, body_id=meeting.body_id,
                        text=clean(data.text, "text", "Décision", required=True) or "",
                        engagements=engagements, responsible_organisation_id=org,
                        due_on=data.due_on, internal=data.internal, recorded_by=who.name)
    session.add(decision)
    await session.flush()
    event = (InternalDecisionRecorded if decision.internal else DecisionRecorded)(**_fields(decision))
    await outbox.record(session, event, subject=f"decision/{decision.id}")
    await session.commit()
    return decision


async def update_follow_up(session: AsyncSession, outbox: Outbox, who: Identity, decision_id: str,
                           data: FollowUpIn) -> Decision:
    """The responsible organisation (or the secretariat) moves a follow-up on, with a comment."""
    decision = await get_or_404(session, Decision, decision_id, "Décision introuvable.")
    responsible = decision.responsible_organisation_id
    if not who.is_secretariat and (responsible is None or who.organisation_id != responsible):
        raise Forbidden("Seule l'organisation chargée du suivi de cette décision (ou le secrétariat du COPIL) peut "
                        "mettre à jour son suivi.")
    comment = clean(data.comment, "comment", "Commentaire", required=True) or ""
    previous = decision.status
    await guarded_update(session, Decision, decision.id, expect={"version": data.version},
                         values={"status": data.status, "version": data.version + 1, "updated_at": now()},
                         conflict="Le suivi de cette décision a été mis à jour entre-temps : relisez-le, puis "
                                  "recommencez.", current=lambda d: {"status": d.status, "version": d.version})
    session.add(FollowUp(id=new_id(), decision_id=decision.id, previous_status=previous, status=data.status,
                         comment=comment, actor_name=who.name, actor_organisation_id=who.organisation_id))
    kind = InternalDecisionFollowUpUpdated if decision.internal else DecisionFollowUpUpdated
    await outbox.record(session, kind(**_fields(decision), previous_status=previous, comment=comment),
                        subject=f"decision/{decision.id}")
    await session.commit()
    return decision


async def decisions_of_meeting(session: AsyncSession, meeting_id: str) -> list[Decision]:
    query = select(Decision).where(Decision.meeting_id == meeting_id).order_by(Decision.created_at)
    return list((await session.exec(query)).all())


async def register(session: AsyncSession, who: Identity, *, engagement: int | None = None,
                   body_id: str | None = None, organisation_id: str | None = None, meeting_id: str | None = None,
                   only_overdue: bool = False, only_open: bool = False) -> list[tuple[Decision, Meeting, Body]]:
    """The decisions the caller may read: public ones, plus internal ones for the secretariat and the members
    of the body that took them; overdue first, then by due date."""
    query = (select(Decision, Meeting, Body).join(Meeting, Meeting.id == Decision.meeting_id)
             .join(Body, Body.id == Decision.body_id))
    if body_id:
        query = query.where(Decision.body_id == body_id)
    if organisation_id:
        query = query.where(Decision.responsible_organisation_id == organisation_id)
    if meeting_id:
        query = query.where(Decision.meeting_id == meeting_id)
    rows = list((await session.exec(query)).all())
    if not who.is_secretariat:
        mine = {s.body_id for s in await member_seats(session, who)}
        rows = [r for r in rows if not r[0].internal or r[0].body_id in mine]
    if engagement is not None:
        rows = [r for r in rows if engagement in r[0].engagements]
    today = today_paris()
    if only_overdue:
        rows = [r for r in rows if overdue(r[0], today)]
    if only_open:
        rows = [r for r in rows if r[0].status in OPEN]
    return sorted(rows, key=lambda r: (not overdue(r[0], today), r[0].due_on or date.max, r[1].local_start))


async def history_of(session: AsyncSession, decision_ids: list[str]) -> dict[str, list[FollowUp]]:
    if not decision_ids:
        return {}
    query = select(FollowUp).where(FollowUp.decision_id.in_(decision_ids)).order_by(FollowUp.at)  # type: ignore[attr-defined]
    out: dict[str, list[FollowUp]] = {}
    for f in (await session.exec(query)).all():
        out.setdefault(f.decision_id, []).append(f)
    return out


def decision_out(d: Decision, meeting: Meeting, body: Body, history: list[FollowUp] | None = None) -> dict:
    return {"id": d.id, "meeting_id": d.meeting_id, "meeting_title": meeting.title,
            "meeting_local_start": meeting.local_start, "body_id": body.id, "body_name": body.name, "text": d.text,
            "engagements": d.engagements, "responsible_organisation_id": d.responsible_organisation_id,
            "due_on": d.due_on, "status": d.status, "status_label": FOLLOW_UP_LABELS.get(d.status, d.status),
            "internal": d.internal, "overdue": overdue(d), "version": d.version, "recorded_by": d.recorded_by,
            "created_at": d.created_at, "updated_at": d.updated_at,
            "history": [{"at": f.at, "previous_status": f.previous_status, "status": f.status, "comment": f.comment,
                         "actor_name": f.actor_name, "actor_organisation_id": f.actor_organisation_id}
                        for f in history or []]}
