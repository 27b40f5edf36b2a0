"""Mandats citoyens (engagements 5 and 48): residents mandated to evaluate a chosen subject. The secretariat opens
a mandate (subject, engagements, QPV, timeline, status) and names its members; the members publish findings
(« constats ») and recommendations (`recommendations.py`), which the organisations named must answer.

Members are people of the governance registry (`people.py`): shown publicly by name only if they agreed, and
reached by e-mail; they log in with an account the gateway invites them to create (linked by their address).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Forbidden, Invalid
from kernel.identity import Identity
from kernel.outbox import Outbox
from kernel.rows import get_or_404, guarded_update
from services.participation.events import FindingPublished, MandateOpened, MandateStatusChanged
from services.participation.models import Base, now, timestamp
from services.participation.schemas import FindingIn, MandateIn, MandateMemberIn, MandateUpdate
from services.participation.service.catalogue import known_engagements
from services.participation.service.common import clean, new_id, require_secretariat, today_paris
from services.participation.service.people import Person, create_person, get_person, person_out, persons_of
from services.participation.service.registry import Qpv
from services.participation.settings import Settings

STATUS_LABELS = {"ouvert": "Ouvert", "en_cours": "En cours", "termine": "Terminé"}


class Mandate(Base, table=True):
    id: str = Field(primary_key=True, max_length=32)
    title: str = Field(max_length=300)
    description: str | None = None
    engagements: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    qpv_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    starts_on: date
    ends_on: date | None = None
    status: str = Field(default="ouvert", max_length=20)
    demo: bool = False
    version: int = 1
    opened_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=now, sa_column=timestamp())
    updated_at: datetime = Field(default_factory=now, sa_column=timestamp())


class MandateMember(Base, table=True):
    __tablename__ = "mandate_member"
    id: str = Field(primary_key=True, max_length=32)
    mandate_id: str = Field(foreign_key="mandate.id", max_length=32, index=True)
    person_id: str = Field(foreign_key="person.id", max_length=32, index=True)
    active: bool = True
    created_at: datetime = Field(default_factory=now, sa_column=timestamp())


class Finding(Base, table=True):
    id: str = Field(primary_key=True, max_length=32)
    mandate_id: str = Field(foreign_key="mandate.id", max_length=32, index=True)
    text: str
    published_at: datetime = Field(default_factory=now, sa_column=timestamp())


def mandate_url(settings: Settings, mandate_id: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}/mandats/{mandate_id}"


async def _check_links(session: AsyncSession, engagements: list[int], qpv_ids: list[str]) -> None:
    await known_engagements(session, engagements)
    for qpv_id in qpv_ids:
        if await session.get(Qpv, qpv_id) is None:
            raise Invalid(f"Quartier inconnu : « {qpv_id} ».", field="qpv_ids")


async def open_mandate(session: AsyncSession, outbox: Outbox, settings: Settings, who: Identity, data: MandateIn,
                       *, demo: bool = False) -> Mandate:
    """The secretariat opens a mandate on an evaluation subject."""
    require_secretariat(who, "ouvrir un mandat citoyen")
    title = clean(data.title, "title", "Objet du mandat", required=True, max_length=300) or ""
    description = clean(data.description, "description", "Description", max_length=8000)
    engagements, qpv_ids = sorted(set(data.engagements)), sorted(set(data.qpv_ids))
    await _check_links(session, engagements, qpv_ids)
    starts_on = data.starts_on or today_paris()
    if data.ends_on and data.ends_on < starts_on:
        raise Invalid("La fin du mandat ne peut précéder son début.", field="ends_on")
    mandate = Mandate(id=new_id(), title=title, description=description, engagements=engagements, qpv_ids=qpv_ids,
                      starts_on=starts_on, ends_on=data.ends_on, demo=demo, opened_by=who.name)
    session.add(mandate)
    await outbox.record(session, MandateOpened(
        mandate_id=mandate.id, title=title, description=description, engagements=engagements, qpv_ids=qpv_ids,
        starts_on=starts_on, ends_on=data.ends_on, status="ouvert", url=mandate_url(settings, mandate.id)),
        subject=f"mandate/{mandate.id}")
    await session.commit()
    return mandate


async def get_mandate(session: AsyncSession, mandate_id: str) -> Mandate:
    return await get_or_404(session, Mandate, mandate_id, "Mandat citoyen introuvable.")


async def update_mandate(session: AsyncSession, outbox: Outbox, who: Identity, mandate_id: str,
                         data: MandateUpdate) -> Mandate:
    """The secretariat moves a mandate on (en cours, terminé) or changes its end date."""
    require_secretariat(who, "modifier un mandat citoyen")
    mandate = await get_mandate(session, mandate_id)
    if data.ends_on and data.ends_on < mandate.starts_on:
        raise Invalid("La fin du mandat ne peut précéder son début.", field="ends_on")
    previous = mandate.status
    await guarded_update(session, Mandate, mandate.id, expect={"version": data.version},
                         values={"status": data.status, "ends_on": data.ends_on, "version": data.version + 1,
                                 "updated_at": now()},
                         conflict="Ce mandat a été modifié entre-temps : relisez-le, puis recommencez.",
                         current=lambda m: {"status": m.status, "version": m.version})
    await outbox.record(session, MandateStatusChanged(mandate_id=mandate.id, previous_status=previous,
                                                      status=data.status, ends_on=data.ends_on),
                        subject=f"mandate/{mandate.id}")
    await session.commit()
    return mandate


async def add_member(session: AsyncSession, outbox: Outbox, who: Identity, mandate_id: str,
                     data: MandateMemberIn) -> tuple[MandateMember, Person]:
    """The secretariat names a resident member of a mandate (someone known, or a new person)."""
    require_secretariat(who, "composer un mandat citoyen")
    mandate = await get_mandate(session, mandate_id)
    if data.person_id:
        person = await get_person(session, data.person_id)
        if person.anonymised:
            raise Invalid("Cette personne a été anonymisée : elle ne peut plus être membre.", field="person_id")
    elif data.person is not None:
        person = await create_person(session, outbox, data.person, person_id=new_id())
    else:
        raise Invalid("Indiquez la personne : choisissez-la ou saisissez son nom.", field="person")
    known = (await session.exec(select(MandateMember).where(MandateMember.mandate_id == mandate.id,
                                                            MandateMember.person_id == person.id))).first()
    if known is not None and known.active:
        raise Invalid(f"{person.name} est déjà membre de ce mandat.", field="person_id")
    member = known or MandateMember(id=new_id(), mandate_id=mandate.id, person_id=person.id)
    member.active = True
    session.add(member)
    await session.commit()
    return member, person


async def remove_member(session: AsyncSession, who: Identity, mandate_id: str, member_id: str) -> None:
    require_secretariat(who, "composer un mandat citoyen")
    member = await get_or_404(session, MandateMember, member_id, "Membre introuvable.")
    if member.mandate_id != mandate_id:
        raise Invalid("Ce membre n'appartient pas à ce mandat.")
    member.active = False
    session.add(member)
    await session.commit()


async def members_of(session: AsyncSession, mandate_id: str) -> list[tuple[MandateMember, Person]]:
    rows = (await session.exec(select(MandateMember, Person).join(Person, Person.id == MandateMember.person_id)
                               .where(MandateMember.mandate_id == mandate_id,
                                      MandateMember.active == True))).all()  # noqa: E712
    return sorted(rows, key=lambda r: r[1].name)


async def is_member(session: AsyncSession, who: Identity, mandate_id: str) -> bool:
    mine = {p.id for p in await persons_of(session, who)}
    return any(p.id in mine and not p.anonymised for _, p in await members_of(session, mandate_id))


async def require_author(session: AsyncSession, who: Identity, mandate: Mandate) -> None:
    """Only the mandate's members (or the secretariat) publish in its name, while it is not over."""
    if not who.is_secretariat and not await is_member(session, who, mandate.id):
        raise Forbidden("Seuls les membres de ce mandat citoyen (ou le secrétariat du COPIL) peuvent publier ses "
                        "constats et préconisations.")
    if mandate.status == "termine":
        raise Invalid("Ce mandat est terminé : il ne publie plus de constat ni de préconisation.")


async def publish_finding(session: AsyncSession, outbox: Outbox, who: Identity, mandate_id: str,
                          data: FindingIn) -> Finding:
    """A member publishes a finding of the mandate."""
    mandate = await get_mandate(session, mandate_id)
    await require_author(session, who, mandate)
    text = clean(data.text, "text", "Constat", required=True, max_length=8000) or ""
    finding = Finding(id=new_id(), mandate_id=mandate.id, text=text)
    session.add(finding)
    await outbox.record(session, FindingPublished(finding_id=finding.id, mandate_id=mandate.id, text=text,
                                                  published_at=finding.published_at), subject=f"mandate/{mandate.id}")
    await session.commit()
    return finding


async def findings_of(session: AsyncSession, mandate_id: str) -> list[Finding]:
    return list((await session.exec(select(Finding).where(Finding.mandate_id == mandate_id)
                                    .order_by(Finding.published_at))).all())  # type: ignore[arg-type]


async def list_mandates(session: AsyncSession) -> list[Mandate]:
    """Every mandate, the running ones first, newest first."""
    rows = list((await session.exec(select(Mandate))).all())
    return sorted(rows, key=lambda m: (m.status == "termine", -m.starts_on.toordinal()))


def mandate_out(m: Mandate) -> dict:
    return {"id": m.id, "title": m.title, "description": m.description, "engagements": m.engagements,
            "qpv_ids": m.qpv_ids, "starts_on": m.starts_on, "ends_on": m.ends_on, "status": m.status,
            "status_label": STATUS_LABELS.get(m.status, m.status), "demo": m.demo, "version": m.version,
            "opened_by": m.opened_by, "created_at": m.created_at}


def member_out(member: MandateMember, person: Person, *, private: bool, insider: bool) -> dict:
    return {"id": member.id, "person": person_out(person, private=private, insider=insider)}


def finding_out(f: Finding) -> dict:
    return {"id": f.id, "text": f.text, "published_at": f.published_at}
