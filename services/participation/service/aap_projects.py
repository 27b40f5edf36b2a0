"""Projects of the appel à projets: the carrying association (RNA or SIREN), title, summary, QPV, the themes and
engagements served, the amount asked, CPO or not, and the status the funders' decisions give it (`aap_fundings`).

Who sees what: the secretariat and the referents of the call's funders see every project; everyone else, without
an account included, sees only the projects a funder granted (a project pending or refused is not public)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Conflict, Forbidden, Invalid, NotFound
from kernel.identity import Identity
from kernel.outbox import Outbox
from kernel.rows import guarded_update
from services.participation.aap_format import association_number, plain
from services.participation.events.aap import AapProjectPublished, AapProjectRecorded, FundedProject
from services.participation.models import Base, now, timestamp
from services.participation.schemas import AapProjectIn
from services.participation.service import catalogue
from services.participation.service.aap_calls import AapCall, get_call, is_funder
from services.participation.service.common import clean, new_id
from services.participation.service.registry import Qpv

STATUSES = ("depose", "accorde", "refuse")


class AapProject(Base, table=True):
    __tablename__ = "aap_project"
    __table_args__ = (UniqueConstraint("call_year", "association_id", "title_key"),)
    id: str = Field(primary_key=True, max_length=32)
    call_year: int = Field(foreign_key="aap_call.year", index=True)
    association_name: str = Field(max_length=300)
    association_id: str = Field(max_length=20, index=True)
    title: str = Field(max_length=300)
    title_key: str = Field(max_length=300)  # the title without case or accents: how a spreadsheet line finds it
    summary: str | None = None
    qpv: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    themes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    engagements: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    amount_asked: int = 0
    cpo: str = Field(default="non", max_length=10)
    status: str = Field(default="depose", max_length=10, index=True)
    demo: bool = False  # fictional (demonstration data), said so on every page that shows it
    version: int = 1
    created_at: datetime = Field(default_factory=now, sa_column=timestamp())
    updated_at: datetime = Field(default_factory=now, sa_column=timestamp())


def may_manage(call: AapCall, who: Identity) -> bool:
    """The secretariat and the call's funders manage its projects (and see the pending and refused ones)."""
    return who.is_secretariat or is_funder(call, who)


def require_manager(call: AapCall, who: Identity, what: str) -> None:
    if not may_manage(call, who):
        raise Forbidden(f"Seuls le secrétariat et les référents des financeurs de l'appel {call.year} peuvent {what}.")


def public_fields(p: AapProject) -> FundedProject:
    return FundedProject(project_id=p.id, call_year=p.call_year, association_name=p.association_name,
                         association_id=p.association_id, title=p.title, summary=p.summary, qpv=p.qpv,
                         themes=p.themes, engagements=p.engagements, amount_asked=p.amount_asked,
                         cpo=p.cpo)  # type: ignore[arg-type]


async def _checked(session: AsyncSession, data: AapProjectIn) -> dict:
    number, why = association_number(data.association_id)
    if why:
        raise Invalid(why[0].upper() + why[1:] + ".", field="association_id")
    qpv_ids = {q.id for q in (await session.exec(select(Qpv))).all()}
    unknown = [q for q in data.qpv if q not in qpv_ids]
    if unknown:
        raise Invalid(f"QPV inconnu : « {unknown[0]} ».", field="qpv")
    if not data.qpv:
        raise Invalid("Quartiers : choisissez au moins un QPV.", field="qpv")
    themes = await catalogue.themes(session)
    if themes and any(t not in themes for t in data.themes):
        raise Invalid("Thème inconnu.", field="themes")
    engagements = await catalogue.known_engagements(session, data.engagements)
    title = clean(data.title, "title", "Titre du projet", required=True, max_length=300) or ""
    return {"association_name": clean(data.association_name, "association_name", "Association", required=True,
                                      max_length=300),
            "association_id": number, "title": title, "title_key": plain(title)[:300],
            "summary": clean(data.summary, "summary", "Résumé"), "qpv": list(dict.fromkeys(data.qpv)),
            "themes": list(dict.fromkeys(data.themes)), "engagements": engagements,
            "amount_asked": data.amount_asked, "cpo": data.cpo}


async def find_project(session: AsyncSession, year: int, association_id: str, title: str) -> AapProject | None:
    query = select(AapProject).where(AapProject.call_year == year, AapProject.association_id == association_id,
                                     AapProject.title_key == plain(title)[:300])
    return (await session.exec(query)).first()


async def announce(session: AsyncSession, outbox: Outbox, project: AapProject, *, description_changed: bool) -> None:
    """The internal record of every change; the public one when a funded project's description changes."""
    fields = public_fields(project)
    await outbox.record(session, AapProjectRecorded(project=fields, status=project.status,  # type: ignore[arg-type]
                                                    version=project.version), subject=f"aap_project/{project.id}")
    if description_changed and project.status == "accorde":
        await outbox.record(session, AapProjectPublished(project=fields, version=project.version),
                            subject=f"aap_project/{project.id}")


async def add_project(session: AsyncSession, outbox: Outbox, who: Identity, year: int, data: AapProjectIn, *,
                      commit: bool = True) -> AapProject:
    """The secretariat or a funder of the call records a project submitted to it."""
    call = await get_call(session, year)
    require_manager(call, who, "enregistrer un projet")
    values = await _checked(session, data)
    if await find_project(session, year, values["association_id"], values["title"]) is not None:
        raise Conflict(f"Cette association a déjà un projet « {values['title']} » dans l'appel {year}.")
    project = AapProject(id=new_id(), call_year=year, demo=data.demo, **values)
    session.add(project)
    await session.flush()
    await announce(session, outbox, project, description_changed=False)
    if commit:
        await session.commit()
    return project


async def update_project(session: AsyncSession, outbox: Outbox, who: Identity, project_id: str,
                         data: AapProjectIn) -> AapProject:
    """The secretariat or a funder corrects a project's description, with the version it read."""
    project = await get_project(session, who, project_id)
    require_manager(await get_call(session, project.call_year), who, "modifier un projet")
    if data.version is None:
        raise Invalid("Version du projet manquante.", field="version")
    values = await _checked(session, data)
    other = await find_project(session, project.call_year, values["association_id"], values["title"])
    if other is not None and other.id != project.id:
        raise Conflict(f"Cette association a déjà un projet « {values['title']} » dans l'appel {project.call_year}.")
    await guarded_update(session, AapProject, project.id, expect={"version": data.version},
                         values={**values, "version": data.version + 1, "updated_at": now()},
                         conflict="Ce projet a été modifié entre-temps : relisez-le, puis recommencez.",
                         current=lambda p: {"version": p.version, "title": p.title})
    await announce(session, outbox, project, description_changed=True)
    await session.commit()
    return project


async def get_project(session: AsyncSession, who: Identity, project_id: str) -> AapProject:
    """A project the caller may see (one not funded is « introuvable » to those who may not see it)."""
    project = await session.get(AapProject, project_id)
    if project is None or (project.status != "accorde"
                           and not may_manage(await get_call(session, project.call_year), who)):
        raise NotFound("Ce projet n'existe pas ou n'est pas public.")
    return project


async def projects_of_call(session: AsyncSession, who: Identity, year: int, *, status: str | None = None,
                           qpv: str | None = None, theme: str | None = None) -> list[AapProject]:
    """Every project of a call for its managers, by association then title."""
    require_manager(await get_call(session, year), who, "voir tous les projets")
    query = select(AapProject).where(AapProject.call_year == year)
    if status in STATUSES:
        query = query.where(AapProject.status == status)
    rows = list((await session.exec(query.order_by(AapProject.association_name, AapProject.title))).all())
    return [p for p in rows if (not qpv or qpv in p.qpv) and (not theme or theme in p.themes)]


def project_out(p: AapProject) -> dict:
    return {"id": p.id, "call_year": p.call_year, "association_name": p.association_name,
            "association_id": p.association_id, "title": p.title, "summary": p.summary, "qpv": p.qpv,
            "themes": p.themes, "engagements": p.engagements, "amount_asked": p.amount_asked, "cpo": p.cpo,
            "status": p.status, "demo": p.demo, "version": p.version}
