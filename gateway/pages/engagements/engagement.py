"""Mes engagements, the engagement page, and the inline update of a pilot's part (htmx, or plain form)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gateway.clients import ServiceCalls, ServiceError, ServiceUnavailable
from gateway.deps import CallsDep, CurrentViewer, Viewer
from gateway.formatting import datetime_fr
from gateway.labels import STATUSES
from gateway.pages.engagements.forms import PartForm, field_errors
from gateway.pages.lookups import organisations, qpv_list
from gateway.rendering import is_htmx, render

router = APIRouter()


@dataclass
class PartState:
    """How one part's form shows: its values, errors next to fields, and the outcome of the last try."""

    form: PartForm
    errors: dict[str, str] = field(default_factory=dict)
    notice: dict[str, Any] | None = None  # {"kind": success|error|conflict|refused, "text": ..., ...}

    @property
    def open(self) -> bool:
        return bool(self.errors) or (self.notice is not None and self.notice["kind"] != "success")


def _part(detail: dict[str, Any], organisation_id: str) -> dict[str, Any] | None:
    return next((p for p in detail["parts"] if p["organisation_id"] == organisation_id), None)


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


# --- Mes engagements -----------------------------------------------------------------------------------------

async def _my_context(viewer: Viewer, calls: ServiceCalls,
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
        part = _part(d, org or "")
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
    context = await _my_context(viewer, calls)
    if updated.isdigit() and int(updated) in context["states"]:
        context["states"][int(updated)].notice = {"kind": "success", "text": "Votre mise à jour est enregistrée."}
    return render(request, "engagements/mes_engagements.html", context)


# --- Engagement page -----------------------------------------------------------------------------------------

async def _fiche_context(number: int, viewer: Viewer, calls: ServiceCalls,
                         overrides: dict[str, PartState] | None = None) -> dict[str, Any]:
    async def definitions() -> list[dict[str, Any]]:
        """Its indicators with their latest approved values (links to their pages)."""
        try:
            return await calls.get("indicateurs", "/api/v1/latest-values", engagement=number)
        except (ServiceError, ServiceUnavailable):
            return []  # the engagement's own indicator labels are shown anyway

    detail, qpv, defs, orgs = await asyncio.gather(
        calls.get("engagements", f"/api/v1/engagements/{number}"), qpv_list(calls), definitions(), organisations(calls))
    org_names = {o["id"]: o["name"] for o in orgs} | {p["organisation_id"]: p["organisation_name"]
                                                       for p in detail["parts"]}
    states = {p["organisation_id"]: (overrides or {}).get(p["organisation_id"]) or PartState(PartForm.from_part(p))
              for p in detail["parts"]}
    defs_by_label = {d["indicator_label"]: d for d in defs}
    return {"page_title": f"Engagement n° {number}", "nav": "vue-d-ensemble", "e": detail, "states": states,
            "qpv_list": qpv, "qpv_names": {q["id"]: q["name"] for q in qpv}, "org_names": org_names,
            "definitions": defs_by_label,
            "editable": {p["organisation_id"]: viewer.may_edit_part(p["organisation_id"]) and p["active"]
                         for p in detail["parts"]}}


@router.get("/engagements/{number}")
async def engagement_page(request: Request, number: int, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """Everything about one engagement: objectives, actions, pilots and their parts, indicators, history."""
    context = await _fiche_context(number, viewer, calls)
    updated = request.query_params.get("maj")
    if updated in context["states"]:
        context["states"][updated].notice = {"kind": "success", "text": "Votre mise à jour est enregistrée."}
    return render(request, "engagements/engagement.html", context)


# --- Updating a part -----------------------------------------------------------------------------------------

def _conflict_notice(current: dict[str, Any] | None, tried: PartForm) -> dict[str, Any]:
    who = ""
    if current and current.get("updated_by_name"):
        who = f" ({current['updated_by_name']}"
        who += f", le {datetime_fr(current['updated_at'])})" if current.get("updated_at") else ")"
    return {
        "kind": "conflict",
        "text": (f"Quelqu'un a modifié cette part entre-temps{who} : votre mise à jour n'a pas été enregistrée. "
                 "Le formulaire montre maintenant la version actuelle ; reprenez votre modification à partir "
                 "d'elle."),
        "current": current,
        "tried": tried,
    }


@router.post("/engagements/{number}/parts/{organisation_id}")
async def update_part(request: Request, number: int, organisation_id: str, viewer: CurrentViewer,
                      calls: CallsDep) -> Response:
    """Sends a pilot's new account of its part to the engagements service, and shows the outcome in place.

    htmx gets the engagement's card (Mes engagements) or its follow-up section (engagement page); a plain
    form post is redirected back to the page on success, or gets the page with the errors.
    """
    form = await request.form()
    vue = "fiche" if form.get("vue") == "fiche" else "liste"
    tried = PartForm.from_form(form)
    path = f"/api/v1/engagements/{number}/parts/{quote(organisation_id, safe='')}"
    status_code = 200
    try:
        detail = await calls.patch("engagements", path, tried.body())
        part = _part(detail, organisation_id)
        state = PartState(PartForm.from_part(part) if part else tried,
                          notice={"kind": "success", "text": "Votre mise à jour est enregistrée."})
        if not is_htmx(request):
            target = (f"/engagements/{number}?maj={quote(organisation_id)}#part-{organisation_id}" if vue == "fiche"
                      else f"/mes-engagements?maj={number}#engagement-{number}")
            return RedirectResponse(target, status_code=303)
    except ServiceError as exc:
        if exc.status_code not in (403, 409, 422):
            raise
        status_code = exc.status_code
        detail = await calls.get("engagements", f"/api/v1/engagements/{number}")
        part = _part(detail, organisation_id)
        if part is None:
            raise
        if exc.status_code == 422:
            state = PartState(tried, errors=field_errors(exc.body),
                              notice={"kind": "error", "text": "Votre mise à jour n'a pas été enregistrée : "
                                                               "corrigez les champs signalés."})
        elif exc.status_code == 409:
            current = exc.body.get("current") if isinstance(exc.body, dict) else None
            state = PartState(PartForm.from_part(part), notice=_conflict_notice(current or part, tried))
        else:
            state = PartState(PartForm.from_part(part), notice={
                "kind": "refused",
                "text": (f"Modification refusée : seul un référent de « {part['organisation_name']} » ou le "
                         "secrétariat du COPIL peut modifier cette part. Rien n'a été changé."),
            })

    if vue == "fiche":
        context = await _fiche_context(number, viewer, calls, overrides={organisation_id: state})
        context["e"] = detail
        return render(request, "engagements/engagement.html", context, block="suivi" if is_htmx(request) else None,
                      status_code=status_code)
    if is_htmx(request):
        qpv = await qpv_list(calls)
        return render(request, "engagements/mes_engagements.html", {
            "e": detail, "part": part, "state": state, "qpv_list": qpv,
            "qpv_names": {q["id"]: q["name"] for q in qpv}}, block="card", status_code=status_code)
    context = await _my_context(viewer, calls, overrides={number: state})
    if number not in context["states"]:  # not one of the viewer's engagements: show it on its own page
        context = await _fiche_context(number, viewer, calls, overrides={organisation_id: state})
        return render(request, "engagements/engagement.html", context, status_code=status_code)
    return render(request, "engagements/mes_engagements.html", context, status_code=status_code)
