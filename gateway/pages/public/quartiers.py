"""« Mon quartier »: the priority neighbourhoods (QPV) and a page for each: the engagements that concern it, its
indicator values, its conseil citoyen and their public meetings, and (from the appel à projets) the projects
funded there."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gateway.deps import OptionalViewer
from gateway.pages.public import summary
from gateway.pages.public.caching import cached
from gateway.pages.public.store import store
from gateway.rendering import render
from kernel import french

router = APIRouter(prefix="/quartiers")


@router.get("")
async def quartiers(request: Request, _viewer: OptionalViewer) -> Response:
    """The 15 QPV, named or not yet named."""

    async def make() -> Response:
        qpv, bodies = await asyncio.gather(store(request).qpv(), store(request).bodies())
        with_council = {b["qpv_id"] for b in bodies if b.get("kind") == "conseil-citoyen" and b.get("qpv_id")}
        ordered = sorted(qpv, key=lambda q: (not q.get("named", True), q["name"]))
        return render(request, "public/quartiers.html", {
            "page_title": "Les quartiers prioritaires", "nav": "quartiers", "qpv": ordered,
            "with_council": with_council})

    return await cached(request, make)


@router.get("/aller")
async def go(qpv: str = "") -> Response:
    """The home's « Mon quartier » form, without JavaScript: to the chosen QPV's page."""
    return RedirectResponse(f"/quartiers/{quote(qpv, safe='')}" if qpv else "/quartiers", status_code=303)


def _concerns(engagement: dict[str, Any], qpv_id: str) -> bool:
    return qpv_id in engagement.get("qpv", []) or any(qpv_id in p.get("qpv", []) for p in engagement["pilots"])


def _projects_in(rows: list[dict[str, Any]], qpv_id: str) -> list[dict[str, Any]]:
    """The funded projects of a QPV (the open dataset has a row per project and funder), newest year first."""
    projects: dict[str, dict[str, Any]] = {}
    for r in rows:
        if qpv_id in str(r.get("qpv") or "").split("|"):
            p = projects.setdefault(r["projet_id"], {"id": r["projet_id"], "year": r["annee"], "title": r["titre"],
                                                     "association": r["association"], "granted": 0})
            p["granted"] += r.get("montant_accorde") or 0
    return sorted(projects.values(), key=lambda p: (-p["year"], p["title"]))


@router.get("/{qpv_id}")
async def quartier(qpv_id: str, request: Request, _viewer: OptionalViewer) -> Response:
    """One QPV: what the contract does there, in figures and in meetings."""

    async def make() -> Response:
        data = store(request)
        qpv, engagements, values, bodies, funded = await asyncio.gather(
            data.qpv(), data.engagements(), data.values(qpv=qpv_id), data.bodies(),
            data.optional("participation", "/api/v1/aap/funded-projects", []))
        found = next((q for q in qpv if q["id"] == qpv_id), None)
        if found is None:
            return render(request, "layout/erreur.html", {
                "title": "Quartier introuvable", "status_code": 404,
                "message": "Ce quartier n'est pas dans la liste des quartiers prioritaires du contrat."},
                status_code=404)
        councils = [b for b in bodies if b.get("kind") == "conseil-citoyen" and b.get("qpv_id") == qpv_id]
        meetings: list[dict[str, Any]] = []
        for body in councils:
            meetings += await data.meetings(body_id=body["id"], since=french.today().isoformat())
        meetings = sorted((m for m in meetings if m.get("phase") == "upcoming"), key=lambda m: m["starts_at"])
        concerned = [e for e in engagements if _concerns(e, qpv_id)]
        return render(request, "public/quartier.html", {
            "page_title": found["name"], "nav": "quartiers", "q": found, "engagements": concerned,
            "general": len(engagements) - len(concerned), "series": summary.series_by_indicator(values),
            "councils": councils, "meetings": meetings, "projects": _projects_in(funded, qpv_id)})

    return await cached(request, make)
