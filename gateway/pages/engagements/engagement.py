"""The engagement page: title, theme and objectives, actions, pilots and their parts (each editable in place by
who may, see `part_update`), indicators with their latest values, the bodies' decisions about it, the whole
history."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gateway.clients import ServiceCalls
from gateway.deps import CallsDep, CurrentViewer, OptionalViewer, Viewer
from gateway.forms import Notice
from gateway.pages.engagements.forms import PartForm, PartState
from gateway.pages.engagements.my_engagements import SAVED
from gateway.pages.lookups import optional, organisations, qpv_list
from gateway.rendering import render
from kernel.ids import Id

router = APIRouter()


async def engagement_context(number: int, viewer: Viewer, calls: ServiceCalls,
                         overrides: dict[str, PartState] | None = None, history: int | None = None) -> dict[str, Any]:
    # Its indicators with their latest approved values (links to their pages) and the bodies' decisions about it
    # (participation's register); without them, the engagement's own indicator labels are shown anyway.
    definitions = optional(calls.get("indicateurs", "/api/v1/latest-values", engagement=number), [])
    decisions = optional(calls.get("participation", "/api/v1/decisions", engagement=number), [])
    # The conseils citoyens' opinions about it, with their answers (the pilots answer them here).
    opinions = optional(calls.get("participation", "/api/v1/opinions", engagement=number), [])
    detail, qpv, defs, orgs, decided, opinions_ = await asyncio.gather(
        calls.get("engagements", f"/api/v1/engagements/{number}", history=history), qpv_list(calls), definitions,
        organisations(calls), decisions, opinions)
    org_names = {o["id"]: o["name"] for o in orgs} | {p["organisation_id"]: p["organisation_name"]
                                                       for p in detail["parts"]}
    states = {p["organisation_id"]: (overrides or {}).get(p["organisation_id"]) or PartState(PartForm.from_part(p))
              for p in detail["parts"]}
    defs_by_label = {d["indicator_label"]: d for d in defs}
    return {"page_title": f"Engagement n° {number}", "nav": "vue-d-ensemble", "e": detail, "states": states,
            "qpv_list": qpv, "qpv_names": {q["id"]: q["name"] for q in qpv}, "org_names": org_names,
            "definitions": defs_by_label, "decisions": decided, "opinions": opinions_,
            "back": f"/engagements/{number}",
            "editable": {p["organisation_id"]: viewer.may_edit_part(p["organisation_id"]) and p["active"]
                         for p in detail["parts"]}}


@router.get("/engagements")
async def engagements(viewer: OptionalViewer) -> Response:
    """The engagements: the overview for partners, the public list for anyone else."""
    return RedirectResponse("/vue-d-ensemble" if viewer else "/contrat/engagements", status_code=303)


@router.get("/engagements/{number}")
async def engagement_page(request: Request, number: Id, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """Everything about one engagement: objectives, actions, pilots and their parts, indicators, history."""
    asked = request.query_params.get("historique", "")
    history = min(int(asked), 100_000) if asked.isdigit() else None  # the latest changes unless more are asked
    context = await engagement_context(number, viewer, calls, history=history)
    updated = request.query_params.get("maj")
    if updated in context["states"]:
        context["states"][updated].notice = Notice("success", SAVED)
    if request.query_params.get("avis") == "repondu":
        context["notice"] = Notice("success", "Votre réponse est publiée sous l'avis.", "avis-reponse")
    return render(request, "engagements/engagement.html", context)
