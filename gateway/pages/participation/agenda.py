"""The agenda editor (secretariat): items, their order, documents (uploads streamed on to participation, or
links), publication and revisions; members' proposals and the interbailleurs' and inter-associatif's
contributions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from gateway.deps import CallsDep, CurrentViewer
from gateway.forms import Notice, text
from gateway.pages.participation.common import NOTHING_DONE, NotNumbers, numbers
from gateway.pages.participation.meetings import act, meeting_again

router = APIRouter(prefix="/reunions/{meeting_id}")
CHUNK = 64 * 1024


def _api(meeting_id: str, rest: str = "") -> str:
    return f"/api/v1/meetings/{quote(meeting_id)}{rest}"


def _item_body(form: Any) -> dict[str, Any]:
    duration = text(form, "duration_minutes")
    return {"title": text(form, "title"), "theme": text(form, "theme") or None,
            "description": text(form, "description") or None, "engagements": numbers(text(form, "engagements")),
            "presenter_organisation_id": text(form, "presenter_organisation_id") or None,
            "duration_minutes": int(duration) if duration.isdigit() else (duration or None),
            "draft_rev": text(form, "draft_rev")}


@router.post("/points")
async def add_item(request: Request, meeting_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    form = await request.form()
    typed = {k: text(form, k) for k in form if k != "csrf_token"}
    try:
        body = _item_body(form)
    except NotNumbers as exc:
        return await meeting_again(request, calls, meeting_id, Notice("error", str(exc), "draft"), 422, typed)
    call = calls.post("participation", _api(meeting_id, "/items"), body)
    return await act(request, calls, meeting_id, "draft", call, "point", "ordre-du-jour", typed)


@router.post("/points/{item_id}")
async def update_item(request: Request, meeting_id: str, item_id: str, viewer: CurrentViewer,
                      calls: CallsDep) -> Response:
    form = await request.form()
    try:
        body = _item_body(form)
    except NotNumbers as exc:
        return await meeting_again(request, calls, meeting_id, Notice("error", str(exc), f"item-{item_id}"), 422)
    call = calls.put("participation", _api(meeting_id, f"/items/{quote(item_id)}"), body)
    return await act(request, calls, meeting_id, f"item-{item_id}", call, "point", f"point-{item_id}")


@router.post("/points/{item_id}/position")
async def move_item(request: Request, meeting_id: str, item_id: str, viewer: CurrentViewer,
                    calls: CallsDep) -> Response:
    form = await request.form()
    body = {"position": text(form, "position"), "draft_rev": text(form, "draft_rev")}
    call = calls.post("participation", _api(meeting_id, f"/items/{quote(item_id)}/move"), body)
    return await act(request, calls, meeting_id, "draft", call, "ordre", "ordre-du-jour")


@router.post("/points/{item_id}/retirer")
async def remove_item(request: Request, meeting_id: str, item_id: str, viewer: CurrentViewer,
                      calls: CallsDep) -> Response:
    form = await request.form()
    call = calls.post("participation", _api(meeting_id, f"/items/{quote(item_id)}/remove"),
                      {"draft_rev": text(form, "draft_rev")})
    return await act(request, calls, meeting_id, "draft", call, "retire", "ordre-du-jour")


@router.post("/liens")
async def add_link(request: Request, meeting_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    form = await request.form()
    body = {"title": text(form, "title"), "url": text(form, "url"), "item_id": text(form, "item_id") or None,
            "public": form.get("public") != "non", "draft_rev": text(form, "draft_rev")}
    return await act(request, calls, meeting_id, "documents", calls.post("participation", _api(meeting_id, "/links"),
                                                                         body), "document", "documents")


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    """The uploaded file in pieces (Starlette keeps it in a temporary file, not in memory)."""
    while chunk := await upload.read(CHUNK):
        yield chunk


@router.post("/documents")
async def upload(request: Request, meeting_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """Streams the uploaded file on to participation, which checks its size and type."""
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        notice = Notice("error", f"Choisissez un fichier. {NOTHING_DONE}", "documents")
        return await meeting_again(request, calls, meeting_id, notice, 422)
    params = {"title": text(form, "title") or upload.filename, "filename": upload.filename,
              "item_id": text(form, "item_id") or None, "public": "false" if form.get("public") == "non" else "true",
              "draft_rev": text(form, "draft_rev")}
    call = calls.clients.request(calls.identity, "participation", "POST", _api(meeting_id, "/documents"),
                                 params=params, content=_chunks(upload),  # type: ignore[arg-type]
                                 content_type="application/octet-stream")
    return await act(request, calls, meeting_id, "documents", call, "document", "documents")


@router.post("/documents/{document_id}/retirer")
async def withdraw(request: Request, meeting_id: str, document_id: str, viewer: CurrentViewer,
                   calls: CallsDep) -> Response:
    form = await request.form()
    call = calls.post("participation", _api(meeting_id, f"/documents/{quote(document_id)}/withdraw"),
                      {"draft_rev": text(form, "draft_rev")})
    return await act(request, calls, meeting_id, "documents", call, "document", "documents")


@router.post("/publier")
async def publish(request: Request, meeting_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """Publishes the working agenda (a revision if a version is out); late publication needs a reason."""
    form = await request.form()
    body = {"draft_rev": text(form, "draft_rev"), "late_reason": text(form, "late_reason") or None}
    done = "revise" if text(form, "revision") == "oui" else "publie"
    return await act(request, calls, meeting_id, "publish", calls.post("participation", _api(meeting_id, "/publish"),
                                                                       body), done, "publication",
                     {"late_reason": body["late_reason"] or ""})


@router.post("/propositions")
async def propose(request: Request, meeting_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """A member proposes an item (until the cut-off)."""
    form = await request.form()
    typed = {k: text(form, k) for k in ("title", "description", "engagements")}
    try:
        engagements = numbers(typed["engagements"])
    except NotNumbers as exc:
        return await meeting_again(request, calls, meeting_id, Notice("error", str(exc), "propose"), 422, typed)
    body = {"title": typed["title"], "description": typed["description"] or None, "engagements": engagements}
    return await act(request, calls, meeting_id, "propose", calls.post(
        "participation", _api(meeting_id, "/proposals"), body), "proposition", "propositions", typed)


@router.post("/propositions/{proposal_id}")
async def decide(request: Request, meeting_id: str, proposal_id: str, viewer: CurrentViewer,
                 calls: CallsDep) -> Response:
    form = await request.form()
    body = {"accepted": text(form, "accepted") == "oui", "reason": text(form, "reason") or None,
            "version": text(form, "version")}
    call = calls.post("participation", _api(meeting_id, f"/proposals/{quote(proposal_id)}/decision"), body)
    return await act(request, calls, meeting_id, f"proposal-{proposal_id}", call, "decision-proposition",
                     "propositions")


@router.post("/points/{item_id}/contribution")
async def contribute(request: Request, meeting_id: str, item_id: str, viewer: CurrentViewer,
                     calls: CallsDep) -> Response:
    form = await request.form()
    body = {"body_id": text(form, "body_id"), "text": text(form, "text"), "version": text(form, "version") or 0}
    call = calls.put("participation", _api(meeting_id, f"/items/{quote(item_id)}/contribution"), body)
    return await act(request, calls, meeting_id, f"contribution-{item_id}", call, "contribution", f"point-{item_id}")
