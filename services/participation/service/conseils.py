"""Conseils citoyens: each one's public profile (its QPV comes from the contract; creation date, contact,
activities), how each member appears publicly (counted only by default, or first name and initial, as they
choose), the « rencontres inter-conseils » hosted in turn by one conseil, and the coverage of the QPV by conseils
(an indicator of engagement 47, computed here and recorded through events, never typed)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Conflict, Forbidden, Invalid, NotFound
from kernel.identity import Identity
from kernel.outbox import Outbox
from kernel.rows import get_or_404
from services.participation.events import ConseilCitoyenChanged
from services.participation.labels import ACTIVITY_LABELS, DISPLAY_LABELS
from services.participation.models import Base, now, timestamp
from services.participation.schemas import ConseilIn, DisplayIn, InterConseilIn, MeetingIn
from services.participation.service.bodies import Body, get_body, list_bodies
from services.participation.service.common import clean, require_secretariat, today_paris
from services.participation.service.meetings import Meeting, schedule_meeting
from services.participation.service.members import Membership, active_members, member_seats
from services.participation.service.people import Person
from services.participation.service.registry import Qpv
from services.participation.settings import Settings

KIND = "conseil-citoyen"
DEFAULT_DISPLAY = "compte"  # the most private: counted, never named
COVERAGE_ENGAGEMENT = 47
COVERAGE_LABEL = "Taux de couverture des quartiers par les conseils citoyens / moyens mobilisés"


class ConseilProfile(Base, table=True):
    __tablename__ = "conseil_citoyen"
    body_id: str = Field(foreign_key="body.id", primary_key=True, max_length=80)
    created_on: date | None = None
    contact: str | None = Field(default=None, max_length=500)
    activities: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    activities_text: str | None = None
    version: int = 1
    updated_by: str | None = Field(default=None, max_length=200)
    updated_at: datetime = Field(default_factory=now, sa_column=timestamp())


class MemberDisplay(Base, table=True):
    """A conseil member's choice of how they appear publicly (no row: the default, counted only)."""

    __tablename__ = "member_display"
    membership_id: str = Field(foreign_key="membership.id", primary_key=True, max_length=32)
    display: str = Field(default=DEFAULT_DISPLAY, max_length=20)
    updated_at: datetime = Field(default_factory=now, sa_column=timestamp())


class InterConseil(Base, table=True):
    """A meeting that is a « rencontre inter-conseils »: every conseil is invited, one hosts it."""

    __tablename__ = "inter_conseil"
    meeting_id: str = Field(foreign_key="meeting.id", primary_key=True, max_length=32)
    host_body_id: str = Field(foreign_key="body.id", max_length=80, index=True)


def first_name_initial(name: str) -> str:
    """« Alice Martin » -> « Alice M. » (what a member who chose to appear is shown as)."""
    words = name.split()
    if len(words) < 2:
        return name
    return f"{words[0]} {words[-1][0].upper()}."


async def get_conseil(session: AsyncSession, body_id: str) -> Body:
    body = await get_body(session, body_id)
    if body.kind != KIND:
        raise NotFound(f"« {body.name} » n'est pas un conseil citoyen.")
    return body


async def _displays(session: AsyncSession, seat_ids: list[str]) -> dict[str, str]:
    if not seat_ids:
        return {}
    rows = (await session.exec(select(MemberDisplay).where(MemberDisplay.membership_id.in_(seat_ids)))).all()  # type: ignore[attr-defined]
    return {r.membership_id: r.display for r in rows}


async def _members(session: AsyncSession, body_id: str) -> list[tuple[Membership, Person, str]]:
    seats = await active_members(session, body_id)
    displays = await _displays(session, [m.id for m, _ in seats])
    return [(m, p, displays.get(m.id, DEFAULT_DISPLAY)) for m, p in seats]


def _shown(members: list[tuple[Membership, Person, str]]) -> list[str]:
    return sorted(first_name_initial(p.name) for _, p, d in members if d == "prenom")


async def announce(session: AsyncSession, outbox: Outbox, body_id: str) -> None:
    """Publishes the conseil's current public state (profile, count, members shown); not committed."""
    body = await get_body(session, body_id)
    if body.kind != KIND:
        return
    await session.flush()
    profile = await session.get(ConseilProfile, body_id)
    members = await _members(session, body_id)
    await outbox.record(session, ConseilCitoyenChanged(
        body_id=body.id, name=body.name, qpv_id=body.qpv_id, created_on=profile.created_on if profile else None,
        activities=profile.activities if profile else [], members_count=len(members), members_shown=_shown(members)),
        subject=f"conseil-citoyen/{body.id}")


async def update_conseil(session: AsyncSession, outbox: Outbox, who: Identity, body_id: str,
                         data: ConseilIn) -> ConseilProfile:
    """The secretariat keeps a conseil's public profile (optimistic concurrency on `version`)."""
    require_secretariat(who, "modifier la fiche d'un conseil citoyen")
    await get_conseil(session, body_id)
    unknown = [a for a in data.activities if a not in ACTIVITY_LABELS]
    if unknown:
        raise Invalid(f"Activité inconnue : « {unknown[0]} ».", field="activities")
    if data.created_on and data.created_on > today_paris():
        raise Invalid("La date de création ne peut pas être dans le futur.", field="created_on")
    profile = await session.get(ConseilProfile, body_id)
    current = profile.version if profile else 0
    if data.version != current:
        raise Conflict("Quelqu'un a modifié la fiche de ce conseil entre-temps : rechargez la page.",
                       current={"version": current})
    profile = profile or ConseilProfile(body_id=body_id, version=0)
    profile.created_on = data.created_on
    profile.contact = clean(data.contact, "contact", "Contact", max_length=500)
    profile.activities = [a for a in ACTIVITY_LABELS if a in set(data.activities)]
    profile.activities_text = clean(data.activities_text, "activities_text", "Activités")
    profile.version, profile.updated_by, profile.updated_at = current + 1, who.name, now()
    session.add(profile)
    await announce(session, outbox, body_id)
    await session.commit()
    return profile


async def set_display(session: AsyncSession, outbox: Outbox, who: Identity, membership_id: str,
                      data: DisplayIn) -> MemberDisplay:
    """A member chooses how they appear publicly (the secretariat may record it for them)."""
    seat = await get_or_404(session, Membership, membership_id, "Siège inconnu.")
    await get_conseil(session, seat.body_id)
    own = any(s.id == seat.id for s in await member_seats(session, who))
    if not (own or who.is_secretariat):
        raise Forbidden("Seul le membre lui-même (ou le secrétariat) choisit comment il apparaît publiquement.")
    row = await session.get(MemberDisplay, membership_id) or MemberDisplay(membership_id=membership_id)
    row.display, row.updated_at = data.display, now()
    session.add(row)
    await announce(session, outbox, seat.body_id)
    await session.commit()
    return row


async def schedule_inter_conseils(session: AsyncSession, outbox: Outbox, settings: Settings, who: Identity,
                                  data: InterConseilIn) -> Meeting:
    """The secretariat schedules a rencontre inter-conseils, hosted by one conseil (a meeting of that body)."""
    require_secretariat(who, "programmer une rencontre inter-conseils")
    host = await get_conseil(session, data.host_body_id)
    meeting = await schedule_meeting(session, outbox, settings, who, MeetingIn(
        body_id=host.id, title=data.title, starts_at=data.starts_at, ends_at=data.ends_at, place=data.place),
        commit=False)
    session.add(InterConseil(meeting_id=meeting.id, host_body_id=host.id))
    await session.commit()
    return meeting


async def next_host(session: AsyncSession) -> Body | None:
    """Whose turn it is to host: a conseil that never hosted, else the one that hosted longest ago."""
    conseils = [b for b in await list_bodies(session) if b.kind == KIND]
    rows = (await session.exec(select(InterConseil, Meeting).join(Meeting, Meeting.id == InterConseil.meeting_id)
                               .where(Meeting.status != "cancelled"))).all()
    last: dict[str, datetime] = {}
    for link, meeting in rows:
        last[link.host_body_id] = max(last.get(link.host_body_id, meeting.local_start), meeting.local_start)
    return min(conseils, key=lambda b: (b.id in last, last.get(b.id, datetime.min), b.name), default=None)


async def rencontres(session: AsyncSession, who: Identity) -> list[tuple[Meeting, Body, bool]]:
    """The rencontres inter-conseils the caller may see, each with whether the caller may open it: every one for
    the secretariat and any conseil's members (they are all invited: the date is theirs to keep), published ones
    for everyone else. Before its agenda is published, a rencontre opens to the secretariat and the host's
    members only, as any meeting."""
    rows = (await session.exec(select(Meeting, Body).join(InterConseil, InterConseil.meeting_id == Meeting.id)
                               .join(Body, Body.id == Meeting.body_id).order_by(Meeting.local_start))).all()
    conseils = {b.id for b in await list_bodies(session) if b.kind == KIND}
    seated = {s.body_id for s in await member_seats(session, who)}
    invited = who.is_secretariat or bool(seated & conseils)
    return [(m, b, bool(who.is_secretariat or m.published_version or b.id in seated)) for m, b in rows
            if invited or m.published_version]


async def coverage(session: AsyncSession) -> dict:
    """How many QPV have a conseil citoyen, out of all the contract's QPV."""
    qpv = {q.id: q.name for q in (await session.exec(select(Qpv))).all()}
    covered = sorted({b.qpv_id for b in await list_bodies(session) if b.kind == KIND and b.qpv_id in qpv})
    total = len(qpv)
    value = round(100 * len(covered) / total, 1) if total else 0.0
    names = ", ".join(sorted(qpv[q] for q in covered))
    return {"covered": len(covered), "total": total, "value": value, "qpv_ids": covered,
            "basis": f"{len(covered)} QPV sur {total} (les QPV du référentiel du contrat) ont un conseil citoyen "
                     f"({names}) ; calculé à partir des instances de la plateforme."}


async def record_coverage(session: AsyncSession, outbox: Outbox) -> dict:
    """Computes the coverage and records it as a value of engagement 47's indicator (the measure event indicateurs
    records as an approved value); not committed."""
    from services.participation.service.measures import record_measure

    found = await coverage(session)
    await record_measure(session, outbox, engagement_number=COVERAGE_ENGAGEMENT, indicator_label=COVERAGE_LABEL,
                         value=found["value"], basis=found["basis"])
    return found


async def conseil_out(session: AsyncSession, who: Identity, body: Body, qpv_names: dict[str, str]) -> dict:
    """A conseil as the caller may see it: the public sees first name and initial of those who chose it and a
    count; members and the secretariat see names; the secretariat also addresses and each member's choice."""
    profile = await session.get(ConseilProfile, body.id)
    members = await _members(session, body.id)
    mine = {s.id for s in await member_seats(session, who)}
    is_member = any(m.id in mine for m, _, _ in members)
    out = {"id": body.id, "name": body.name, "description": body.description, "qpv_id": body.qpv_id,
           "qpv_name": qpv_names.get(body.qpv_id or "", body.qpv_id),
           "created_on": profile.created_on if profile else None, "contact": profile.contact if profile else None,
           "activities": [{"code": a, "label": ACTIVITY_LABELS[a]} for a in (profile.activities if profile else [])
                          if a in ACTIVITY_LABELS],
           "activities_text": profile.activities_text if profile else None,
           "version": profile.version if profile else 0, "members_count": len(members),
           "members_shown": _shown(members), "is_member": is_member}
    if who.is_secretariat or is_member:
        out["members"] = [{"membership_id": m.id, "name": p.name, "display": d,
                           "display_label": DISPLAY_LABELS.get(d, d), "mine": m.id in mine,
                           **({"person_id": p.id, "email": p.email, "account_id": p.account_id}
                              if who.is_secretariat else {})}
                          for m, p, d in sorted(members, key=lambda r: r[1].name)]
    return out
