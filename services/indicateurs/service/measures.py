"""Values the platform computes from other services' data (participation's `measure.computed`): recorded as
approved versions of a value of their own, under the organisation `COMPUTED_BY` (« plateforme »), never typed by anyone.

A measure names its indicator by engagement number and label (the contract's words), so it follows a contract
reload; a contract without that indicator simply has nothing to record. The same value twice records nothing; a
new value is a new version, approved at once: there is no person to check, the computation is the source.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.identity import Identity
from kernel.outbox import Outbox
from services.indicateurs.events import SubmissionValidated
from services.indicateurs.labels import COMPUTED_BY, COMPUTED_BY_NAME
from services.indicateurs.models import IndicatorDefinition, State, Submission, slot_key
from services.indicateurs.periods import period_of
from services.indicateurs.service import common
from services.indicateurs.service.reference import qpv_by_id, resolve_qpv
from services.indicateurs.service.submissions import submission_event

log = logging.getLogger(__name__)

PLATFORM = Identity(user_id=COMPUTED_BY, email="plateforme@invalid", name=COMPUTED_BY_NAME,
                    organisation_id=COMPUTED_BY, organisation_name=COMPUTED_BY_NAME)


async def record_measure(session: AsyncSession, outbox: Outbox, *, engagement_number: int, indicator_label: str,
                         on: date, qpv_id: str | None, value: float, basis: str) -> None:
    d = (await session.exec(select(IndicatorDefinition).where(
        IndicatorDefinition.engagement_number == engagement_number, IndicatorDefinition.label == indicator_label,
        IndicatorDefinition.active))).first()
    if d is None:
        log.info("computed measure for an indicator this contract does not have: %s, engagement %s",
                 indicator_label, engagement_number)
        return
    qpvs = await qpv_by_id(session)
    if qpv_id is not None:
        qpv_id = resolve_qpv(qpv_id, qpvs) if d.by_qpv else None
        if qpv_id is None:
            return
    period = period_of(on, d.periodicity)
    slot = slot_key(d.id or 0, period, qpv_id, PLATFORM.organisation_id or "")
    previous = (await session.exec(select(Submission).where(Submission.slot == slot, Submission.latest))).first()
    if previous is not None and previous.value == value:
        return
    if previous is not None:
        previous.latest = False
    at = common.now()
    s = Submission(slot=slot, indicator_id=d.id or 0, period=period, qpv_id=qpv_id,
                   organisation_id=PLATFORM.organisation_id or "", version=(previous.version if previous else 0) + 1,
                   value=value, qualification="definitif", source=f"Calcul automatique : {basis}",
                   state=State.APPROUVE, submitted_by_user_id=PLATFORM.user_id, submitted_by_name=PLATFORM.name,
                   created_at=at, submitted_at=at, reviewed_by_name=PLATFORM.name, reviewed_at=at)
    session.add(s)
    await session.flush()
    payload, subject = submission_event(SubmissionValidated, s, d, qpvs, actor=PLATFORM)
    await outbox.record(session, payload, subject=subject)
