"""What the indicator pages share: French numbers and periods, period choices, the chart drawn as SVG.

The chart is computed here (coordinates in a fixed viewBox) and drawn by the template as inline SVG: no script,
no chart library. The data table under it, built from the same points, is the accessible source of truth.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from gateway.rendering import templates

PARIS = ZoneInfo("Europe/Paris")
FIRST_YEAR = 2015  # the contrat de ville runs from 2015 (extended by the 2019 amendment)

UNITS = ("nombre", "%", "euros", "jours", "heures", "personnes", "ménages", "logements", "places", "m²")
PERIODICITIES = {"annuelle": "Annuelle", "semestrielle": "Semestrielle", "trimestrielle": "Trimestrielle"}
PERIOD_FORMATS = {"annuelle": "2020", "semestrielle": "2020-S1 ou 2020-S2", "trimestrielle": "2020-T1 à 2020-T4"}
QUALIFICATIONS = {"provisoire": "Provisoire", "estime": "Estimé", "definitif": "Définitif"}
STATES = {"brouillon": "Brouillon", "soumis": "Soumis", "approuve": "Approuvé", "a_reprendre": "À reprendre"}
OWED = {"manquant": "Manquante", "brouillon": "Brouillon non soumis", "a_reprendre": "À reprendre"}
_PERIOD = re.compile(r"^(\d{4})(?:-([ST])([1-4]))?$")


# --- numbers -------------------------------------------------------------------------------------------------

def number_fr(value: Any) -> str:
    """1 234,5 (narrow no-break space between thousands, decimal comma, no trailing zeros)."""
    if value is None or value == "":
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if number.is_integer():
        text = f"{int(number):,}"
    else:
        text = f"{number:,.6f}".rstrip("0").rstrip(".")
    return text.replace(",", "\u202f").replace(".", ",").replace("-", "−")


_SINGULAR = {"personnes": "personne", "ménages": "ménage", "logements": "logement", "places": "place",
             "jours": "jour", "heures": "heure"}


def with_unit(value: Any, unit: str | None) -> str:
    """A value followed by its unit: « 12,5 % », « 1 200 € », « 35 personnes », « 120 » (nombre)."""
    text = number_fr(value)
    if text == "" or not unit or unit == "nombre":
        return text
    if unit == "%":
        return f"{text}\u202f%"
    if unit == "euros":
        return f"{text}\u00a0€"
    try:
        one = abs(float(value)) < 2
    except (TypeError, ValueError):
        one = False
    return f"{text}\u00a0{_SINGULAR.get(unit, unit) if one else unit}"


def parse_number(text: str) -> float | None:
    """A number typed the French way (« 1 234,5 ») or the English way (« 1234.5 »); None if it is not one."""
    cleaned = text.strip().replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    cleaned = cleaned.replace("−", "-")
    try:
        number = float(cleaned)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def plain(text: str) -> str:
    """How names sort: case and accents ignored (« État » among the E)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


# --- periods -------------------------------------------------------------------------------------------------

def period_key(text: str) -> tuple[int, int, int]:
    """Chronological order, a year before its semesters and quarters."""
    match = _PERIOD.match(text or "")
    if not match:
        return (0, 0, 0)
    year, kind, index = int(match[1]), match[2], int(match[3] or 0)
    if kind is None:
        return (year, 1, -12)
    length = 6 if kind == "S" else 3
    return (year, length * (index - 1) + 1, -length)


def period_fr(text: str) -> str:
    """2020 → « 2020 » ; 2020-S1 → « 1er semestre 2020 » ; 2020-T3 → « 3e trimestre 2020 »."""
    match = _PERIOD.match(text or "")
    if not match or match[2] is None:
        return text or ""
    rank = "1er" if match[3] == "1" else f"{match[3]}e"
    return f"{rank} {'semestre' if match[2] == 'S' else 'trimestre'} {match[1]}"


def period_short(text: str) -> str:
    """A chart axis label: « 2020 », « 2020 S1 », « 2020 T3 »."""
    return (text or "").replace("-", " ")


def periodicity_of(text: str) -> str | None:
    match = _PERIOD.match(text or "")
    if not match:
        return None
    return {None: "annuelle", "S": "semestrielle", "T": "trimestrielle"}[match[2]]


def parts_of(period: str, periodicity: str) -> list[str]:
    """The periods of a periodicity inside a period (a campaign « 2024 » covers 2024-S1, 2024-T3…)."""
    match = _PERIOD.match(period or "")
    if not match:
        return []
    year = match[1]
    own = periodicity_of(period)
    if own == periodicity:
        return [period]
    if own != "annuelle" and not (own == "semestrielle" and periodicity == "trimestrielle"):
        return []
    if periodicity == "annuelle":
        return [year]
    if periodicity == "semestrielle":
        return [f"{year}-S1", f"{year}-S2"]
    quarters = [f"{year}-T{i}" for i in range(1, 5)]
    if own == "semestrielle":
        return quarters[:2] if match[3] == "1" else quarters[2:]
    return quarters


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
    return sorted(found, key=period_key, reverse=True)


def default_period(periodicity: str, open_campaign_periods: Iterable[str], *, now: datetime | None = None) -> str:
    """What the form proposes first: the latest period of an open campaign, else the last period completed."""
    wanted = sorted({p for c in open_campaign_periods for p in parts_of(c, periodicity)}, key=period_key)
    if wanted:
        return wanted[-1]
    now = now or today()
    if periodicity == "semestrielle":
        return f"{now.year}-S1" if now.month > 6 else f"{now.year - 1}-S2"
    if periodicity == "trimestrielle":
        quarter = (now.month - 1) // 3
        return f"{now.year}-T{quarter}" if quarter else f"{now.year - 1}-T4"
    return str(now.year - 1)


# --- the chart -----------------------------------------------------------------------------------------------

WIDTH, HEIGHT = 720, 320
LEFT, RIGHT, TOP, BOTTOM = 76, 24, 24, 46
SHAPES = ("circle", "square", "triangle", "diamond")
PALETTE_SIZE = 8


@dataclass
class ChartPoint:
    period: str
    value: float
    x: float
    y: float
    label: str  # what a hover says: « 2020 : 120 personnes (définitif) »


@dataclass
class ChartSeries:
    key: str
    label: str
    index: int
    points: list[ChartPoint] = field(default_factory=list)

    @property
    def shape(self) -> str:
        return SHAPES[self.index % len(SHAPES)]

    @property
    def colour(self) -> int:
        return self.index % PALETTE_SIZE

    @property
    def path(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass
class Chart:
    periods: list[str]
    series: list[ChartSeries]
    x_labels: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    target_y: float | None
    target_label: str
    zero_y: float
    summary: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def series_key(point: dict[str, Any], several_organisations: bool) -> str:
    return f"{point.get('qpv_id') or ''}|{point['organisation_id'] if several_organisations else ''}"


def build_table(series_data: dict[str, Any], org_names: dict[str, str]) -> dict[str, Any]:
    """The data table of the series: one row per period, one column per QPV (and organisation, when several)."""
    points = series_data["points"]
    several = len({p["organisation_id"] for p in points}) > 1
    columns: dict[str, str] = {}
    for p in sorted(points, key=lambda p: ((p.get("qpv_name") or ""), org_names.get(p["organisation_id"], ""))):
        key = series_key(p, several)
        if key not in columns:
            parts = [p["qpv_name"] or p["qpv_id"]] if p.get("qpv_id") else []
            if several or not parts:
                parts.append(org_names.get(p["organisation_id"], p["organisation_id"]))
            columns[key] = " — ".join(parts)
    periods = sorted({p["period"] for p in points}, key=period_key)
    cells = {(p["period"], series_key(p, several)): p for p in points}
    rows = [{"period": period, "cells": [cells.get((period, key)) for key in columns]} for period in periods]
    return {"columns": list(columns.items()), "rows": rows}


def build_chart(series_data: dict[str, Any], table: dict[str, Any]) -> Chart | None:
    """The chart of a series (None when no value is approved yet), on the same columns as its table."""
    points = series_data["points"]
    if not points:
        return None
    unit = series_data["unit"]
    target = series_data.get("target")
    periods = [r["period"] for r in table["rows"]]
    values = [float(p["value"]) for p in points]
    low = min([0.0, *values, *([target] if target is not None else [])])
    high = max([*values, *([target] if target is not None else [])])
    if high <= low:
        high = low + 1
    step = _nice_step(high - low)
    low = math.floor(low / step) * step
    high = math.ceil(high / step) * step
    if high - max(values + ([target] if target is not None else [])) < step * 0.1:
        high += step  # room above the highest point for its marker
    plot_left, plot_right, plot_top, plot_bottom = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM

    def y_of(value: float) -> float:
        return plot_bottom - (value - low) / (high - low) * (plot_bottom - plot_top)

    n = len(periods)
    inset = 28 if n > 1 else 0
    xs = {period: (plot_left + plot_right) / 2 if n == 1 else
          plot_left + inset + i * (plot_right - plot_left - 2 * inset) / (n - 1) for i, period in enumerate(periods)}
    series = []
    for index, (key, label) in enumerate(table["columns"]):
        s = ChartSeries(key=key, label=label, index=index)
        for row in table["rows"]:
            p = row["cells"][index]
            if p is None:
                continue
            qualification = QUALIFICATIONS.get(p["qualification"], p["qualification"]).lower()
            text = f"{period_fr(p['period'])} : {with_unit(p['value'], unit)} ({qualification})"
            if len(table["columns"]) > 1:
                text = f"{label}, {text}"
            s.points.append(ChartPoint(period=p["period"], value=float(p["value"]), x=xs[p["period"]],
                                       y=y_of(float(p["value"])), label=text))
        series.append(s)
    every = max(1, math.ceil(n / 10))  # at most about ten period labels under the axis
    x_labels = [(xs[p], period_short(p)) for i, p in enumerate(periods) if i % every == 0 or i == n - 1]
    ticks = []
    tick = low
    while tick <= high + step / 1000:
        ticks.append((y_of(tick), number_fr(round(tick, 6))))
        tick += step
    first, last = period_fr(periods[0]), period_fr(periods[-1])
    span = f"pour {first}" if n == 1 else f"de {first} à {last}"
    summary = (f"Courbe{'s' if len(series) > 1 else ''} des valeurs approuvées {span}"
               f"{f', {len(series)} séries' if len(series) > 1 else ''} ; axe vertical en {unit}.")
    if target is not None:
        summary += f" Ligne pointillée : la cible, {with_unit(target, unit)}."
    summary += " Les valeurs exactes figurent dans le tableau qui suit."
    return Chart(periods=periods, series=series, x_labels=x_labels, y_ticks=ticks,
                 target_y=y_of(target) if target is not None else None,
                 target_label=f"Cible : {with_unit(target, unit)}" if target is not None else "",
                 zero_y=y_of(0.0) if low < 0 < high else plot_bottom, summary=summary)


# --- shared French labels for the templates ------------------------------------------------------------------

templates.env.filters.update(number_fr=number_fr, with_unit=with_unit, period_fr=period_fr)
templates.env.globals.update(QUALIFICATIONS=QUALIFICATIONS, INDICATOR_STATES=STATES, PERIODICITIES=PERIODICITIES,
                             OWED=OWED, PERIOD_FORMATS=PERIOD_FORMATS)
