"""The secretariat's validation queue: every submitted value across indicators, each beside the previous value
of its series (with large variations flagged), and the approval of a selection in one action.

A bulk approval applies each value's own rules, one at a time: the four-eyes rule, the latest version, the state
checked in the UPDATE, one transaction and one `submission.validated` event per value. A value someone changed
meanwhile, or that the approver entered, is refused on its own and does not stop the others.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import DomainError
from kernel.identity import Identity
from kernel.outbox import Outbox
from services.indicateurs.models import IndicatorDefinition, State, Submission
from services.indicateurs.periods import parse, sort_key
from services.indicateurs.schemas import BulkOutcome, BulkRefusal, QueueChoices, QueueItem, QueueOut
from services.indicateurs.service import common
from services.indicateurs.service.campaigns import campaign
from services.indicateurs.service.definitions import definition
from services.indicateurs.service.reference import qpv_by_id
from services.indicateurs.service.submissions import approve_one, own_value, submission_out, submission_row

LARGE_VARIATION = 0.5  # ±50 % from the previous value of the series
QUEUE_PAGE = 100  # rows a page of the queue shows (a year's queue would weigh megabytes)


def _variation(value: float, previous: float | None) -> tuple[float | None, bool]:
    if previous is None:
        return None, False
    if previous == 0:
        return None, value != 0
    variation = (value - previous) / abs(previous)
    return round(variation, 4), abs(variation) >= LARGE_VARIATION


async def queue(session: AsyncSession, *, identity: Identity, organisation: str | None = None,
                engagement: int | None = None, period: str | None = None,
                campaign_id: int | None = None, offset: int = 0, limit: int = QUEUE_PAGE) -> QueueOut:
    """Gets a page of the submitted values (latest versions), filtered, in contract order, each with its series'
    past; the filters' choices come from the whole queue."""
    common.require_secretariat(identity, "consulter les valeurs à valider")
    waiting = (await session.exec(select(Submission).where(Submission.latest, Submission.state == State.SOUMIS)
                                  )).all()
    definitions = {d.id: d for d in (await session.exec(select(IndicatorDefinition))).all()}
    covered = parse((await campaign(session, campaign_id)).period) if campaign_id is not None else None
    wanted = period.strip().upper() if period else None
    qpvs = await qpv_by_id(session)
    shown = sorted((s for s in waiting
                    if (not organisation or s.organisation_id == organisation)
                    and (engagement is None or definitions[s.indicator_id].engagement_number == engagement)
                    and (not wanted or s.period == wanted)
                    and (covered is None or covered.contains(parse(s.period)))),
                   key=lambda s: (definitions[s.indicator_id].engagement_number, s.indicator_id, sort_key(s.period),
                                  qpvs[s.qpv_id].name if s.qpv_id in qpvs else (s.qpv_id or ""), s.organisation_id))
    page = shown[offset:offset + limit]
    # The approved values of the same series: per (indicator, QPV, organisation), per period, the newest version.
    approved: dict[tuple[int, str | None, str], dict[str, tuple[int, float]]] = {}
    indicators = list({s.indicator_id for s in page})
    for chunk in common.chunks(indicators):
        rows = (await session.exec(select(Submission.indicator_id, Submission.qpv_id, Submission.organisation_id,
                                          Submission.period, Submission.version, Submission.value).where(
            col(Submission.indicator_id).in_(chunk), Submission.state == State.APPROUVE))).all()
        for indicator_id, qpv_id, org, p, version, value in rows:
            series = approved.setdefault((indicator_id, qpv_id, org), {})
            if p not in series or series[p][0] < version:
                series[p] = (version, value)
    items = []
    for s in page:
        d = definitions[s.indicator_id]
        series = approved.get((s.indicator_id, s.qpv_id, s.organisation_id), {})
        earlier = [p for p in series if sort_key(p) < sort_key(s.period)]
        previous_period = max(earlier, key=sort_key) if earlier else None
        previous = series[previous_period][1] if previous_period else None
        variation, large = _variation(s.value, previous)
        items.append(QueueItem(**submission_out(s, d, qpvs).model_dump(), engagement_title=d.engagement_title,
                               previous_period=previous_period, previous_value=previous,
                               approved_value=series[s.period][1] if s.period in series else None,
                               variation=variation, large_variation=large,
                               own=own_value(s, identity)))
    choices = QueueChoices(
        organisations=sorted({s.organisation_id for s in waiting}),
        engagements=sorted({(definitions[s.indicator_id].engagement_number,
                             definitions[s.indicator_id].engagement_title) for s in waiting}),
        periods=sorted({s.period for s in waiting}, key=sort_key, reverse=True))
    return QueueOut(items=items, total=len(waiting), matching=len(shown), offset=offset, limit=limit,
                    choices=choices)


async def approve_many(session: AsyncSession, outbox: Outbox, *, ids: Sequence[int],
                       identity: Identity) -> BulkOutcome:
    """Approves each value of a selection under its own rules, one transaction (and one event) per value."""
    common.require_secretariat(identity, "valider des valeurs")
    qpvs = await qpv_by_id(session)
    approved: list[int] = []
    refused: list[BulkRefusal] = []
    for submission_id in dict.fromkeys(ids):
        try:
            s = await submission_row(session, submission_id)
            d = await definition(session, s.indicator_id)
            await approve_one(session, outbox, s=s, d=d, qpvs=qpvs, identity=identity)
            await session.commit()
        except DomainError as exc:
            await session.rollback()
            qpvs = await qpv_by_id(session)  # the rollback expired what the session held
            refused.append(BulkRefusal(id=submission_id, code=exc.code, message=exc.message))
            continue
        approved.append(submission_id)
    return BulkOutcome(approved=approved, refused=refused)
