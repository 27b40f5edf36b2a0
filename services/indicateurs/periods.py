"""Reporting periods: « 2020 » (année), « 2020-S1 »/« 2020-S2 » (semestre), « 2020-T1 »…« 2020-T4 » (trimestre).

A period is a span of months of one year. A campaign for a period covers that period and every shorter period
inside it (« Bilan 2020 » collects the annual value of 2020, its semesters and its quarters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Periodicity(StrEnum):
    ANNUELLE = "annuelle"
    SEMESTRIELLE = "semestrielle"
    TRIMESTRIELLE = "trimestrielle"


PERIODICITY_LABELS = {
    Periodicity.ANNUELLE: "annuel",
    Periodicity.SEMESTRIELLE: "semestriel",
    Periodicity.TRIMESTRIELLE: "trimestriel",
}
PERIODICITY_FORMATS = {
    Periodicity.ANNUELLE: "AAAA, par exemple 2020",
    Periodicity.SEMESTRIELLE: "AAAA-S1 ou AAAA-S2, par exemple 2020-S1",
    Periodicity.TRIMESTRIELLE: "AAAA-T1 à AAAA-T4, par exemple 2020-T3",
}
_MONTHS = {Periodicity.ANNUELLE: 12, Periodicity.SEMESTRIELLE: 6, Periodicity.TRIMESTRIELLE: 3}
_PATTERN = re.compile(r"^(\d{4})(?:-([ST])([1-4]))?$")
FIRST_YEAR, LAST_YEAR = 2000, 2100


class PeriodError(ValueError):
    """A period that does not read as a year, a semester or a quarter (message in French)."""


@dataclass(frozen=True, order=True)
class Period:
    year: int
    first_month: int
    last_month: int

    @property
    def periodicity(self) -> Periodicity:
        length = self.last_month - self.first_month + 1
        return {12: Periodicity.ANNUELLE, 6: Periodicity.SEMESTRIELLE}.get(length, Periodicity.TRIMESTRIELLE)

    def __str__(self) -> str:
        if self.periodicity is Periodicity.ANNUELLE:
            return str(self.year)
        if self.periodicity is Periodicity.SEMESTRIELLE:
            return f"{self.year}-S{1 if self.first_month == 1 else 2}"
        return f"{self.year}-T{(self.first_month + 2) // 3}"

    def contains(self, other: Period) -> bool:
        return self.year == other.year and self.first_month <= other.first_month \
            and other.last_month <= self.last_month

    def parts(self, periodicity: Periodicity) -> list[Period]:
        """The periods of a periodicity inside this one (none when that periodicity is longer)."""
        step = _MONTHS[periodicity]
        found = [Period(self.year, m, m + step - 1) for m in range(1, 13, step)]
        return [p for p in found if self.contains(p)]


def parse(text: str) -> Period:
    """Reads a period; raises PeriodError with a French reason."""
    match = _PATTERN.match(text.strip().upper())
    if not match:
        raise PeriodError(f"période invalide « {text} » (attendu : 2020, 2020-S1 ou 2020-T1)")
    year, kind, index = int(match[1]), match[2], int(match[3] or 0)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(f"période invalide « {text} » : année hors de {FIRST_YEAR}-{LAST_YEAR}")
    if kind is None:
        return Period(year, 1, 12)
    if kind == "S":
        if index > 2:
            raise PeriodError(f"période invalide « {text} » : un semestre est S1 ou S2")
        return Period(year, 6 * index - 5, 6 * index)
    return Period(year, 3 * index - 2, 3 * index)


def check(text: str, periodicity: str) -> str:
    """The canonical form of a period, if it is one of the periodicity's; raises PeriodError otherwise."""
    period = parse(text)
    wanted = Periodicity(periodicity)
    if period.periodicity is not wanted:
        raise PeriodError(f"période hors périodicité : « {text} » ne convient pas à un indicateur "
                          f"{PERIODICITY_LABELS[wanted]} (attendu : {PERIODICITY_FORMATS[wanted]})")
    return str(period)


def period_of(on: date, periodicity: str) -> str:
    """The period of a periodicity that contains a day (« 2026-S2 » for 3 October 2026, semestrial)."""
    step = _MONTHS[Periodicity(periodicity)]
    first = (on.month - 1) // step * step + 1
    return str(Period(on.year, first, first + step - 1))


def sort_key(text: str) -> tuple[int, int, int]:
    """Chronological order, a year before its semesters and quarters."""
    try:
        p = parse(text)
    except PeriodError:
        return (0, 0, 0)
    return (p.year, p.first_month, -p.last_month)
