"""The notification centre: each person's notices, the unread count of the header, mark as read, and live
arrival by server-sent events (htmx's SSE extension); without JavaScript the page is a plain list."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from jinja2_fragments import render_block
from sse_starlette.sse import EventSourceResponse

from gateway.clients import ServiceError, ServiceUnavailable
from gateway.deps import CallsDep, CurrentViewer, SettingsDep
from gateway.rendering import is_htmx, render, templates
from kernel.ids import Cursor, Id

router = APIRouter(prefix="/notifications")
PAGE = "notifications/centre.html"
CATEGORY_LABELS = {"ordre_du_jour": "Réunions", "compte": "Compte", "rappels": "Rappel", "indicateurs": "Indicateurs",
                   "instances": "Instances"}


def _block(block: str, **context: Any) -> str:
    return render_block(templates.env, PAGE, block, CATEGORY_LABELS=CATEGORY_LABELS, **context)


@router.get("")
async def centre(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The person's notices, newest first; new ones arrive live."""
    try:
        found = await calls.get("notifications", "/api/v1/notices", limit=100)
    except ServiceUnavailable:
        found = None
    newest = max((n["id"] for n in found["items"]), default=0) if found else 0
    return render(request, PAGE, {"page_title": "Notifications", "nav": "notifications", "found": found,
                                  "newest": newest, "CATEGORY_LABELS": CATEGORY_LABELS})


@router.get("/non-lus")
async def unread(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The header's unread count (an htmx fragment; empty when the service does not answer)."""
    try:
        count = (await calls.get("notifications", "/api/v1/notices", limit=1))["unread"]
    except (ServiceUnavailable, ServiceError):
        count = None
    return render(request, PAGE, {"unread": count}, block="unread_count")


@router.post("/{notice_id}/lu")
async def mark_read(request: Request, notice_id: Id, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """Marks a notice as read: htmx gets the updated notice and count, others go back to the list."""
    result = await calls.post("notifications", f"/api/v1/notices/{notice_id}/read")
    if is_htmx(request):
        return Response(_block("notice_item", n=result["notice"], viewer=viewer)
                        + _block("unread_oob", unread=result["unread"]), media_type="text/html")
    return RedirectResponse("/notifications", status_code=303)


@router.post("/tout-lu")
async def mark_all_read(viewer: CurrentViewer, calls: CallsDep) -> Response:
    await calls.post("notifications", "/api/v1/notices/read-all")
    return RedirectResponse("/notifications", status_code=303)


@router.get("/flux")
async def live(request: Request, viewer: CurrentViewer, calls: CallsDep, settings: SettingsDep,
               depuis: Cursor = 0) -> EventSourceResponse:
    """Server-sent events: `notice` (a new notice, as HTML) and `unread` (the count). The stream ends after a
    while and the browser reconnects, so a closed session stops it."""

    async def events() -> AsyncIterator[dict[str, str]]:
        after = depuis
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settings.notices_stream_seconds
        while loop.time() < deadline and not await request.is_disconnected():
            try:
                found = await calls.wait("notifications", "/api/v1/notices/wait", after=after,
                                        timeout=settings.notices_wait_seconds)
            except (ServiceUnavailable, ServiceError):
                await asyncio.sleep(5)
                continue
            for notice in found["items"]:
                after = max(after, notice["id"])
                yield {"event": "notice", "data": _block("notice_item", n=notice, viewer=viewer)}
            if found["items"]:
                yield {"event": "unread", "data": _block("unread_oob", unread=found["unread"])}

    return EventSourceResponse(events(), ping=15, headers={"Cache-Control": "no-store"})
