"""Meetings: the calendar and scheduling, a meeting's page (for the public, members and the secretariat), moving
and cancelling, earlier agenda versions, documents and the "depuis la dernière réunion" pack."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gateway.clients import ServiceCalls, ServiceError
from gateway.deps import CallsDep, CurrentViewer, OptionalViewer
from gateway.forms import Notice, iso_date, text
from gateway.pages.lookups import organisations
from gateway.pages.participation.common import AnyCalls, local_datetime, names, post_meeting, refused, wrong_hours
from gateway.rendering import render
from kernel import french
from kernel.ids import Id

router = APIRouter()
DONE = {
    "programmee": "La réunion est programmée. Composez maintenant son ordre du jour.",
    "point": "Le point est enregistré dans le projet d'ordre du jour.",
    "ordre": "L'ordre des points est modifié.",
    "retire": "Le point est retiré du projet d'ordre du jour.",
    "document": "Le document est ajouté.",
    "publie": "L'ordre du jour est publié : il part aux membres.",
    "revise": "La nouvelle version de l'ordre du jour est publiée : les membres reçoivent ce qui a changé.",
    "deplacee": "La réunion est déplacée : les membres en sont informés.",
    "annulee": "La réunion est annulée : les membres en sont informés.",
    "date-limite": "La date limite des propositions est enregistrée.",
    "proposition": "Votre proposition est transmise au secrétariat du COPIL.",
    "decision-proposition": "La proposition est traitée ; la personne qui l'a faite voit la réponse.",
    "contribution": "La contribution est enregistrée.",
    "presences": "Les présences sont enregistrées.",
    "compte-rendu": "Le compte rendu est enregistré.",
    "compte-rendu-publie": "Le compte rendu est publié avec ses décisions.",
    "decision": "La décision est inscrite au registre.",
}


@router.get("/reunions")
async def calendar(request: Request, viewer: OptionalViewer, calls: AnyCalls) -> Response:
    """Upcoming and past meetings the viewer may see; the secretariat schedules new ones here."""
    meetings, bodies = await asyncio.gather(calls.get("participation", "/api/v1/meetings"),
                                            calls.get("participation", "/api/v1/bodies"))
    return render(request, "participation/reunions.html", _calendar_context(meetings, bodies, {}, None))


def _calendar_context(meetings: list[dict[str, Any]], bodies: list[dict[str, Any]], form: dict[str, Any],
                      notice: Notice | None) -> dict[str, Any]:
    today = french.today().isoformat()
    upcoming = [m for m in meetings if m["local_start"][:10] >= today]
    past = list(reversed([m for m in meetings if m["local_start"][:10] < today]))
    return {"page_title": "Réunions des instances", "nav": "instances", "upcoming": upcoming, "past": past,
            "bodies": bodies, "form": form, "notice": notice,
            "default_day": (french.today() + timedelta(days=30)).isoformat()}


@router.post("/reunions")
async def schedule(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    form = await request.form()
    values = {k: text(form, k) for k in ("body_id", "title", "day", "start", "end", "place", "video_url",
                                         "proposals_until")}
    body = {"body_id": values["body_id"], "title": values["title"],
            "starts_at": local_datetime(values["day"], values["start"]),
            "ends_at": local_datetime(values["day"], values["end"]) if values["end"] else None,
            "place": values["place"] or None, "video_url": values["video_url"] or None,
            "proposals_until": iso_date(values["proposals_until"])}
    meeting, outcome = await post_meeting(calls, "/api/v1/meetings", body, values, "programmer")
    if outcome is not None:
        meetings, bodies = await asyncio.gather(calls.get("participation", "/api/v1/meetings"),
                                                calls.get("participation", "/api/v1/bodies"))
        return render(request, "participation/reunions.html",
                      _calendar_context(meetings, bodies, values, outcome.notice), status_code=outcome.status_code)
    return RedirectResponse(f"/reunions/{meeting['id']}?fait=programmee#ordre-du-jour", status_code=303)


async def meeting_context(calls: ServiceCalls, meeting_id: str, *, received: str | None = None) -> dict[str, Any]:
    params = {"received": received} if received and received.isdigit() else {}
    view, orgs = await asyncio.gather(calls.get("participation", f"/api/v1/meetings/{quote(meeting_id)}", **params),
                                      organisations(calls))
    m = view["meeting"]
    return {"page_title": m["title"], "nav": "instances", "v": view, "m": m, "org_names": names(orgs),
            "organisations": orgs, "notice": None, "form": {}}


@router.get("/reunions/{meeting_id}")
async def meeting_page(request: Request, meeting_id: str, viewer: OptionalViewer, calls: AnyCalls) -> Response:
    """A meeting: its published agenda and what changed; for members, proposals; for the secretariat, the agenda
    editor with the lead-time indicator, publication, circulation, attendance, minutes and decisions."""
    context = await meeting_context(calls, meeting_id, received=request.query_params.get("depuis"))
    done = DONE.get(request.query_params.get("fait", ""))
    context["notice"] = Notice("success", done) if done else None
    return render(request, "participation/reunion.html", context)


async def act(request: Request, calls: ServiceCalls, meeting_id: str, place: str, call: Any, done: str,
              anchor: str, form: dict[str, Any] | None = None) -> Response:
    """Runs a change; on success back to the meeting page (the section's anchor), else the page with the
    service's refusal shown at `place`, beside its form."""
    try:
        await call
    except ServiceError as exc:
        outcome = refused(exc, place)
        return await meeting_again(request, calls, meeting_id, outcome.notice, outcome.status_code, form)
    return RedirectResponse(f"/reunions/{quote(meeting_id)}?fait={done}#{anchor}", status_code=303)


async def meeting_again(request: Request, calls: ServiceCalls, meeting_id: str, notice: Notice, status_code: int,
                        form: dict[str, Any] | None = None) -> Response:
    """The meeting page again after a refused form, what was typed kept."""
    context = await meeting_context(calls, meeting_id)
    context.update(notice=notice, form=form or {})
    return render(request, "participation/reunion.html", context, status_code=status_code)


@router.post("/reunions/{meeting_id}/deplacer")
async def move(request: Request, meeting_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    form = await request.form()
    values = {k: text(form, k) for k in ("day", "start", "end", "place", "video_url")}
    body = {"starts_at": local_datetime(values["day"], values["start"]),
            "ends_at": local_datetime(values["day"], values["end"]) if values["end"] else None,
            "place": values["place"] or None, "video_url": values["video_url"] or None}
    if wrong := wrong_hours(values):
        return await meeting_again(request, calls, meeting_id, Notice("error", wrong, "move-or-cancel"), 422, values)
    return await act(request, calls, meeting_id, "move-or-cancel", calls.post(
        "participation", f"/api/v1/meetings/{quote(meeting_id)}/move", body), "deplacee", "reunion", values)


@router.post("/reunions/{meeting_id}/annuler")
async def cancel(request: Request, meeting_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    form = await request.form()
    return await act(request, calls, meeting_id, "move-or-cancel", calls.post(
        "participation", f"/api/v1/meetings/{quote(meeting_id)}/cancel", {"reason": text(form, "reason")}),
        "annulee", "reunion")


@router.post("/reunions/{meeting_id}/date-limite")
async def cutoff(request: Request, meeting_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    form = await request.form()
    body = {"proposals_until": iso_date(text(form, "proposals_until")), "draft_rev": text(form, "draft_rev")}
    return await act(request, calls, meeting_id, "cutoff", calls.put(
        "participation", f"/api/v1/meetings/{quote(meeting_id)}/cutoff", body), "date-limite", "propositions")


@router.get("/reunions/{meeting_id}/versions/{number}")
async def version_page(request: Request, meeting_id: str, number: Id, viewer: OptionalViewer,
                       calls: AnyCalls) -> Response:
    """An earlier (or the latest) published version of the agenda, with what changed from the one before."""
    version, context = await asyncio.gather(
        calls.get("participation", f"/api/v1/meetings/{quote(meeting_id)}/versions/{number}"),
        meeting_context(calls, meeting_id))
    context.update(page_title=f"{context['m']['title']} — ordre du jour, version {number}", version=version)
    return render(request, "participation/version.html", context)


@router.get("/documents/{document_id}")
async def document(document_id: str, viewer: OptionalViewer, calls: AnyCalls) -> Response:
    """A document's file, as participation allows the viewer to read it."""
    response = await calls.download("participation", f"/api/v1/documents/{quote(document_id)}/content")
    headers = {k: v for k, v in response.headers.items() if k.lower() in ("content-disposition",)}
    headers["Cache-Control"] = "private, no-store"
    return Response(response.content, media_type=response.headers.get("content-type"), headers=headers)


@router.get("/reunions/{meeting_id}/dossier")
async def pack_page(request: Request, meeting_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The "depuis la dernière réunion" pack as a page."""
    pack, orgs = await asyncio.gather(calls.get("participation", f"/api/v1/meetings/{quote(meeting_id)}/pack"),
                                      organisations(calls))
    return render(request, "participation/dossier.html", {
        "page_title": f"Dossier — {pack['meeting']['title']}", "nav": "instances", "pack": pack,
        "org_names": names(orgs)})


@router.get("/reunions/{meeting_id}/dossier.pdf")
async def pack_pdf(meeting_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The pack as a PDF (made by participation with WeasyPrint)."""
    response = await calls.download("participation", f"/api/v1/meetings/{quote(meeting_id)}/pack.pdf")
    return Response(response.content, media_type="application/pdf", headers={
        "Content-Disposition": response.headers.get("content-disposition", "attachment"),
        "Cache-Control": "private, no-store"})
