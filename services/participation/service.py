"""Participation domain: the registry of organisations and QPV."""

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.outbox import Outbox
from services.participation.events import OrganisationRegistered, QpvRegistered
from services.participation.models import Organisation, Qpv
from services.participation.schemas import RegistryIn, RegistryReport


async def load_registry(session: AsyncSession, outbox: Outbox, registry: RegistryIn) -> RegistryReport:
    """Creates or updates organisations and QPV; publishes an event for each one that changed."""
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
    await session.commit()
    return RegistryReport(organisations_changed=orgs_changed, qpv_changed=qpv_changed)


async def list_organisations(session: AsyncSession, kind: str | None = None) -> list[Organisation]:
    """Gets the organisations, by name."""
    query = select(Organisation).order_by(Organisation.name)
    if kind:
        query = query.where(Organisation.kind == kind)
    return list((await session.exec(query)).all())


async def list_qpv(session: AsyncSession) -> list[Qpv]:
    """Gets the priority neighbourhoods, by name."""
    return list((await session.exec(select(Qpv).order_by(Qpv.name))).all())
