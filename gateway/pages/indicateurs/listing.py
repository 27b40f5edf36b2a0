"""The list of the indicators: every indicator of the contract by engagement, with its latest approved value,
filters that swap the results, and for the secretariat how many values wait for its validation."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.deps import CallsDep, CurrentViewer
from gateway.pages.lookups import by_name, nothing, optional, organisations
from gateway.rendering import is_htmx, render
from services.indicateurs.periods import sort_key

router = APIRouter()


def latest_by_indicator(values: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """From export rows: per indicator, its latest period with approved values and those values."""
    found: dict[int, dict[str, Any]] = {}
    for v in values:
        current = found.get(v["indicator_id"])
        if current is None or sort_key(v["period"]) > sort_key(current["period"]):
            found[v["indicator_id"]] = {"period": v["period"], "values": [v]}
        elif v["period"] == current["period"]:
            current["values"].append(v)
    return found


@router.get("/indicateurs")
async def indicators_list(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """Every indicator of the contract by engagement, with its latest approved value; filters swap the results.

    The secretariat also sees how many values of each indicator wait for its validation (and may keep only those).
    """
    pending_call = (calls.get("indicateurs", "/api/v1/submissions", state="soumis") if viewer.is_secretariat
                    else nothing())
    definitions, orgs, pending = await asyncio.gather(calls.get("indicateurs", "/api/v1/definitions"),
                                                      organisations(calls), optional(pending_call, []))
    to_review: dict[int, int] = {}
    for s in pending:
        to_review[s["indicator_id"]] = to_review.get(s["indicator_id"], 0) + 1
    org_names = {o["id"]: o["name"] for o in orgs}
    engagements = sorted({(d["engagement_number"], d["engagement_title"]) for d in definitions})
    responsible = by_name((o for d in definitions for o in d["responsible"]), org_names)
    q = request.query_params
    filters = {
        "engagement": q.get("engagement") if q.get("engagement", "") in {str(n) for n, _ in engagements} else "",
        "organisation": q.get("organisation") if q.get("organisation") in dict(responsible) else "",
        "a_valider": "1" if q.get("a_valider") == "1" and viewer.is_secretariat else "",
    }
    shown = [d for d in definitions
             if (not filters["engagement"] or str(d["engagement_number"]) == filters["engagement"])
             and (not filters["organisation"] or filters["organisation"] in d["responsible"])
             and (not filters["a_valider"] or d["id"] in to_review)]
    export = await optional(calls.get("indicateurs", "/api/v1/exports/values.json",
                                      engagement=filters["engagement"] or None))
    latest = latest_by_indicator(export["values"] if isinstance(export, dict) else [])
    groups: list[dict[str, Any]] = []
    for d in shown:
        if not groups or groups[-1]["number"] != d["engagement_number"]:
            groups.append({"number": d["engagement_number"], "title": d["engagement_title"], "indicators": []})
        groups[-1]["indicators"].append(d)
    context = {"page_title": "Indicateurs", "nav": "indicateurs", "sub": "liste", "groups": groups,
               "count": len(shown), "total": len(definitions), "latest": latest, "org_names": org_names,
               "engagements": engagements, "responsible_choices": responsible, "filters": filters,
               "active": any(filters.values()), "to_review": to_review, "pending_total": len(pending)}
    return render(request, "indicateurs/indicateurs.html", context, block="results" if is_htmx(request) else None)
