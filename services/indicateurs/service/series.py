"""Approved values: an indicator's series (a chart and its data table), an engagement's latest values, and the
rows of the open-data exports (columns: `services.indicateurs.exports`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicateurs.models import IndicatorDefinition, State, Submission
from services.indicateurs.periods import sort_key
from services.indicateurs.schemas import LatestValues, SeriesOut, SeriesPoint
from services.indicateurs.service.definitions import definition, list_definitions
from services.indicateurs.service.reference import qpv_by_id, resolve_qpv


async def approved_values(session: AsyncSession, *, engagement: int | None = None, indicator: int | None = None,
                          period: str | None = None, qpv: str | None = None) -> list[dict[str, Any]]:
    """The latest approved version of each value, as export rows (see `exports.EXPORT_COLUMNS`)."""
    qpvs = await qpv_by_id(session)
    filters = [Submission.state == State.APPROUVE]
    if indicator is not None:
        filters.append(Submission.indicator_id == indicator)
    if period:
        filters.append(Submission.period == period.strip().upper())
    if qpv:
        filters.append(Submission.qpv_id == (resolve_qpv(qpv, qpvs) or qpv))
    newest = (select(Submission.slot, func.max(Submission.version).label("version"))
              .where(*filters).group_by(Submission.slot).subquery())
    query = (select(Submission, IndicatorDefinition)
             .join(newest, and_(Submission.slot == newest.c.slot, Submission.version == newest.c.version))
             .join(IndicatorDefinition, IndicatorDefinition.id == Submission.indicator_id))
    if engagement is not None:
        query = query.where(IndicatorDefinition.engagement_number == engagement)
    rows = (await session.exec(query)).all()
    result = []
    for s, d in rows:
        q = qpvs.get(s.qpv_id) if s.qpv_id else None
        result.append({"contract_id": d.contract_id, "engagement_number": d.engagement_number,
                       "indicator_id": d.id, "indicator_label": d.label, "unit": d.unit, "period": s.period,
                       "qpv_id": s.qpv_id, "qpv_code": q.code if q else None, "qpv_name": q.name if q else None,
                       "value": s.value, "qualification": s.qualification, "organisation_id": s.organisation_id,
                       "approved_at": s.reviewed_at, "version": s.version})
    result.sort(key=lambda r: (r["engagement_number"], r["indicator_id"], sort_key(r["period"]), r["qpv_id"] or "",
                               r["organisation_id"]))
    return result


def _point(r: dict[str, Any]) -> SeriesPoint:
    return SeriesPoint(period=r["period"], qpv_id=r["qpv_id"], qpv_code=r["qpv_code"], qpv_name=r["qpv_name"],
                       organisation_id=r["organisation_id"], value=r["value"], qualification=r["qualification"],
                       version=r["version"], approved_at=r["approved_at"])


async def latest_values(session: AsyncSession, engagement: int) -> list[LatestValues]:
    """Gets each active indicator of an engagement with its approved values for the latest period that has some."""
    definitions = await list_definitions(session, engagement)
    rows = await approved_values(session, engagement=engagement)
    result = []
    for d in definitions:
        mine = [r for r in rows if r["indicator_id"] == d.id]
        last = max((r["period"] for r in mine), key=sort_key, default=None)
        result.append(LatestValues(indicator_id=d.id, indicator_label=d.label, unit=d.unit, periodicity=d.periodicity,
                                   by_qpv=d.by_qpv, target=d.target, period=last,
                                   values=[_point(r) for r in mine if r["period"] == last]))
    return result


async def series(session: AsyncSession, indicator_id: int) -> SeriesOut:
    """The approved values of an indicator by period (and QPV), with its target, for a chart and its table."""
    d = await definition(session, indicator_id)
    rows = await approved_values(session, indicator=indicator_id)
    return SeriesOut(
        indicator_id=d.id or 0, indicator_label=d.label, engagement_number=d.engagement_number, unit=d.unit,
        periodicity=d.periodicity, by_qpv=d.by_qpv, target=d.target,
        periods=sorted({r["period"] for r in rows}, key=sort_key),
        points=[_point(r) for r in rows],
    )
