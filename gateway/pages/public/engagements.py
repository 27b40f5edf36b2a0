"""The engagements as the public sees them: the list by axis and theme, and a page per engagement (contents,
pilots' status and progress with its date, approved indicator values with their series, public decisions)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.deps import OptionalViewer
from gateway.pages.public import summary
from gateway.pages.public.caching import cached
from gateway.pages.public.store import store
from gateway.rendering import render
from kernel.ids import Id

router = APIRouter(prefix="/contrat")


@router.get("/engagements")
async def engagements(request: Request, _viewer: OptionalViewer) -> Response:
    """The engagements by axis and theme, each with its status and progress."""

    async def make() -> Response:
        items, qpv = await asyncio.gather(store(request).engagements(), store(request).qpv())
        axes: dict[int, dict] = {}
        for e in items:
            axis = axes.setdefault(e["axis_number"], {"number": e["axis_number"], "title": e["axis_title"],
                                                      "themes": {}})
            axis["themes"].setdefault(e["theme_id"], {"title": e["theme_title"], "items": []})["items"].append(e)
        return render(request, "public/engagements.html", {
            "page_title": "Les engagements du contrat", "nav": "engagements-publics", "axes": list(axes.values()),
            "count": len(items), "qpv_names": {q["id"]: q["name"] for q in qpv}})

    return await cached(request, make)


@router.get("/engagements/{number}")
async def engagement(number: Id, request: Request, _viewer: OptionalViewer) -> Response:
    """One engagement for the public. Never a draft or unapproved value, a comment, a note or a person's name:
    each service gives the public view of its own data."""

    async def make() -> Response:
        data = store(request)
        e, values, decisions, qpv, opinions, org_names = await asyncio.gather(
            data.engagement(number), data.values(engagement=number), data.decisions(engagement=number), data.qpv(),
            data.opinions(engagement=number), data.organisation_names())
        return render(request, "public/engagement.html", {
            "page_title": f"Engagement n° {number}", "nav": "engagements-publics", "e": e,
            "series": summary.series_by_indicator(values), "decisions": decisions,
            "qpv_names": {q["id"]: q["name"] for q in qpv}, "opinions": opinions, "org_names": org_names,
            "back": f"/contrat/engagements/{number}"})

    return await cached(request, make)
