"""The registry of a contract: organisations and priority neighbourhoods (QPV), loaded from the contract file."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, Boolean, Column, DateTime, true
from sqlmodel import Field, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Invalid
from kernel.identity import Identity
from kernel.outbox import Outbox
from kernel.rows import get_or_404
from services.participation import qpv_codes
from services.participation.events import OrganisationRegistered, QpvRegistered
from services.participation.models import Base
from services.participation.schemas import QpvUpdate, RegistryIn, RegistryReport
from services.participation.service.common import clean, require_secretariat


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
    # False for a QPV the contract counts but does not name: shown as « non nommé » until the secretariat names it.
    named: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default=true()))
    # Set when the secretariat entered the name or code: a contract reload then keeps what it entered.
    edited_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


CONTRACT_KEEPS = ("conseil_citoyen",)  # what a reload still sets on a QPV the secretariat edited


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
        if qpv is not None and qpv.edited_at is not None:
            values = {k: (v if k in CONTRACT_KEEPS else getattr(qpv, k)) for k, v in values.items()}
        if qpv is not None and all(getattr(qpv, k) == v for k, v in values.items()):
            continue
        qpv = qpv or Qpv(id=q.id, name=q.name)
        for k, v in values.items():
            setattr(qpv, k, v)
        session.add(qpv)
        qpv_changed.append(q.id)
        await outbox.record(session, _registered(qpv), subject=f"qpv/{q.id}")
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


def _registered(qpv: Qpv) -> QpvRegistered:
    return QpvRegistered(qpv_id=qpv.id, name=qpv.name, cities=list(qpv.cities), code=qpv.code,
                         conseil_citoyen=qpv.conseil_citoyen, named=qpv.named)


async def update_qpv(session: AsyncSession, outbox: Outbox, who: Identity, qpv_id: str, data: QpvUpdate) -> Qpv:
    """The secretariat names a QPV and enters its national code (checked against the national format); the
    change is announced like a contract load (`qpv.registered`), so every copy follows."""
    require_secretariat(who, "modifier un quartier prioritaire")
    qpv = await get_or_404(session, Qpv, qpv_id, f"Le quartier « {qpv_id} » n'existe pas.")
    name = clean(data.name, "name", "Nom", required=True, max_length=200)
    code = qpv_codes.normalise(data.code or "") or None
    if code is not None and not qpv_codes.is_valid(code):
        raise Invalid(f"Code national : « {data.code} » n'est pas {qpv_codes.FORMAT_HELP}.", field="code")
    if code is not None:
        taken = (await session.exec(select(Qpv).where(Qpv.code == code, Qpv.id != qpv_id))).first()
        if taken is not None:
            raise Invalid(f"Code national : {code} est déjà celui du quartier « {taken.name} ».", field="code")
    cities = [c.strip() for c in data.cities if c.strip()] if data.cities is not None else list(qpv.cities)
    qpv.name, qpv.code, qpv.cities, qpv.named = name or qpv.name, code, cities, True
    qpv.edited_at = datetime.now(UTC)
    session.add(qpv)
    await outbox.record(session, _registered(qpv), subject=f"qpv/{qpv.id}")
    await session.commit()
    await session.refresh(qpv)
    return qpv
