"""Indicator values the platform computes from participation's own data (engagement 47's coverage of the QPV by
conseils citoyens, its count of active associations, engagement 49's payment delays…).

Nobody types them: the aggregate that changes the data calls `record_measure` in the same transaction, and
indicateurs records the value as approved (a new version only when it changed), so the series, the public pages
and the integrators see it like any other value.
"""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.outbox import Outbox
from services.participation.events import MeasureComputed
from services.participation.service.common import today_paris


async def record_measure(session: AsyncSession, outbox: Outbox, *, engagement_number: int, indicator_label: str,
                         value: float, basis: str, on: date | None = None, qpv_id: str | None = None) -> None:
    """Publishes a computed value of the indicator `indicator_label` of an engagement; the caller commits."""
    event = MeasureComputed(engagement_number=engagement_number, indicator_label=indicator_label,
                            on=on or today_paris(), qpv_id=qpv_id, value=value, basis=basis)
    await outbox.record(session, event, subject=f"engagement/{engagement_number}")
