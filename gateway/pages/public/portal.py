"""The public home: the contract in one screen, for anyone (`/` without an account, `/portail` for everyone)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.deps import OptionalViewer
from gateway.pages.public import summary
from gateway.pages.public.caching import cached
from gateway.pages.public.store import store
from gateway.rendering import render

router = APIRouter()


async def public_home(request: Request) -> Response:
    """Progress of the engagements by axis and theme, latest approved values, upcoming public meetings, news."""

    async def make() -> Response:
        data = store(request)
        engagements, values, meetings, news, qpv = await asyncio.gather(
            data.engagements(), data.values(), data.meetings(), data.news(kind="actualite", limit=3), data.qpv())
        upcoming = [m for m in meetings if m.get("phase") == "upcoming"][:5]
        return render(request, "public/portail.html", {
            "page_title": "Le contrat de ville en un coup d'œil", "nav": "portail",
            "progress": summary.progress_by_axis(engagements), "count": len(engagements),
            "latest": summary.latest_values(values), "meetings": upcoming, "news": news, "qpv": qpv,
            "logged_out": request.query_params.get("deconnexion") == "1"})

    return await cached(request, make)


@router.get("/portail")
async def portal(request: Request, _viewer: OptionalViewer) -> Response:
    """The public home, also for people who are logged in (« Accueil public »)."""
    return await public_home(request)
