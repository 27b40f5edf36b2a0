"""Public pages (no account): the funded projects of each year, filtered by QPV, theme and funder, with their totals
and each funder's envelope and payment delays; a page per funded project. Pending and refused projects never show:
participation answers the public view only (404 for a project not funded)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.clients import ServiceError
from gateway.deps import OptionalViewer
from gateway.forms import Notice
from gateway.pages.participation.common import AnyCalls
from gateway.rendering import render
from kernel.ids import Id

router = APIRouter()
CPO_LABELS = {"non": "Non (convention annuelle)", "nouvelle": "Oui, nouvelle CPO", "en_cours": "Oui, CPO en cours"}


@router.get("/projets-finances")
async def years(request: Request, viewer: OptionalViewer, calls: AnyCalls) -> Response:
    """Every call with what it funded; the latest year opens directly when there is one."""
    return await _years(request, calls)


async def _years(request: Request, calls: Any, notice: Notice | None = None, status_code: int = 200) -> Response:
    found = await calls.get("participation", "/api/v1/aap/calls")
    return render(request, "aap/annees.html", {"page_title": "Projets financés", "nav": "projets", "calls": found,
                                               "notice": notice}, status_code=status_code)


@router.get("/projets-finances/projet/{project_id}")
async def project(request: Request, project_id: str, viewer: OptionalViewer, calls: AnyCalls) -> Response:
    try:
        p = await calls.get("participation", f"/api/v1/aap/projects/{quote(project_id)}")
    except ServiceError as exc:
        if exc.status_code != 404:
            raise
        return render(request, "layout/erreur.html", {"page_title": "Projet introuvable", "message": exc.message},
                      status_code=404)
    year = await calls.get("participation", f"/api/v1/aap/funded/{p['call_year']}")
    return render(request, "aap/projet.html", {
        "page_title": p["title"], "nav": "projets", "p": p, "qpv_names": year["qpv_names"],
        "theme_names": year["theme_names"], "CPO": CPO_LABELS})


@router.get("/projets-finances/{year}")
async def year(request: Request, year: Id, viewer: OptionalViewer, calls: AnyCalls) -> Response:
    q = request.query_params
    filters = {k: q.get(k) or None for k in ("qpv", "theme", "funder")}
    try:
        data = await calls.get("participation", f"/api/v1/aap/funded/{year}", **filters)
    except ServiceError as exc:
        if exc.status_code != 404:
            raise
        return await _years(request, calls, Notice("error", f"Aucun appel à projets n'a été ouvert pour {year} : "
                                                           "voici les années publiées."), 404)
    return render(request, "aap/annee.html", {"page_title": f"Projets financés en {year}", "nav": "projets",
                                              "year": year, "d": data, "filters": filters, "CPO": CPO_LABELS})
