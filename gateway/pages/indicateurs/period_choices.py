"""The periods an indicator's forms propose: from the start of the contrat de ville to the period under way, and
the periods an open campaign asks for. Their grammar is the indicateurs service's published `periods` module."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from kernel.french import PARIS
from services.indicateurs.periods import PeriodError, Periodicity, parse, sort_key

FIRST_YEAR = 2015  # the contrat de ville runs from 2015 (extended by the 2019 amendment)


def periodicity_of(text: str) -> str | None:
    """« annuelle », « semestrielle » or « trimestrielle »; None for what is not a period."""
    try:
        return parse(text or "").periodicity.value
    except PeriodError:
        return None


def parts_of(period: str, periodicity: str) -> list[str]:
    """The periods of a periodicity inside a period (a campaign « 2024 » covers 2024-S1, 2024-T3…)."""
    try:
        return [str(p) for p in parse(period or "").parts(Periodicity(periodicity))]
    except (PeriodError, ValueError):
        return []


def today() -> datetime:
    return datetime.now(PARIS)


def period_choices(periodicity: str, *, extra: Iterable[str] = (), now: datetime | None = None) -> list[str]:
    """The periods one may report for, newest first: from 2015 to the period under way, plus `extra`."""
    now = now or today()
    found: set[str] = set()
    for year in range(FIRST_YEAR, now.year + 1):
        if periodicity == "semestrielle":
            candidates = [(f"{year}-S{i}", 6 * i - 5) for i in (1, 2)]
        elif periodicity == "trimestrielle":
            candidates = [(f"{year}-T{i}", 3 * i - 2) for i in range(1, 5)]
        else:
            candidates = [(str(year), 1)]
        found.update(p for p, first_month in candidates if (year, first_month) <= (now.year, now.month))
    found.update(p for p in extra if periodicity_of(p) == periodicity)
    return sorted(found, key=sort_key, reverse=True)


def default_period(periodicity: str, open_campaign_periods: Iterable[str], *, locked: Iterable[str] = (),
                   now: datetime | None = None) -> str:
    """What a form proposes first: the latest period of an open campaign; else the last period completed that no
    closed campaign locks (a locked one would only be refused)."""
    wanted = sorted({p for c in open_campaign_periods for p in parts_of(c, periodicity)}, key=sort_key)
    if wanted:
        return wanted[-1]
    now = now or today()
    if periodicity == "semestrielle":
        last = f"{now.year}-S1" if now.month > 6 else f"{now.year - 1}-S2"
    elif periodicity == "trimestrielle":
        quarter = (now.month - 1) // 3
        last = f"{now.year}-T{quarter}" if quarter else f"{now.year - 1}-T4"
    else:
        last = str(now.year - 1)
    closed = set(locked)
    earlier = [p for p in period_choices(periodicity, now=now) if sort_key(p) <= sort_key(last) and p not in closed]
    return earlier[0] if earlier else last
