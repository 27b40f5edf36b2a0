"""Mes engagements: the engagements the viewer's organisation pilots, by axis and theme, each with its part to
update in place (the update itself is `part_update`)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.clients import ServiceCalls
from gateway.deps import CallsDep, CurrentViewer, Viewer
from gateway.forms import Notice
from gateway.labels import STATUSES
from gateway.pages.engagements.forms import PartForm, PartState, part_of
from gateway.pages.lookups import qpv_list
from gateway.rendering import render

router = APIRouter()
SAVED = "Votre mise à jour est enregistrée."


def group_by_axis_and_theme(items: list[dict[str, Any]], axes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """[{axis, themes: [{theme, engagements}]}] in the contract's order, leaving out empty axes and themes."""
    groups = []
    for axis in axes:
        themes = []
        for theme in axis["themes"]:
            inside = [e for e in items if e["theme_id"] == theme["id"]]
            if inside:
                themes.append({"theme": theme, "engagements": inside})
        if themes:
            groups.append({"axis": axis, "themes": themes})
    return groups


async def my_context(viewer: Viewer, calls: ServiceCalls,
                      overrides: dict[int, PartState] | None = None) -> dict[str, Any]:
    org = viewer.organisation_id
    details: list[dict[str, Any]] = []
    axes: list[dict[str, Any]] = []
    qpv: list[dict[str, Any]] = []
    if org:
        details, axes, qpv = await asyncio.gather(
            calls.get("engagements", "/api/v1/engagements/with-parts", pilot=org),
            calls.get("engagements", "/api/v1/axes"), qpv_list(calls))
    states, parts = {}, {}
    counts = dict.fromkeys(STATUSES, 0)
    for d in details:
        part = part_of(d, org or "")
        if part is None:
            continue
        counts[part["status"]] += 1
        parts[d["number"]] = part
        states[d["number"]] = (overrides or {}).get(d["number"]) or PartState(PartForm.from_part(part))
    return {"page_title": "Mes engagements", "nav": "mes-engagements", "groups": group_by_axis_and_theme(details, axes),
            "total": len(details), "counts": counts, "states": states, "parts": parts, "organisation_id": org,
            "qpv_list": qpv, "qpv_names": {q["id"]: q["name"] for q in qpv}}


@router.get("/mes-engagements")
async def my_engagements(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The engagements the viewer's organisation pilots, by axis and theme, each with its part to update."""
    updated = request.query_params.get("maj", "")
    context = await my_context(viewer, calls)
    if updated.isdigit() and int(updated) in context["states"]:
        context["states"][int(updated)].notice = Notice("success", SAVED)
    return render(request, "engagements/mes_engagements.html", context)
