"""Opinions (« avis ») of the conseils citoyens and of the inter-associatif: publishing one (members, with an
attachment streamed on to participation), the public list with the overdue answers first, one opinion's page,
the pilot's answer (from the engagement page or the opinion's page), the secretariat's answer delay."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from gateway.clients import ServiceError
from gateway.deps import CallsDep, CurrentViewer, OptionalViewer
from gateway.forms import Notice, form_version, text
from gateway.pages.lookups import organisations, qpv_list
from gateway.pages.participation.common import NOTHING_DONE, AnyCalls, names, refused
from gateway.pages.participation.conseils import conseil_context
from gateway.rendering import render

router = APIRouter()
CHUNK = 64 * 1024
DONE = {"reponse": "Votre réponse est publiée sous l'avis.", "delai": "Le délai de réponse est enregistré.",
        "publie": "L'avis est publié : les organisations pilotes sont prévenues."}


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(CHUNK):
        yield chunk


def _safe_back(value: str, default: str) -> str:
    """Only a path of this site (never another site's address)."""
    return value if value.startswith("/") and not value.startswith("//") else default


@router.post("/avis")
async def publish(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """A member publishes an opinion of their conseil (on an engagement or a COPIL item), with a file if any."""
    form = await request.form()
    body_id = text(form, "body_id")
    values = {k: text(form, k) for k in ("body_id", "target", "engagement_number", "item", "qpv_id", "text",
                                         "file_title")}
    payload: dict[str, Any] = {"body_id": body_id, "qpv_id": values["qpv_id"] or None, "text": values["text"]}
    if values["target"] == "point":
        meeting_id, _, item_id = values["item"].partition(":")
        payload |= {"meeting_id": meeting_id or None, "item_id": item_id or None}
        if not item_id:
            return await _refuse(request, viewer, calls, body_id, values,
                                 Notice("error", f"Choisissez le point de l'ordre du jour. {NOTHING_DONE}", "avis"))
    else:
        number = values["engagement_number"]
        if not number.isdigit():
            return await _refuse(request, viewer, calls, body_id, values, Notice(
                "error", f"Indiquez le numéro de l'engagement (de 1 à 50). {NOTHING_DONE}", "avis"))
        payload["engagement_number"] = int(number)
    upload = form.get("file")
    try:
        opinion = await calls.post("participation", "/api/v1/opinions", payload)
    except ServiceError as exc:
        outcome = refused(exc, "avis")
        return await _refuse(request, viewer, calls, body_id, values, outcome.notice, outcome.status_code)
    if isinstance(upload, UploadFile) and upload.filename:
        try:
            await calls.clients.request(
                calls.identity, "participation", "POST", f"/api/v1/opinions/{quote(opinion['id'])}/attachments",
                params={"title": values["file_title"] or upload.filename, "filename": upload.filename},
                content=_chunks(upload), content_type="application/octet-stream")  # type: ignore[arg-type]
        except ServiceError as exc:
            message = exc.body.get("message") if isinstance(exc.body, dict) else None
            return RedirectResponse(f"/avis/{quote(opinion['id'])}?piece=refusee&motif="
                                    f"{quote(message or 'pièce jointe refusée')}", status_code=303)
    return RedirectResponse(f"/avis/{quote(opinion['id'])}?fait=publie", status_code=303)


async def _refuse(request: Request, viewer: Any, calls: Any, body_id: str, values: dict[str, Any], notice: Notice,
                  status_code: int = 422) -> Response:
    if not body_id:  # no conseil chosen: the refusal on the opinions' page
        context = await _list_context(calls)
        context["notice"] = notice
        return render(request, "participation/avis_liste.html", context, status_code=status_code)
    try:
        context = await conseil_context(calls, body_id, viewer)
    except ServiceError:
        return RedirectResponse("/conseils-citoyens", status_code=303)
    context.update(notice=notice, form=values)
    return render(request, "participation/conseil.html", context, status_code=status_code)


async def _list_context(calls: Any) -> dict[str, Any]:
    rows, rules, orgs, qpv = await asyncio.gather(
        calls.get("participation", "/api/v1/opinions"), calls.get("participation", "/api/v1/opinion-rules"),
        organisations(calls), qpv_list(calls))
    return {"page_title": "Avis des habitants", "nav": "instances", "opinions": rows,
            "overdue": [o for o in rows if o["overdue"]], "rules": rules, "org_names": names(orgs),
            "qpv_names": {q["id"]: q["name"] for q in qpv}, "notice": None, "back": "/avis"}


@router.get("/avis")
async def opinions_page(request: Request, viewer: OptionalViewer, calls: AnyCalls) -> Response:
    """Every opinion with its answer, the overdue ones first; the secretariat sets the delay here."""
    context = await _list_context(calls)
    done = DONE.get(request.query_params.get("fait", ""))
    context["notice"] = Notice("success", done) if done else None
    return render(request, "participation/avis_liste.html", context)


@router.post("/avis/delai")
async def set_delay(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The secretariat sets the days pilots have to answer (for opinions published from now on)."""
    form = await request.form()
    try:
        await calls.put("participation", "/api/v1/opinion-rules", {"answer_days": text(form, "answer_days")})
    except ServiceError as exc:
        outcome = refused(exc, "delai")
        context = await _list_context(calls)
        context["notice"] = outcome.notice
        return render(request, "participation/avis_liste.html", context, status_code=outcome.status_code)
    return RedirectResponse("/avis?fait=delai", status_code=303)


@router.get("/avis/{opinion_id}")
async def opinion_page(request: Request, opinion_id: str, viewer: OptionalViewer, calls: AnyCalls) -> Response:
    """One opinion and its answer (or how long it has been awaited)."""
    opinion, orgs, qpv = await asyncio.gather(
        calls.get("participation", f"/api/v1/opinions/{quote(opinion_id)}"), organisations(calls), qpv_list(calls))
    notice = None
    if request.query_params.get("piece") == "refusee":
        notice = Notice("error", "L'avis est publié, mais sa pièce jointe a été refusée : "
                                 f"{request.query_params.get('motif', '')}")
    elif request.query_params.get("avis") == "repondu":
        notice = Notice("success", DONE["reponse"])
    elif done := DONE.get(request.query_params.get("fait", "")):
        notice = Notice("success", done)
    return render(request, "participation/avis.html", {
        "page_title": f"Avis de « {opinion['body_name']} »", "nav": "instances", "opinions": [opinion],
        "o": opinion, "org_names": names(orgs), "qpv_names": {q["id"]: q["name"] for q in qpv},
        "notice": notice, "back": f"/avis/{opinion_id}"})


@router.post("/avis/{opinion_id}/reponse")
async def answer(request: Request, opinion_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """A pilot answers; back to where they answered from (the engagement page or the opinion's page)."""
    form = await request.form()
    back = _safe_back(text(form, "back"), f"/avis/{quote(opinion_id)}")
    try:
        await calls.post("participation", f"/api/v1/opinions/{quote(opinion_id)}/answer",
                         {"text": text(form, "text"), "version": form_version(text(form, "version"))})
    except ServiceError as exc:
        outcome = refused(exc, "")
        opinion, orgs, qpv = await asyncio.gather(
            calls.get("participation", f"/api/v1/opinions/{quote(opinion_id)}"), organisations(calls),
            qpv_list(calls))
        return render(request, "participation/avis.html", {
            "page_title": f"Avis de « {opinion['body_name']} »", "nav": "instances", "opinions": [opinion],
            "o": opinion, "org_names": names(orgs), "qpv_names": {q["id"]: q["name"] for q in qpv},
            "notice": outcome.notice, "back": back, "tried": text(form, "text")}, status_code=outcome.status_code)
    separator = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{separator}avis=repondu#avis-{quote(opinion_id)}", status_code=303)


@router.get("/avis/pieces/{attachment_id}")
async def attachment(attachment_id: str, viewer: OptionalViewer, calls: AnyCalls) -> Response:
    """An opinion's attachment (public, as the opinion is)."""
    response = await calls.download("participation", f"/api/v1/opinion-attachments/{quote(attachment_id)}/content")
    headers = {k: v for k, v in response.headers.items() if k.lower() in ("content-disposition",)}
    headers["X-Content-Type-Options"] = "nosniff"
    return Response(response.content, media_type=response.headers.get("content-type"), headers=headers)
