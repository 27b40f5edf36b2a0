"""The chart of an indicator's series, computed here (coordinates in a fixed viewBox) and drawn by the template as
inline SVG: no script, no chart library. The data table under it, built from the same points, is the accessible
source of truth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from gateway.formatting import period_fr, period_short, with_unit
from gateway.labels import QUALIFICATIONS
from kernel.french import number_fr
from services.indicateurs.periods import sort_key

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
    periods = sorted({p["period"] for p in points}, key=sort_key)
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
