"""E-mail preferences per category (immediately, daily digest, never), and the one-click unsubscribe links
(RFC 8058) that e-mails carry: the link's token is the authorisation, no login needed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.clients import ServiceError
from gateway.deps import CallsDep, ClientsDep, CurrentViewer, OptionalViewer
from gateway.notify import GATEWAY
from gateway.rendering import render

router = APIRouter()


@router.get("/notifications/preferences")
async def preferences_page(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """Each category and how the person wants its e-mails."""
    found = await calls.get("notifications", "/api/v1/preferences")
    saved = request.query_params.get("enregistre") == "1"
    return render(request, "notifications/preferences.html", {
        "page_title": "Mes courriels", "nav": "notifications", **found, "errors": {},
        "notice": {"kind": "success", "text": "Vos choix sont enregistrés."} if saved else None})


@router.post("/notifications/preferences")
async def save_preferences(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """Records the choices; a refused one is explained next to it and nothing changes."""
    form = await request.form()
    current = await calls.get("notifications", "/api/v1/preferences")
    wanted = {c["category"]: str(form.get(c["category"]) or c["mode"]) for c in current["categories"]
              if not c["mandatory"]}
    try:
        saved = await calls.put("notifications", "/api/v1/preferences", wanted)
    except ServiceError as exc:
        if exc.status_code != 422:
            raise
        field = exc.body.get("field") if isinstance(exc.body, dict) else None
        for c in current["categories"]:
            if c["category"] in wanted:
                c["mode"] = wanted[c["category"]]
        return render(request, "notifications/preferences.html", {
            "page_title": "Mes courriels", "nav": "notifications", **current,
            "errors": {field or "_form": exc.message}, "notice": None}, status_code=422)
    return render(request, "notifications/preferences.html", {
        "page_title": "Mes courriels", "nav": "notifications", "categories": saved["categories"],
        "modes": current["modes"], "errors": {}, "notice": {"kind": "success", "text": "Vos choix sont enregistrés."}})


@router.get("/desabonnement/{token}")
async def unsubscribe_page(request: Request, token: str, _viewer: OptionalViewer, clients: ClientsDep) -> Response:
    """What the link would turn off, and the button that does it."""
    try:
        target = await clients.on_behalf_of(GATEWAY).get("notifications", f"/api/v1/unsubscribe/{token}")
    except ServiceError as exc:
        if exc.status_code != 422:
            raise
        return render(request, "notifications/desabonnement.html", {
            "page_title": "Désinscription", "error": exc.message}, status_code=404)
    return render(request, "notifications/desabonnement.html", {"page_title": "Désinscription", "target": target,
                                                                "token": token})


@router.post("/desabonnement/{token}")
async def unsubscribe(request: Request, token: str, _viewer: OptionalViewer, clients: ClientsDep) -> Response:
    """One click (RFC 8058: mail clients POST `List-Unsubscribe=One-Click` here) or the page's button."""
    try:
        done = await clients.on_behalf_of(GATEWAY).post("notifications", "/api/v1/unsubscribe", {"token": token})
    except ServiceError as exc:
        if exc.status_code != 422:
            raise
        return render(request, "notifications/desabonnement.html", {
            "page_title": "Désinscription", "error": exc.message}, status_code=404)
    return render(request, "notifications/desabonnement.html", {"page_title": "Désinscription", "done": done})
