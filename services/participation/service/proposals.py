"""Members' input to an agenda: items they propose (until the cut-off, decided by the secretariat) and the joint
contributions the interbailleurs and the inter-associatif prepare on an item."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Forbidden, Invalid, NotFound
from kernel.identity import Identity
from kernel.outbox import Outbox
from kernel.rows import get_or_404, guarded_update
from services.participation.events import AgendaItemDecided, AgendaItemProposed
from services.participation.models import Base, now, timestamp
from services.participation.schemas import ContributionIn, ItemIn, ProposalDecision, ProposalIn
from services.participation.service.agendas import AgendaItem, add_item
from services.participation.service.bodies import get_body
from services.participation.service.catalogue import known_engagements
from services.participation.service.common import clean, new_id, require_secretariat, today_paris
from services.participation.service.meetings import Meeting, agenda_due_on, get_meeting, meeting_ref
from services.participation.service.members import member_id_in, member_seats
from services.participation.settings import Settings

CONTRIBUTING_KINDS = ("interbailleurs", "inter-associatif")


class Proposal(Base, table=True):
    id: str = Field(primary_key=True, max_length=32)
    meeting_id: str = Field(foreign_key="meeting.id", max_length=32, index=True)
    member_id: str = Field(foreign_key="person.id", max_length=32, index=True)
    organisation_id: str | None = Field(default=None, max_length=80)
    title: str = Field(max_length=300)
    description: str | None = None
    engagements: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=20)  # pending | accepted | declined
    reason: str | None = None
    item_id: str | None = Field(default=None, max_length=32)
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))
    version: int = 1
    created_at: datetime = Field(default_factory=now, sa_column=timestamp())


class Contribution(Base, table=True):
    __table_args__ = (UniqueConstraint("item_id", "body_id"),)
    id: str = Field(primary_key=True, max_length=32)
    meeting_id: str = Field(foreign_key="meeting.id", max_length=32, index=True)
    item_id: str = Field(max_length=32, index=True)
    body_id: str = Field(foreign_key="body.id", max_length=80)
    text: str
    version: int = 1
    updated_by: str = Field(max_length=200)
    updated_at: datetime = Field(default_factory=now, sa_column=timestamp())


def proposals_close_on(meeting, body, settings: Settings) -> date:  # type: ignore[no-untyped-def]
    """The last day to propose: the secretariat's cut-off, else the agenda's deadline."""
    return meeting.proposals_until or agenda_due_on(meeting, body, settings)


async def propose(session: AsyncSession, outbox: Outbox, settings: Settings, who: Identity, meeting_id: str,
                  data: ProposalIn) -> Proposal:
    """A member of the body proposes an item, until the cut-off."""
    meeting = await get_meeting(session, meeting_id)
    body = await get_body(session, meeting.body_id)
    try:
        member_id = await member_id_in(session, who, body.id)
    except NotFound as exc:
        raise Forbidden("Seuls les membres de l'instance peuvent proposer un point à l'ordre du jour.") from exc
    if meeting.status == "cancelled":
        raise Invalid("Cette réunion est annulée : elle ne reçoit plus de propositions.")
    closes = proposals_close_on(meeting, body, settings)
    if today_paris() > closes:
        raise Invalid(f"Les propositions de points pour cette réunion étaient ouvertes jusqu'au "
                      f"{closes.strftime('%d/%m/%Y')} inclus : la date limite est passée, votre proposition n'a pas "
                      "été enregistrée. Adressez-vous au secrétariat du COPIL.", field="title",
                      closed_on=closes.isoformat())
    seat = next(s for s in await member_seats(session, who) if s.body_id == body.id)
    proposal = Proposal(id=new_id(), meeting_id=meeting.id, member_id=member_id,
                        organisation_id=seat.organisation_id or who.organisation_id,
                        title=clean(data.title, "title", "Titre", required=True, max_length=300) or "",
                        description=clean(data.description, "description", "Présentation"),
                        engagements=await known_engagements(session, data.engagements))
    session.add(proposal)
    await session.flush()
    await outbox.record(session, AgendaItemProposed(meeting=meeting_ref(meeting, body, settings),
                                                    proposal_id=proposal.id, title=proposal.title,
                                                    proposer_organisation_id=proposal.organisation_id,
                                                    proposer_member_id=member_id), subject=f"meeting/{meeting.id}")
    await session.commit()
    return proposal


async def decide(session: AsyncSession, outbox: Outbox, settings: Settings, who: Identity, meeting_id: str,
                 proposal_id: str, data: ProposalDecision) -> Proposal:
    """The secretariat accepts a proposal (it becomes an item of the working agenda) or declines it with a reason."""
    require_secretariat(who, "accepter ou refuser une proposition")
    proposal = await get_or_404(session, Proposal, proposal_id, "Proposition introuvable.")
    if proposal.meeting_id != meeting_id:
        raise NotFound("Proposition introuvable.")
    reason = clean(data.reason, "reason", "Raison", max_length=2000)
    if not data.accepted and reason is None:
        raise Invalid("Indiquez la raison du refus : elle sera montrée à la personne qui a proposé le point.",
                      field="reason")
    meeting = await get_meeting(session, meeting_id)
    body = await get_body(session, meeting.body_id)
    await guarded_update(session, Proposal, proposal.id, expect={"version": data.version, "status": "pending"},
                         values={"status": "accepted" if data.accepted else "declined", "reason": reason,
                                 "decided_by": who.name, "decided_at": now(), "version": data.version + 1},
                         conflict="Cette proposition a déjà été traitée ou modifiée entre-temps.",
                         current=lambda p: {"status": p.status, "version": p.version})
    if data.accepted:
        item = await add_item(session, who, meeting_id, ItemIn(
            title=proposal.title, description=proposal.description, engagements=proposal.engagements,
            presenter_organisation_id=proposal.organisation_id, draft_rev=meeting.draft_rev), proposal_id=proposal.id,
                              commit=False)
        proposal.item_id = item.id
        session.add(proposal)
    await outbox.record(session, AgendaItemDecided(meeting=meeting_ref(meeting, body, settings),
                                                   proposal_id=proposal.id, title=proposal.title,
                                                   accepted=data.accepted, reason=reason,
                                                   proposer_member_id=proposal.member_id),
                        subject=f"meeting/{meeting.id}")
    await session.commit()
    return proposal


async def proposals_for(session: AsyncSession, who: Identity, meeting_id: str) -> list[Proposal]:
    """All proposals for the secretariat; a member's own otherwise."""
    query = select(Proposal).where(Proposal.meeting_id == meeting_id).order_by(Proposal.created_at)
    proposals = list((await session.exec(query)).all())
    if who.is_secretariat:
        return proposals
    mine = {s.person_id for s in await member_seats(session, who)}
    return [p for p in proposals if p.member_id in mine]


async def pending_proposals(session: AsyncSession, who: Identity) -> list[tuple[Proposal, Meeting]]:
    """Every meeting's proposals still awaiting the secretariat's decision, the nearest meeting first."""
    require_secretariat(who, "voir les propositions de points en attente")
    query = (select(Proposal, Meeting).join(Meeting, col(Meeting.id) == Proposal.meeting_id)
             .where(Proposal.status == "pending").order_by(col(Meeting.local_start), col(Proposal.created_at)))
    return [(p, m) for p, m in (await session.exec(query)).all()]


def proposal_out(p: Proposal) -> dict:
    return {"id": p.id, "meeting_id": p.meeting_id, "member_id": p.member_id, "organisation_id": p.organisation_id,
            "title": p.title, "description": p.description, "engagements": p.engagements, "status": p.status,
            "reason": p.reason, "item_id": p.item_id, "decided_by": p.decided_by, "decided_at": p.decided_at,
            "version": p.version, "created_at": p.created_at}


async def contribute(session: AsyncSession, who: Identity, meeting_id: str, item_id: str,
                     data: ContributionIn) -> Contribution:
    """Members of the interbailleurs or the inter-associatif write (together) their body's contribution to an item."""
    body = await get_body(session, data.body_id)
    if body.kind not in CONTRIBUTING_KINDS:
        raise Invalid("Seuls l'interbailleurs et l'inter-associatif préparent une contribution commune.",
                      field="body_id")
    if not any(s.body_id == body.id for s in await member_seats(session, who)):
        raise Forbidden(f"Seuls les membres de « {body.name} » peuvent écrire sa contribution.")
    item = await get_or_404(session, AgendaItem, item_id, "Point de l'ordre du jour introuvable.")
    if item.meeting_id != meeting_id:
        raise NotFound("Point de l'ordre du jour introuvable.")
    text = clean(data.text, "text", "Contribution", required=True, max_length=8000) or ""
    existing = (await session.exec(select(Contribution).where(Contribution.item_id == item_id,
                                                              Contribution.body_id == body.id))).first()
    if existing is None:
        if data.version:
            raise Invalid("Cette contribution n'existe plus : rechargez la page.")
        existing = Contribution(id=new_id(), meeting_id=meeting_id, item_id=item_id, body_id=body.id, text=text,
                                updated_by=who.name)
        session.add(existing)
    else:
        await guarded_update(session, Contribution, existing.id, expect={"version": data.version},
                             values={"text": text, "version": data.version + 1, "updated_by": who.name,
                                     "updated_at": now()},
                             conflict="Quelqu'un a modifié cette contribution entre-temps : relisez sa version "
                                      "actuelle, puis reprenez votre modification.",
                             current=lambda c: {"text": c.text, "version": c.version, "updated_by": c.updated_by})
    await session.commit()
    return existing


async def contributions_of(session: AsyncSession, meeting_id: str) -> list[Contribution]:
    return list((await session.exec(select(Contribution).where(Contribution.meeting_id == meeting_id))).all())


def contribution_out(c: Contribution) -> dict:
    return {"id": c.id, "item_id": c.item_id, "body_id": c.body_id, "text": c.text, "version": c.version,
            "updated_by": c.updated_by, "updated_at": c.updated_at}

