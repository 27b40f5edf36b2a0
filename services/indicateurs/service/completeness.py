"""What is owed: the values an organisation still owes for a campaign (to-do), and per period, per indicator,
who still owes one (completeness)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Forbidden, Invalid
from kernel.identity import Identity
from services.indicateurs.models import IndicatorDefinition, Qpv, State, Submission, slot_key
from services.indicateurs.periods import Period, parse
from services.indicateurs.schemas import CompletenessOut, IndicatorCompleteness, MissingValue, OwedValue, TodoOut
from services.indicateurs.service import common
from services.indicateurs.service.campaigns import campaign, is_locked
from services.indicateurs.service.reference import qpv_by_id

Expected = list[tuple[IndicatorDefinition, str, str | None, str]]  # (definition, period, QPV, organisation)


async def _expected(session: AsyncSession, period: Period, organisation: str | None) -> tuple[Expected, dict[str, Qpv]]:
    """Every value the period calls for: (definition, period, QPV, organisation), in contract order. Nobody owes
    the values the platform computes."""
    qpvs = await qpv_by_id(session)
    definitions = (await session.exec(select(IndicatorDefinition).where(IndicatorDefinition.active,
                                                                        col(IndicatorDefinition.computed).is_(False))
                                      .order_by(IndicatorDefinition.engagement_number, IndicatorDefinition.id))).all()
    expected: Expected = []
    all_qpv = sorted(qpvs, key=lambda q: qpvs[q].name)
    for d in definitions:
        orgs = [o for o in d.responsible if organisation is None or o == organisation]
        for part in period.parts(d.periodicity):  # type: ignore[arg-type]
            for qpv in ((d.qpv or all_qpv) if d.by_qpv else [None]):
                expected += [(d, str(part), qpv, o) for o in orgs]
    return expected, qpvs


async def _slot_status(session: AsyncSession, periods: Iterable[str]) -> tuple[dict[str, Submission], set[str]]:
    """Latest version by slot, and the slots that have an approved version, for some periods."""
    periods = list(set(periods))
    if not periods:
        return {}, set()
    latest = {s.slot: s for s in (await session.exec(select(Submission).where(
        col(Submission.period).in_(periods), Submission.latest))).all()}
    approved = set((await session.exec(select(Submission.slot).where(
        col(Submission.period).in_(periods), Submission.state == State.APPROUVE))).all())
    return latest, approved


def _owed_status(latest: Submission | None, has_approved: bool, *, returned_too: bool = False) -> str | None:
    """What is still owed for a slot; `returned_too`: a correction sent back is owed even where an older version
    was approved (the to-do list), while completeness counts the approved version as received."""
    if returned_too and latest is not None and latest.state == State.A_REPRENDRE:
        return latest.state
    if has_approved or (latest is not None and latest.state in common.RECEIVED):
        return None
    return "manquant" if latest is None else latest.state


def _organisation_scope(identity: Identity, organisation: str | None) -> str | None:
    """A referent sees its own organisation only; the secretariat any (or all, when none is asked)."""
    if identity.is_secretariat:
        return organisation or None
    if organisation and organisation != identity.organisation_id:
        raise Forbidden("Vous ne pouvez consulter que ce que doit votre organisation.")
    if not identity.organisation_id:
        raise Forbidden("Votre compte n'est rattaché à aucune organisation.")
    return identity.organisation_id


async def todo(session: AsyncSession, *, campaign_id: int, organisation: str | None,
               identity: Identity) -> TodoOut:
    """The values an organisation still owes for a campaign: missing, draft, or returned for revision."""
    c = await campaign(session, campaign_id)
    org = _organisation_scope(identity, organisation)
    if org is None:
        raise Invalid("Indiquez l'organisation (paramètre « organisation »).", field="organisation")
    expected, qpvs = await _expected(session, parse(c.period), org)
    latest, approved = await _slot_status(session, (p for _, p, _, _ in expected))
    owed = []
    for d, period, qpv, o in expected:
        slot = slot_key(d.id or 0, period, qpv, o)
        s = latest.get(slot)
        status = _owed_status(s, slot in approved, returned_too=True)
        if status is None:
            continue
        q = qpvs.get(qpv) if qpv else None
        owed.append(OwedValue(indicator_id=d.id or 0, indicator_label=d.label, engagement_number=d.engagement_number,
                              unit=d.unit, period=period, qpv_id=qpv, qpv_name=q.name if q else None,
                              organisation_id=o, status=status, submission_id=s.id if s else None,  # type: ignore[arg-type]
                              reason=s.reason if s and status == State.A_REPRENDRE else None))
    return TodoOut(campaign_id=c.id or 0, period=c.period, organisation_id=org, locked=is_locked(c),
                   expected=len(expected), owed=owed)


async def completeness(session: AsyncSession, *, period: str, organisation: str | None,
                       identity: Identity) -> CompletenessOut:
    """For a period, per indicator: how many values came in and which organisations (and QPV) still owe one."""
    p = common.parse_period(period)
    org = _organisation_scope(identity, organisation)
    expected, qpvs = await _expected(session, p, org)
    latest, approved = await _slot_status(session, (x for _, x, _, _ in expected))
    by_indicator: dict[int, IndicatorCompleteness] = {}
    for d, sub_period, qpv, o in expected:
        item = by_indicator.get(d.id or 0)
        if item is None:
            item = by_indicator[d.id or 0] = IndicatorCompleteness(
                indicator_id=d.id or 0, indicator_label=d.label, engagement_number=d.engagement_number,
                periodicity=d.periodicity, by_qpv=d.by_qpv, expected=0, received=0, complete=True,
                missing_organisations=[], missing=[])
        item.expected += 1
        slot = slot_key(d.id or 0, sub_period, qpv, o)
        status = _owed_status(latest.get(slot), slot in approved)
        if status is None:
            item.received += 1
            continue
        item.complete = False
        q = qpvs.get(qpv) if qpv else None
        item.missing.append(MissingValue(organisation_id=o, period=sub_period, qpv_id=qpv,
                                         qpv_code=q.code if q else None, status=status))  # type: ignore[arg-type]
        if o not in item.missing_organisations:
            item.missing_organisations.append(o)
    indicators = list(by_indicator.values())
    total = sum(i.expected for i in indicators)
    received = sum(i.received for i in indicators)
    return CompletenessOut(period=str(p), organisation_id=org, expected=total, received=received,
                           rate=round(received / total, 4) if total else 1.0, indicators=indicators)
