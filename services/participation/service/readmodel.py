"""Participation's own copy of what other services announced: engagement progress updates and approved indicator
values (for the "depuis la dernière réunion" pack), and each engagement's title and pilots (who owes an answer to
an opinion). Built from their events, never from their databases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.participation.models import Base, aware, timestamp


class ProgressSeen(Base, table=True):
    __tablename__ = "progress_seen"
    event_id: str = Field(primary_key=True, max_length=64)
    engagement_number: int = Field(index=True)
    title: str
    organisation_id: str = Field(max_length=80)
    organisation_name: str
    actor_name: str = Field(max_length=200)
    actor_organisation_id: str | None = Field(default=None, max_length=80)
    version: int
    before_status: str = Field(max_length=20)
    after_status: str = Field(max_length=20)
    before_progress: int
    after_progress: int
    changed: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    consolidated_status: str = Field(max_length=20)
    comment: str | None = None
    at: datetime = Field(sa_column=timestamp(index=True))


class ValueSeen(Base, table=True):
    __tablename__ = "value_seen"
    event_id: str = Field(primary_key=True, max_length=64)
    submission_id: int
    indicator_id: int
    indicator_label: str
    engagement_number: int = Field(index=True)
    period: str = Field(max_length=20)
    qpv_id: str | None = Field(default=None, max_length=80)
    value: float
    unit: str = Field(max_length=40)
    organisation_id: str = Field(max_length=80)
    at: datetime = Field(sa_column=timestamp(index=True))


async def record_progress(session: AsyncSession, row: ProgressSeen) -> None:
    if await session.get(ProgressSeen, row.event_id) is None:
        session.add(row)


async def record_value(session: AsyncSession, row: ValueSeen) -> None:
    if await session.get(ValueSeen, row.event_id) is None:
        session.add(row)


async def progress_between(session: AsyncSession, start: datetime | None, end: datetime) -> list[ProgressSeen]:
    query = select(ProgressSeen).where(ProgressSeen.at <= end)
    if start is not None:
        query = query.where(ProgressSeen.at > start)
    rows = list((await session.exec(query.order_by(ProgressSeen.engagement_number, ProgressSeen.at))).all())
    for r in rows:
        r.at = aware(r.at)
    return rows


async def values_between(session: AsyncSession, start: datetime | None, end: datetime) -> list[ValueSeen]:
    """The values approved in the interval, only the latest one of each indicator, period and QPV (a value
    approved again, or recomputed, supersedes the earlier ones), by engagement, indicator and period."""
    query = select(ValueSeen).where(ValueSeen.at <= end)
    if start is not None:
        query = query.where(ValueSeen.at > start)
    latest: dict[tuple[int, str, str | None], ValueSeen] = {}
    for r in (await session.exec(query.order_by(ValueSeen.at, ValueSeen.submission_id))).all():
        latest[(r.indicator_id, r.period, r.qpv_id)] = r
    rows = sorted(latest.values(), key=lambda r: (r.engagement_number, r.indicator_label, r.period, r.qpv_id or ""))
    for r in rows:
        r.at = aware(r.at)
    return rows
