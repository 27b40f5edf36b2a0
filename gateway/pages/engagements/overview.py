"""Vue d'ensemble: the 50 engagements with filters, and a summary by status per axis (secretariat's tool)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.clients import ServiceCalls
from gateway.deps import CallsDep, CurrentViewer
from gateway.labels import STATUSES
from gateway.pages.engagements.themes import theme_choices
from gateway.pages.lookups import optional, qpv_list
from gateway.rendering import is_htmx, render

router = APIRouter()


def summary_by_axis(items: list[dict[str, Any]], axes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of the summary table: per axis, how many engagements in each consolidated status."""
    rows = []
    for axis in axes:
        inside = [e for e in items if e["axis_number"] == axis["number"]]
        rows.append({"axis": axis, "counts": {s: sum(1 for e in inside if e["status"] == s) for s in STATUSES},
                     "total": len(inside)})
    totals = {s: sum(r["counts"][s] for r in rows) for s in STATUSES}
    return rows + [{"axis": None, "counts": totals, "total": len(items)}]


async def filtered(request: Request, calls: ServiceCalls) -> dict[str, Any]:
    """The engagements the overview's filters keep (axis, theme, pilot, status, QPV), with what the filters offer.

    Unknown values are dropped rather than sent on: a stale bookmark still gives a page. The exports take the same
    filters from the same query string.
    """
    everything, axes, qpv = await asyncio.gather(calls.get("engagements", "/api/v1/engagements"),
                                                 calls.get("engagements", "/api/v1/axes"), qpv_list(calls))
    pilots = sorted({(pid, name) for e in everything for pid, name in zip(e["pilots"], e["pilot_names"],
                                                                          strict=True)}, key=lambda p: p[1].lower())
    themes = {t["id"] for a in axes for t in a["themes"]}
    q = request.query_params
    filters = {
        "axe": q.get("axe") if q.get("axe", "") in {str(a["number"]) for a in axes} else "",
        "theme": q.get("theme") if q.get("theme") in themes else "",
        "pilote": q.get("pilote") if q.get("pilote") in {p[0] for p in pilots} else "",
        "statut": q.get("statut") if q.get("statut") in STATUSES else "",
        "qpv": q.get("qpv") if q.get("qpv") in {x["id"] for x in qpv} else "",
    }
    active = any(filters.values())
    items = everything if not active else await calls.get(
        "engagements", "/api/v1/engagements", axis=filters["axe"], theme=filters["theme"],
        pilot=filters["pilote"], status=filters["statut"], qpv=filters["qpv"])
    return {"items": items, "everything": everything, "axes": axes, "qpv_list": qpv, "pilots": pilots,
            "filters": filters, "active": active}


@router.get("/vue-d-ensemble")
async def overview(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """Filters by axis, theme, pilot organisation, status and QPV; htmx swaps only the results."""
    found = await filtered(request, calls)
    items, axes, qpv, filters = found["items"], found["axes"], found["qpv_list"], found["filters"]
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    context = {"page_title": "Vue d'ensemble", "nav": "vue-d-ensemble", "items": items, "axes": axes,
               "pilots": found["pilots"], "qpv_list": qpv, "qpv_names": {x["id"]: x["name"] for x in qpv},
               "filters": filters, "active": found["active"], "summary": summary_by_axis(items, axes),
               "themes": theme_choices(axes), "total": len(found["everything"]), "export_query": query}
    if viewer.is_secretariat and not is_htmx(request):  # the conseils citoyens' opinions awaiting a late answer
        context["overdue_opinions"] = await optional(calls.get("participation", "/api/v1/opinions", overdue=True),
                                                     [])
    return render(request, "engagements/vue_d_ensemble.html", context, block="results" if is_htmx(request) else None)
