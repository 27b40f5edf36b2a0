"""Engagement 49's indicators, computed from the appel à projets' data, never typed:

- « Délai de versement des crédits » : the delay of one subsidy is the number of days from its funder's decision to
  its first payment (a later instalment, such as the balance paid after the project's report, is not a delay). Per
  funder and per year the pages show the median and the 90th percentile (nearest rank: the delay 90 % of the
  subsidies did not exceed) over the subsidies paid; the value recorded for the indicator is the median over every
  funder's paid subsidies of the call's year.
- « Nombre de nouvelles conventions pluriannuelles d'objectifs (CPO) » : the projects of the year granted under a CPO
  signed that year (`cpo = nouvelle`; a CPO's later years, `en_cours`, are not new).

Both are recorded through `measures.record_measure` on the 31st of December of the call's year (the indicator's
period is that year), in the transaction of the change that moved them; indicateurs keeps a new version only when
the value changed."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.outbox import Outbox
from services.participation.service.measures import record_measure

ENGAGEMENT = 49
DELAY = "Délai de versement des crédits"
NEW_CPO = "Nombre de nouvelles conventions pluriannuelles d'objectifs (CPO)"


@dataclass(frozen=True)
class DelayStats:
    count: int
    median: float | None
    p90: int | None


def delay_stats(delays: list[int]) -> DelayStats:
    """The median and the 90th percentile (nearest rank) of delays in days."""
    if not delays:
        return DelayStats(0, None, None)
    ordered = sorted(delays)
    return DelayStats(len(ordered), float(statistics.median(ordered)), ordered[math.ceil(0.9 * len(ordered)) - 1])


async def first_payment_delays(session: AsyncSession, year: int) -> dict[str, list[int]]:
    """Per funder: each paid subsidy's days from decision to first payment, for the call of `year`."""
    from services.participation.service.aap_fundings import AapGrant, AapPayment  # they call this module

    grants = {g.id: g for g in (await session.exec(select(AapGrant).where(
        AapGrant.call_year == year, AapGrant.decision == "accorde"))).all()}
    first: dict[str, date] = {}
    if grants:
        for p in (await session.exec(select(AapPayment).where(col(AapPayment.grant_id).in_(list(grants))))).all():
            if p.grant_id not in first or p.paid_on < first[p.grant_id]:
                first[p.grant_id] = p.paid_on
    out: dict[str, list[int]] = {}
    for grant_id, paid_on in first.items():
        g = grants[grant_id]
        out.setdefault(g.funder_id, []).append((paid_on - g.decided_on).days)
    return out


async def new_cpo_count(session: AsyncSession, year: int) -> int:
    from services.participation.service.aap_projects import AapProject

    rows = await session.exec(select(AapProject.id).where(AapProject.call_year == year, AapProject.cpo == "nouvelle",
                                                          AapProject.status == "accorde"))
    return len(rows.all())


async def refresh(session: AsyncSession, outbox: Outbox, year: int) -> None:
    """Records both indicators for the call's year as the data now stand, each only when its value changed since
    the call last published it (the caller commits)."""
    from services.participation.service.aap_calls import AapCall

    call = await session.get(AapCall, year)
    if call is None:
        return
    sent = dict(call.measures)
    delays = [d for per_funder in (await first_payment_delays(session, year)).values() for d in per_funder]
    stats = delay_stats(delays)
    plural = "s" if stats.count > 1 else ""
    todo = []
    if stats.median is not None:
        todo.append((DELAY, stats.median, f"médiane, en jours, de la décision au premier versement, sur {stats.count} "
                                          f"subvention{plural} versée{plural} de l'appel à projets {year} "
                                          f"(90e centile : {stats.p90} jours)"))
    todo.append((NEW_CPO, float(await new_cpo_count(session, year)),
                 f"projets financés de l'appel à projets {year} sous une CPO signée cette année-là"))
    for label, value, basis in todo:
        if sent.get(label) == value:
            continue
        await record_measure(session, outbox, engagement_number=ENGAGEMENT, indicator_label=label,
                             on=date(year, 12, 31), value=value, basis=basis)
        sent[label] = value
    if sent != call.measures:
        call.measures = sent
        session.add(call)
