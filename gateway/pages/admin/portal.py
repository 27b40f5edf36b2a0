"""The secretariat's page for the public portal: the QPV registry (names and national codes, checked by
participation against the national format) and the news and resources it publishes."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gateway.clients import ServiceCalls, ServiceError
from gateway.deps import AccessDenied, CallsDep, CurrentViewer, Viewer
from gateway.forms import Notice, text
from gateway.pages.participation.common import refused
from gateway.rendering import render

router = APIRouter(prefix="/admin/portail")
DONE = {"qpv": "Le quartier est enregistré ; le portail le montre sous ce nom.",
        "publiee": "C'est publié sur le portail.", "retiree": "C'est retiré du portail."}


def _secretariat(viewer: Viewer) -> None:
    if not viewer.is_secretariat:
        raise AccessDenied("Cette page est réservée au secrétariat du contrat.")


async def _context(calls: ServiceCalls) -> dict[str, Any]:
    qpv, news = await asyncio.gather(calls.get("participation", "/api/v1/qpv"),
                                     calls.get("participation", "/api/v1/news", limit=200))
    return {"page_title": "Gérer le portail public", "nav": "admin-portail", "qpv": qpv, "news": news, "notice": None,
            "form": {}}


@router.get("")
async def page(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The QPV with their names and codes; the news and resources on the portal and the form to publish."""
    _secretariat(viewer)
    context = await _context(calls)
    done = DONE.get(request.query_params.get("fait", ""))
    context["notice"] = Notice("success", done, place=request.query_params.get("ici", "")) if done else None
    return render(request, "public/admin_portail.html", context)


async def _act(request: Request, calls: ServiceCalls, call: Any, done: str, place: str,
               form: dict[str, Any]) -> Response:
    try:
        await call
    except ServiceError as exc:
        outcome = refused(exc, place)
        context = await _context(calls)
        context.update(notice=outcome.notice, form=form)
        return render(request, "public/admin_portail.html", context, status_code=outcome.status_code)
    return RedirectResponse(f"/admin/portail?fait={done}&ici={quote(place)}#{place}", status_code=303)


@router.post("/quartiers/{qpv_id}")
async def save_qpv(qpv_id: str, request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """Names a QPV and enters its national code (participation checks the format)."""
    _secretariat(viewer)
    form = await request.form()
    values = {"name": text(form, "name"), "code": text(form, "code") or None,
              "cities": [c.strip() for c in text(form, "cities").split(",") if c.strip()]}
    call = calls.patch("participation", f"/api/v1/qpv/{quote(qpv_id)}", values)
    return await _act(request, calls, call, "qpv", f"qpv-{qpv_id}", {"qpv_id": qpv_id, **values})


@router.post("/actualites")
async def publish(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """Publishes a news item or a resource."""
    _secretariat(viewer)
    form = await request.form()
    values = {k: text(form, k) or None for k in ("title", "summary", "body", "url")}
    values["kind"] = "ressource" if text(form, "kind") == "ressource" else "actualite"
    call = calls.post("participation", "/api/v1/news", values)
    return await _act(request, calls, call, "publiee", "publier", values)


@router.post("/actualites/{news_id}/retrait")
async def withdraw(news_id: str, request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """Takes a news item or a resource off the portal."""
    _secretariat(viewer)
    call = calls.post("participation", f"/api/v1/news/{quote(news_id)}/withdraw")
    return await _act(request, calls, call, "retiree", "publiees", {})
