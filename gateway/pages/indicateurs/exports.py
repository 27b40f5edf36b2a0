"""The exports of the approved values: their documented columns, a filter form, and the CSV, .xlsx and JSON files,
handed on from the indicateurs service with the viewer's identity."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.clients import ServiceCalls
from gateway.deps import CallsDep, CurrentViewer
from gateway.pages.lookups import indicator_qpv
from gateway.rendering import render

router = APIRouter()
FILTERS = ("engagement", "indicator", "period", "qpv")


class _BadFilter(Exception):
    """A filter of the export that cannot be what it names (a number that is not one)."""


@router.get("/indicateurs/exports")
async def exports_page(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The open-data exports: their columns, a filter form and the download links."""
    schema, definitions, qpv = await asyncio.gather(calls.get("indicateurs", "/api/v1/exports/schema"),
                                                    calls.get("indicateurs", "/api/v1/definitions"),
                                                    indicator_qpv(calls))
    engagements = sorted({(d["engagement_number"], d["engagement_title"]) for d in definitions})
    return render(request, "indicateurs/exports.html", {
        "page_title": "Données ouvertes des indicateurs", "nav": "indicateurs", "sub": "exports", "schema": schema,
        "engagements": engagements, "definitions": definitions, "qpv_list": qpv,
    })


def _export_params(request: Request) -> dict[str, Any]:
    q = request.query_params
    params: dict[str, Any] = {name: q.get(name, "").strip() for name in FILTERS}
    for name in ("engagement", "indicator"):
        if params[name] and not params[name].isdigit():
            raise _BadFilter(f"Le filtre « {name} » doit être un numéro.")
    return {k: v for k, v in params.items() if v}


async def _export(request: Request, calls: ServiceCalls, kind: str) -> Response:
    try:
        params = _export_params(request)
    except _BadFilter as exc:
        return render(request, "layout/erreur.html",
                      {"title": "Filtre invalide", "message": str(exc), "status_code": 400}, status_code=400)
    if kind == "csv" and request.query_params.get("sep") == ";":
        params["sep"] = ";"
    upstream = await calls.download("indicateurs", f"/api/v1/exports/values.{kind}", **params)
    filename = f"valeurs-indicateurs.{kind}"
    return Response(upstream.content, media_type=upstream.headers.get("content-type"),
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@router.get("/indicateurs/exports/valeurs.csv")
async def export_csv(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The approved values as CSV, with the viewer's identity (logged-in people only)."""
    return await _export(request, calls, "csv")


@router.get("/indicateurs/exports/valeurs.xlsx")
async def export_xlsx(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The approved values as an .xlsx workbook, for the secretariat's spreadsheets."""
    return await _export(request, calls, "xlsx")


@router.get("/indicateurs/exports/valeurs.json")
async def export_json(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The approved values as JSON."""
    return await _export(request, calls, "json")

