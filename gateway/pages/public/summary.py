"""Pure computations of the portal: engagements counted by status per axis and theme (the home's chart and its
table), indicator values grouped into series, the latest values. No I/O: tested on plain data."""

from __future__ import annotations

from collections import Counter
from typing import Any

from gateway.labels import STATUSES
from services.indicateurs.periods import sort_key

STATUS_ORDER = list(STATUSES)  # à lancer, en cours, réalisé, reporté, abandonné
BAR_WIDTH = 600  # the chart's viewBox width for 100 %


def _row(label: str, items: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    counts = Counter(e["status"] for e in items)
    total = len(items)
    segments, x = [], 0.0
    for status in STATUS_ORDER:
        n = counts.get(status, 0)
        width = BAR_WIDTH * n / total if total else 0
        if n:
            segments.append({"status": status, "label": STATUSES[status], "count": n, "x": round(x, 1),
                             "width": round(width, 1)})
        x += width
    return {"label": label, "total": total, "counts": [counts.get(s, 0) for s in STATUS_ORDER],
            "segments": segments, "progress": round(sum(e["progress"] for e in items) / total) if total else 0,
            **extra}


def progress_by_axis(engagements: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts by status: the whole contract, each axis, each theme within its axis (contract order)."""
    axes: dict[int, dict[str, Any]] = {}
    for e in engagements:
        axis = axes.setdefault(e["axis_number"], {"number": e["axis_number"], "title": e["axis_title"],
                                                  "items": [], "themes": {}})
        axis["items"].append(e)
        axis["themes"].setdefault(e["theme_id"], {"title": e["theme_title"], "items": []})["items"].append(e)
    rows = []
    for axis in sorted(axes.values(), key=lambda a: a["number"]):
        themes = [_row(t["title"], t["items"], theme_id=tid) for tid, t in axis["themes"].items()]
        rows.append(_row(f"Axe {axis['number']} — {axis['title']}", axis["items"], number=axis["number"],
                         themes=themes))
    return {"statuses": [(s, STATUSES[s]) for s in STATUS_ORDER], "total": _row("Ensemble du contrat", engagements),
            "axes": rows, "bar_width": BAR_WIDTH}


def series_by_indicator(values: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Approved values grouped by indicator (contract order), each a series of rows by period then QPV."""
    grouped: dict[int, dict[str, Any]] = {}
    for v in values:
        s = grouped.setdefault(v["indicator_id"], {"indicator_id": v["indicator_id"], "label": v["indicator_label"],
                                                   "unit": v["unit"], "engagement": v["engagement_number"],
                                                   "rows": []})
        s["rows"].append(v)
    out = sorted(grouped.values(), key=lambda s: (s["engagement"], s["indicator_id"]))
    for s in out:
        s["rows"].sort(key=lambda v: (sort_key(v["period"]), v.get("qpv_name") or "", v["organisation_id"]))
        s["by_qpv"] = any(v.get("qpv_id") for v in s["rows"])
        s["latest"] = s["rows"][-1]["period"] if s["rows"] else None
    return out


def latest_values(values: list[dict[str, Any]], limit: int = 6) -> list[dict[str, Any]]:
    """The most recently approved values, newest first."""
    return sorted(values, key=lambda v: v.get("approved_at") or "", reverse=True)[:limit]
