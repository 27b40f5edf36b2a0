"""After a meeting: attendance, minutes and decisions (secretariat); the decision register and follow-ups."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gateway.clients import ServiceError
from gateway.deps import CallsDep, CurrentViewer, OptionalViewer
from gateway.forms import Notice, iso_date, text
from gateway.pages.lookups import organisations
from gateway.pages.participation.common import AnyCalls, NotNumbers, names, numbers, refused
from gateway.pages.participation.meetings import act, meeting_again
from gateway.rendering import render

router = APIRouter()


@router.post("/reunions/{meeting_id}/presences")
async def attendance(request: Request, meeting_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """Every member's presence in one form: présent, excusé, représenté (by whom), absent."""
    form = await request.form()
    lines = []
    for key in form:
        if key.startswith("presence-"):
            person_id = key.removeprefix("presence-")
            status = text(form, key)
            if status:
                lines.append({"person_id": person_id, "status": status,
                              "represented_by": text(form, f"represente-par-{person_id}") or None})
    return await act(request, calls, meeting_id, "attendance", calls.put(
        "participation", f"/api/v1/meetings/{quote(meeting_id)}/attendance", {"lines": lines}), "presences",
        "presences")


@router.post("/reunions/{meeting_id}/compte-rendu")
async def minutes(request: Request, meeting_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    form = await request.form()
    publish = text(form, "publish") == "oui"
    body = {"text": text(form, "text"), "publish": publish}
    return await act(request, calls, meeting_id, "minutes", calls.put(
        "participation", f"/api/v1/meetings/{quote(meeting_id)}/minutes", body),
        "compte-rendu-publie" if publish else "compte-rendu", "compte-rendu", {"minutes": body["text"]})


@router.post("/reunions/{meeting_id}/decisions")
async def record_decision(request: Request, meeting_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    form = await request.form()
    typed = {k: text(form, k) for k in ("text", "engagements", "responsible_organisation_id", "due_on")}
    try:
        engagements = numbers(typed["engagements"], "Engagements concernés")
    except NotNumbers as exc:
        return await meeting_again(request, calls, meeting_id, Notice("error", str(exc), "decision"), 422, typed)
    body = {"text": typed["text"], "engagements": engagements,
            "responsible_organisation_id": typed["responsible_organisation_id"] or None,
            "due_on": iso_date(typed["due_on"]), "internal": form.get("internal") == "oui"}
    return await act(request, calls, meeting_id, "decision", calls.post(
        "participation", f"/api/v1/meetings/{quote(meeting_id)}/decisions", body), "decision", "decisions", typed)


async def _register(request: Request, viewer: Any, calls: Any, *, notice: Notice | None = None,
                    status_code: int = 200) -> Response:
    q = request.query_params
    params = {"engagement": q.get("engagement") if (q.get("engagement") or "").isdigit() else None,
              "body_id": q.get("instance") or None, "organisation_id": q.get("organisation") or None,
              "overdue": "true" if q.get("retard") == "oui" else None,
              "open": "true" if q.get("ouvertes") == "oui" else None}
    decisions, orgs, bodies = await asyncio.gather(calls.get("participation", "/api/v1/decisions", **params),
                                                   organisations(calls), calls.get("participation", "/api/v1/bodies"))
    return render(request, "participation/decisions.html", {
        "page_title": "Registre des décisions", "nav": "instances", "decisions": decisions, "org_names": names(orgs),
        "organisations": orgs, "bodies": bodies, "filters": q, "notice": notice,
        "overdue_count": sum(1 for d in decisions if d["overdue"])},
        status_code=status_code)


@router.get("/decisions")
async def register(request: Request, viewer: OptionalViewer, calls: AnyCalls) -> Response:
    """The register (public decisions for everyone; internal ones for the secretariat and the body's members),
    overdue follow-ups first; the responsible organisation updates its follow-ups here."""
    notice = Notice("success", "Le suivi est mis à jour.") if request.query_params.get("fait") == "suivi" else None
    return await _register(request, viewer, calls, notice=notice)


@router.post("/decisions/{decision_id}/suivi")
async def follow_up(request: Request, decision_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    form = await request.form()
    body = {"status": text(form, "status"), "comment": text(form, "comment"), "version": text(form, "version")}
    try:
        await calls.post("participation", f"/api/v1/decisions/{quote(decision_id)}/follow-up", body)
    except ServiceError as exc:
        outcome = refused(exc, decision_id)
        return await _register(request, viewer, calls, notice=outcome.notice, status_code=outcome.status_code)
    back = request.headers.get("referer", "")
    query = back.split("?", 1)[1] if "?" in back and "/decisions" in back else ""
    query = "&".join(p for p in query.split("&") if p and not p.startswith("fait="))
    return RedirectResponse(f"/decisions?{query + '&' if query else ''}fait=suivi#decision-{decision_id}",
                            status_code=303)
