"""The registry of a contract: organisations and priority neighbourhoods (QPV), loaded from the contract file."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.outbox import Outbox
from services.participation.events import OrganisationRegistered, QpvRegistered
from services.participation.models import Base
from services.participation.schemas import RegistryIn, RegistryReport


class Organisation(Base, table=True):
    """A signatory, a pilot or a participative body (conseil citoyen, inter-associatif, interbailleurs)."""

    id: str = Field(primary_key=True, max_length=80)
    name: str
    short_name: str | None = None
    kind: str = Field(max_length=40, index=True)
    signatory: bool = False
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class Qpv(Base, table=True):
    """A priority neighbourhood (quartier prioritaire de la politique de la ville)."""

    id: str = Field(primary_key=True, max_length=80)
    name: str
    cities: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    code: str | None = Field(default=None, max_length=20, description="Code national du QPV")
    conseil_citoyen: bool | None = None


async def load_registry(session: AsyncSession, outbox: Outbox, registry: RegistryIn) -> RegistryReport:
    """Creates or updates organisations, QPV and bodies; publishes an event for each organisation or QPV that
    changed. Everything commits together."""
    from services.participation.service.bodies import sync_bodies  # bodies refer to organisations and QPV

    orgs_changed: list[str] = []
    for o in registry.organisations:
        org = await session.get(Organisation, o.id)
        values = o.model_dump(exclude={"id"})
        if org is not None and all(getattr(org, k) == v for k, v in values.items()):
            continue
        org = org or Organisation(id=o.id, name=o.name, kind=o.kind)
        for k, v in values.items():
            setattr(org, k, v)
        session.add(org)
        orgs_changed.append(o.id)
        await outbox.record(session, OrganisationRegistered(organisation_id=o.id, name=o.name,
                                                            short_name=o.short_name, kind=o.kind,
                                                            signatory=o.signatory), subject=f"organisation/{o.id}")
    qpv_changed: list[str] = []
    for q in registry.qpv:
        qpv = await session.get(Qpv, q.id)
        values = q.model_dump(exclude={"id"})
        if qpv is not None and all(getattr(qpv, k) == v for k, v in values.items()):
            continue
        qpv = qpv or Qpv(id=q.id, name=q.name)
        for k, v in values.items():
            setattr(qpv, k, v)
        session.add(qpv)
        qpv_changed.append(q.id)
        await outbox.record(session, QpvRegistered(qpv_id=q.id, **values), subject=f"qpv/{q.id}")
    await session.flush()
    bodies_changed = await sync_bodies(session, registry.bodies)
    if qpv_changed or bodies_changed:  # the QPV covered by a conseil citoyen may have changed
        from services.participation.service.conseils import record_coverage

        await session.flush()
        await record_coverage(session, outbox)
    await session.commit()
    return RegistryReport(organisations_changed=orgs_changed, qpv_changed=qpv_changed, bodies_changed=bodies_changed)


async def list_organisations(session: AsyncSession, kind: str | None = None) -> list[Organisation]:
    """Gets the organisations, by name."""
    query = select(Organisation).order_by(Organisation.name)
    if kind:
        query = query.where(Organisation.kind == kind)
    return list((await session.exec(query)).all())


async def list_qpv(session: AsyncSession) -> list[Qpv]:
    """Gets the priority neighbourhoods, by name."""
    return list((await session.exec(select(Qpv).order_by(Qpv.name))).all())


async def organisation_names(session: AsyncSession) -> dict[str, str]:
    return {o.id: o.name for o in (await session.exec(select(Organisation))).all()}
