"""What is owed for the campaigns: a referent's to-do list and its organisation's completeness, the secretariat's
completeness across organisations."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.deps import CallsDep, CurrentViewer
from gateway.pages.indicateurs.period_choices import periodicity_of, today
from gateway.pages.lookups import optional, organisations
from gateway.rendering import is_htmx, render
from kernel.french import folded
from services.indicateurs.periods import sort_key

router = APIRouter()


def period_options(campaigns: list[dict[str, Any]]) -> list[str]:
    """Periods one may ask completeness for: the campaigns' periods and the years since 2015, newest first."""
    found = {c["period"] for c in campaigns} | {str(y) for y in range(2015, today().year + 1)}
    return sorted(found, key=sort_key, reverse=True)


def by_organisation(completeness: dict[str, Any], org_names: dict[str, str]) -> list[dict[str, Any]]:
    """Missing values per organisation (missing, drafts, returned), most missing first."""
    rows: dict[str, dict[str, Any]] = {}
    for indicator in completeness["indicators"]:
        for m in indicator["missing"]:
            row = rows.setdefault(m["organisation_id"], {
                "organisation_id": m["organisation_id"], "name": org_names.get(m["organisation_id"],
                                                                             m["organisation_id"]),
                "manquant": 0, "brouillon": 0, "a_reprendre": 0, "indicators": set()})
            row[m["status"]] += 1
            row["indicators"].add(indicator["indicator_id"])
    result = list(rows.values())
    for row in result:
        row["total"] = row["manquant"] + row["brouillon"] + row["a_reprendre"]
        row["indicators"] = len(row["indicators"])
    return sorted(result, key=lambda r: (-r["total"], folded(r["name"])))


@router.get("/indicateurs/a-renseigner")
async def owed_page(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """A referent's to-do list for the open campaigns and its completeness; the secretariat's overview."""
    campaigns, orgs = await asyncio.gather(calls.get("indicateurs", "/api/v1/campaigns"), organisations(calls))
    org_names = {o["id"]: o["name"] for o in orgs}
    options = period_options(campaigns)
    asked = request.query_params.get("periode", "").strip().upper()
    default = campaigns[0]["period"] if campaigns else str(today().year - 1)
    period = asked if periodicity_of(asked) else default
    context: dict[str, Any] = {"page_title": "Valeurs à renseigner", "nav": "indicateurs", "sub": "a-renseigner",
                               "campaigns": campaigns, "org_names": org_names, "period": period,
                               "period_options": options if period in options else [period, *options],
                               "todos": [], "completeness": None, "organisations": []}
    if viewer.is_secretariat:
        wanted_org = request.query_params.get("organisation", "")
        org = wanted_org if wanted_org in org_names else ""
        completeness = await optional(calls.get("indicateurs", "/api/v1/completeness", period=period,
                                                organisation=org or None))
        context.update(view="secretariat", completeness=completeness, organisation=org,
                       organisations=sorted(orgs, key=lambda o: folded(o["name"])),
                       by_organisation=by_organisation(completeness, org_names) if completeness else [])
    elif viewer.is_referent:
        open_campaigns = [c for c in campaigns if not c["locked"]]
        todos = await asyncio.gather(*(calls.get("indicateurs", f"/api/v1/campaigns/{c['id']}/todo")
                                       for c in open_campaigns))
        completeness = await optional(calls.get("indicateurs", "/api/v1/completeness", period=period,
                                                organisation=viewer.organisation_id))
        context.update(view="referent", todos=list(zip(open_campaigns, todos, strict=True)),
                       completeness=completeness)
    else:
        context.update(view="none")
    block = "resultats" if is_htmx(request) and request.headers.get("HX-Target") == "completude" else None
    return render(request, "indicateurs/a_renseigner.html", context, block=block)
