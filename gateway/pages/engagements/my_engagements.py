"""Mes engagements: the engagements the viewer's organisation pilots as a compact list (status, progress, last
update, next milestone) with filters and a search; each card opens its part's form on demand (htmx, or a plain
link without JavaScript) instead of every form rendered up front. The update itself is `part_update`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gateway.clients import ServiceCalls
from gateway.deps import CallsDep, CurrentViewer, Viewer
from gateway.forms import Notice
from gateway.labels import STATUSES
from gateway.pages.engagements.forms import PartForm, PartState, part_of
from gateway.pages.engagements.themes import theme_choices
from gateway.pages.lookups import optional, qpv_list
from gateway.rendering import is_htmx, render
from kernel import french
from kernel.french import folded
from kernel.ids import Id

router = APIRouter()
SAVED = "Votre mise à jour est enregistrée."
FILTERS = ("statut", "theme", "qpv", "retard", "depuis", "q")


@dataclass(frozen=True)
class MyFilters:
    """What the list is narrowed to; unknown values are dropped (a stale bookmark still gives a page)."""

    statut: str = ""
    theme: str = ""
    qpv: str = ""
    retard: bool = False  # not updated since the last COPIL
    depuis: str = ""  # the date of the last COPIL (ISO)
    q: str = ""

    @property
    def active(self) -> bool:
        return bool(self.statut or self.theme or self.qpv or self.retard or self.q)

    def query(self, **extra: Any) -> str:
        """The filters as a query string (links keep them: opening a card, going back to the list)."""
        values = {"statut": self.statut, "theme": self.theme, "qpv": self.qpv, "retard": "1" if self.retard else "",
                  "depuis": self.depuis if self.retard else "", "q": self.q, **extra}
        return urlencode({k: v for k, v in values.items() if v})


async def last_copil(request: Request, calls: ServiceCalls) -> date | None:
    """The day of the last COPIL held: participation's latest COPIL meeting already past (not cancelled) that the
    viewer may see; without one (or participation not answering), the gateway setting `last_copil_date`."""
    today = french.today()
    meetings = await optional(calls.get("participation", "/api/v1/meetings", until=today.isoformat()), [])
    held = [m["local_start"][:10] for m in meetings
            if m.get("body_kind") == "copil" and m.get("status") != "cancelled" and m.get("phase") == "past"]
    if held:
        return date.fromisoformat(max(held))
    return request.app.state.settings.last_copil_date


def read_filters(request: Request, themes: set[str], qpv: set[str], default: date | None = None) -> MyFilters:
    q = request.query_params
    since = q.get("depuis", "").strip()
    try:
        since = date.fromisoformat(since).isoformat() if since else ""
    except ValueError:
        since = ""
    return MyFilters(statut=q.get("statut", "") if q.get("statut") in STATUSES else "",
                     theme=q.get("theme", "") if q.get("theme") in themes else "",
                     qpv=q.get("qpv", "") if q.get("qpv") in qpv else "",
                     retard=q.get("retard") == "1", depuis=since or (default.isoformat() if default else ""),
                     q=q.get("q", "").strip()[:100])


def _matches(e: dict[str, Any], part: dict[str, Any], f: MyFilters) -> bool:
    if f.statut and part["status"] != f.statut:
        return False
    if f.theme and e["theme_id"] != f.theme:
        return False
    if f.qpv and f.qpv not in (part.get("qpv") or []):
        return False
    if f.retard and f.depuis and (part.get("updated_at") or "")[:10] >= f.depuis:
        return False  # updated on or after the day of the last COPIL
    if f.q.removeprefix("n°").strip().isdigit():  # a number: that engagement
        return int(f.q.removeprefix("n°").strip()) == e["number"]
    if f.q:
        text = folded(f"{e['title']} {e['theme_title']}")
        return all(w in text for w in folded(f.q).split())
    return True


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


async def my_context(request: Request, viewer: Viewer, calls: ServiceCalls,
                     overrides: dict[int, PartState] | None = None) -> dict[str, Any]:
    """The list, filtered; `overrides` (a card's form after an attempt) opens those cards' forms."""
    org = viewer.organisation_id
    details: list[dict[str, Any]] = []
    axes: list[dict[str, Any]] = []
    qpv: list[dict[str, Any]] = []
    if org:
        details, axes, qpv, since = await asyncio.gather(
            calls.get("engagements", "/api/v1/engagements/with-parts", pilot=org),
            calls.get("engagements", "/api/v1/axes"), qpv_list(calls), last_copil(request, calls))
    else:
        since = None
    filters = read_filters(request, {t["id"] for a in axes for t in a["themes"]}, {q["id"] for q in qpv}, since)
    parts, counts = {}, dict.fromkeys(STATUSES, 0)
    for d in details:
        part = part_of(d, org or "")
        if part is not None:
            parts[d["number"]] = part
            counts[part["status"]] += 1
    mine = [d for d in details if d["number"] in parts]
    shown = [d for d in mine if _matches(d, parts[d["number"]], filters)]
    editing = request.query_params.get("modifier", "")
    states = dict(overrides or {})
    if editing.isdigit() and int(editing) in parts and int(editing) not in states:
        states[int(editing)] = PartState(PartForm.from_part(parts[int(editing)]))
    for number in states:  # a card whose form is open stays on the list, whatever the filters
        if number in parts and all(d["number"] != number for d in shown):
            shown.append(next(d for d in mine if d["number"] == number))
    return {"page_title": "Mes engagements", "nav": "mes-engagements", "groups": group_by_axis_and_theme(shown, axes),
            "shown": len(shown), "total": len(mine), "counts": counts, "states": states, "parts": parts,
            "organisation_id": org, "qpv_list": qpv, "qpv_names": {q["id"]: q["name"] for q in qpv},
            "themes": theme_choices(axes), "filters": filters, "last_copil": since}


@router.get("/mes-engagements")
async def my_engagements(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The engagements the viewer's organisation pilots, filtered; htmx swaps only the results."""
    updated = request.query_params.get("maj", "")
    context = await my_context(request, viewer, calls)
    if updated.isdigit() and int(updated) in context["parts"]:
        context["notices"] = {int(updated): Notice("success", SAVED)}
    block = "results" if is_htmx(request) and request.headers.get("HX-Target") == "resultats" else None
    return render(request, "engagements/mes_engagements.html", context, block=block)


async def card_response(request: Request, viewer: Viewer, calls: ServiceCalls, number: int,
                        state: PartState | None, *, notice: Notice | None = None,
                        detail: dict[str, Any] | None = None, organisation_id: str | None = None,
                        status_code: int = 200) -> Response:
    """One card (the part of `organisation_id`, by default the viewer's organisation's), its form open (`state`)
    or closed; a 404 if that organisation has no part in the engagement."""
    detail = detail or await calls.get("engagements", f"/api/v1/engagements/{number}")
    part = part_of(detail, organisation_id or viewer.organisation_id or "")
    if part is None:
        return render(request, "layout/erreur.html", {
            "title": "Page introuvable", "status_code": 404,
            "message": f"Votre organisation ne pilote pas l'engagement n° {number}."},
            status_code=404, block="message" if is_htmx(request) else None)
    qpv = await qpv_list(calls) if state is not None else []
    return render(request, "engagements/mes_engagements.html", {
        "e": detail, "part": part, "state": state, "notice": notice, "qpv_list": qpv,
        "qpv_names": {q["id"]: q["name"] for q in qpv}, "filters": read_filters(request, set(), set())},
        block="card", status_code=status_code)


@router.get("/mes-engagements/{number:int}/modifier")
async def open_form(request: Request, number: Id, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """A card with its part's form (htmx); without JavaScript, the list with that card's form open."""
    if not is_htmx(request):
        query = read_filters(request, set(), set()).query(modifier=number)
        return RedirectResponse(f"/mes-engagements?{query}#engagement-{number}", status_code=303)
    detail = await calls.get("engagements", f"/api/v1/engagements/{number}")
    part = part_of(detail, viewer.organisation_id or "")
    state = PartState(PartForm.from_part(part)) if part else None
    return await card_response(request, viewer, calls, number, state, detail=detail)


@router.get("/mes-engagements/{number:int}/carte")
async def closed_card(request: Request, number: Id, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """A card with its form closed (the form's « Fermer »)."""
    if not is_htmx(request):
        query = read_filters(request, set(), set()).query()
        return RedirectResponse(f"/mes-engagements?{query}#engagement-{number}", status_code=303)
    return await card_response(request, viewer, calls, number, None)
