"""Values the platform computes from other services' data (participation's `measure.computed`): recorded as
approved versions of a value of their own, under the organisation `COMPUTED_BY` (« plateforme »), never typed by
anyone.

A measure names its indicator by engagement number and label (the contract's words), so it follows a contract
reload. Each measure is kept as received; the latest one of each period and QPV becomes the value as soon as its
indicator's definition exists — now, or when the engagement's definitions arrive, since the two come from
different streams in no guaranteed order (a rebuild from the streams meets them in any order). The same value
twice records nothing; a new value is a new version, approved at once: the computation is the source.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.identity import Identity
from kernel.outbox import Outbox
from services.indicateurs.events import SubmissionValidated, ValueApproved
from services.indicateurs.labels import COMPUTED_BY, COMPUTED_BY_NAME
from services.indicateurs.models import ComputedMeasure, IndicatorDefinition, Qpv, State, Submission, slot_key
from services.indicateurs.periods import period_of
from services.indicateurs.service import common
from services.indicateurs.service.definitions import mark_computed
from services.indicateurs.service.reference import qpv_by_id, resolve_qpv
from services.indicateurs.service.submissions import submission_event

PLATFORM = Identity(user_id=COMPUTED_BY, email="plateforme@invalid", name=COMPUTED_BY_NAME,
                    organisation_id=COMPUTED_BY, organisation_name=COMPUTED_BY_NAME)


async def _definition(session: AsyncSession, engagement_number: int, label: str) -> IndicatorDefinition | None:
    return (await session.exec(select(IndicatorDefinition).where(
        IndicatorDefinition.engagement_number == engagement_number, IndicatorDefinition.label == label,
        IndicatorDefinition.active))).first()


async def _apply(session: AsyncSession, outbox: Outbox, d: IndicatorDefinition, m: ComputedMeasure,
                 qpvs: dict[str, Qpv]) -> None:
    """Makes a measure the definition's value for its period (and QPV), unless it already is; the definition is
    then known as computed (nobody owes or types its values)."""
    await mark_computed(session, outbox, d, actor_name=COMPUTED_BY_NAME)
    qpv_id = resolve_qpv(m.qpv_id, qpvs) if m.qpv_id is not None and d.by_qpv else None
    if (m.qpv_id is not None) != (qpv_id is not None):
        return  # a QPV the definition does not break down by, or one it does not know
    period = period_of(m.measured_on, d.periodicity)
    slot = slot_key(d.id or 0, period, qpv_id, COMPUTED_BY)
    previous = (await session.exec(select(Submission).where(Submission.slot == slot, Submission.latest))).first()
    if previous is not None and previous.value == m.value:
        return
    if previous is not None:
        previous.latest = False
        session.add(previous)
    at = common.now()
    s = Submission(slot=slot, indicator_id=d.id or 0, period=period, qpv_id=qpv_id, organisation_id=COMPUTED_BY,
                   version=(previous.version if previous else 0) + 1, value=m.value, qualification="definitif",
                   source=f"Calcul automatique : {m.basis}", state=State.APPROUVE, submitted_by_user_id=COMPUTED_BY,
                   submitted_by_name=COMPUTED_BY_NAME, created_at=at, submitted_at=at,
                   reviewed_by_name=COMPUTED_BY_NAME, reviewed_at=at)
    session.add(s)
    await session.flush()
    payload, subject = submission_event(SubmissionValidated, s, d, qpvs, actor=PLATFORM)
    await outbox.record_many(session, [(payload, subject), (ValueApproved.of(payload), subject)])


async def record_measure(session: AsyncSession, outbox: Outbox, *, engagement_number: int, indicator_label: str,
                         on: date, qpv_id: str | None, value: float, basis: str) -> None:
    """Keeps a measure and, if its indicator is defined, records it as the value; the consumer commits."""
    m = ComputedMeasure(engagement_number=engagement_number, indicator_label=indicator_label, measured_on=on,
                        qpv_id=qpv_id,
                        value=value, basis=basis)
    session.add(m)
    await session.flush()
    d = await _definition(session, engagement_number, indicator_label)
    if d is not None:
        await _apply(session, outbox, d, m, await qpv_by_id(session))


async def apply_waiting(session: AsyncSession, outbox: Outbox, engagement_number: int) -> None:
    """Once an engagement's definitions are in: the latest measure of each of its indicators, period and QPV
    becomes the value (nothing changes where it already is)."""
    measures = (await session.exec(select(ComputedMeasure).where(
        ComputedMeasure.engagement_number == engagement_number).order_by(col(ComputedMeasure.id)))).all()
    if not measures:
        return
    qpvs = await qpv_by_id(session)
    latest: dict[tuple[int, str, str | None], tuple[IndicatorDefinition, ComputedMeasure]] = {}
    for m in measures:
        d = await _definition(session, engagement_number, m.indicator_label)
        if d is not None:
            latest[(d.id or 0, period_of(m.measured_on, d.periodicity), m.qpv_id)] = (d, m)
    for d, m in latest.values():
        await _apply(session, outbox, d, m, qpvs)
