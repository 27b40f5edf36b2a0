"""This service's copies of participation's QPV and organisations (kept from events; see `handlers`)."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicateurs.models import Organisation, Qpv
from services.indicateurs.schemas import QpvOut
from services.indicateurs.service import common


async def upsert_qpv(session: AsyncSession, *, qpv_id: str, name: str, code: str | None, cities: list[str]) -> None:
    """Keeps this service's copy of a QPV (its national code joins values to other public data)."""
    qpv = await session.get(Qpv, qpv_id) or Qpv(id=qpv_id, name=name)
    qpv.name, qpv.code, qpv.cities, qpv.updated_at = name, code, cities, common.now()
    session.add(qpv)


async def upsert_organisation(session: AsyncSession, *, organisation_id: str, name: str, short_name: str | None,
                              kind: str) -> None:
    """Keeps this service's copy of an organisation (to check the responsible organisations named)."""
    org = await session.get(Organisation, organisation_id) or Organisation(id=organisation_id, name=name, kind=kind)
    org.name, org.short_name, org.kind = name, short_name, kind
    session.add(org)


async def list_qpv(session: AsyncSession) -> list[QpvOut]:
    """Gets the QPV this service knows, by name."""
    return [QpvOut.model_validate(q, from_attributes=True)
            for q in (await session.exec(select(Qpv).order_by(Qpv.name))).all()]


async def qpv_by_id(session: AsyncSession) -> dict[str, Qpv]:
    return {q.id: q for q in (await session.exec(select(Qpv))).all()}


def resolve_qpv(reference: str, qpvs: dict[str, Qpv]) -> str | None:
    """The id of a QPV named by its id or its national code (any case), or None."""
    if reference in qpvs:
        return reference
    return {q.code.upper(): q.id for q in qpvs.values() if q.code}.get(reference.upper())
