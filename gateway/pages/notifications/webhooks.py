"""Webhooks administration (administrators only): register an endpoint (the secret is shown once), follow its
deliveries and their attempts, disable, enable, revalidate, rotate the secret, delete, replay.

Everything is done by the notifications service (which checks the `admin` role itself); this page only shows
and forwards. Plain forms with a CSRF token, redirect after success, so it works without JavaScript.
"""

from __future__ import annotations

import importlib
import json
from datetime import datetime, time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from gateway.clients import ServiceCalls, ServiceError
from gateway.deps import AdminViewer, CallsDep
from gateway.forms import Fields, Notice, refusal
from gateway.pages.public.integrations import EVENT_MODULES
from gateway.rendering import render
from kernel import french
from kernel.events import CATALOGUE, is_internal
from kernel.french import PARIS
from kernel.ids import Id

router = APIRouter(prefix="/admin/webhooks")
SERVICE_LABELS = {"engagements": "Engagements", "indicateurs": "Indicateurs", "participation": "Participation",
                  "notifications": "Notifications"}
STATES = {"pending": ("reporte", "en attente"), "delivered": ("realise", "remise"),
          "failed": ("abandonne", "abandonnée")}
DONE = {
    "desactive": "Le point de terminaison est désactivé : ses livraisons attendent sa réactivation.",
    "reactive": "Le point de terminaison est réactivé (validation réussie) : ce qui attendait part, dans l'ordre.",
    "revalide": "Validation réussie : le point de terminaison recevra les prochains événements.",
    "non-revalide": "Validation toujours refusée : rien ne lui est envoyé.",
    "supprime": "Le point de terminaison est supprimé, avec sa file et son journal.",
    "renvoi": "Renvoi programmé : la livraison repart dans quelques instants (même webhook-id, nouvelle signature).",
    "avis-lu": "Avis marqué comme lu.",
}


def event_catalogue() -> list[dict[str, Any]]:
    """The public event types by service, for the registration form (internal ones are never offered)."""
    for module in EVENT_MODULES:
        importlib.import_module(module)
    groups: dict[str, list[dict[str, str]]] = {}
    for type_, model in sorted(CATALOGUE.items()):
        if not is_internal(type_) and model.__retired__ is None:  # retired types are no longer published
            groups.setdefault(type_.split(".")[1], []).append({"type": type_, "summary": model.__summary__})
    return [{"service": s, "label": SERVICE_LABELS.get(s, s), "types": groups[s]} for s in SERVICE_LABELS
            if s in groups]


def _back(path: str, **query: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?{urlencode(query)}" if query else path, status_code=303)


REFUSED = "La demande a été refusée."
REGISTRATION = Fields(names={"url": "url", "event_types": "event_types", "description": "description"},
                      message=lambda _name, error: error.get("message") or REFUSED, fallback=REFUSED)


def _done(code: str) -> Notice | None:
    """The outcome named by the redirect after an action (`?maj=…`)."""
    if code not in DONE:
        return None
    return Notice("error" if code == "non-revalide" else "success", DONE[code])


async def _list_page(request: Request, calls: ServiceCalls, *, notice: Notice | None = None, secret: str = "",
                     form: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                     status_code: int = 200) -> Response:
    endpoints = await calls.get("notifications", "/api/v1/webhooks")
    notices = await calls.get("notifications", "/api/v1/webhooks/notices")
    return render(request, "notifications/webhooks.html", {
        "page_title": "Webhooks", "nav": "webhooks", "endpoints": endpoints, "alerts": notices,
        "catalogue": event_catalogue(), "form": form or {"event_types": []}, "errors": errors or {},
        "notice": notice, "secret": secret, "states": STATES,
    }, status_code=status_code)


@router.get("")
async def webhooks_page(request: Request, _admin: AdminViewer, calls: CallsDep) -> Response:
    """The endpoints, the administrators' notices, the registration form."""
    return await _list_page(request, calls, notice=_done(request.query_params.get("maj", "")))


@router.post("")
async def register(request: Request, _admin: AdminViewer, calls: CallsDep, url: Annotated[str, Form()] = "",
                   description: Annotated[str, Form()] = "",
                   event_types: Annotated[list[str] | None, Form()] = None,
                   other_types: Annotated[str, Form()] = "") -> Response:
    """Registers an endpoint; the notifications service performs the validation handshake first."""
    chosen = [*(event_types or []), *other_types.split()]
    form = {"url": url, "description": description, "event_types": event_types or [], "other_types": other_types}
    try:
        created = await calls.post("notifications", "/api/v1/webhooks",
                                   {"url": url, "description": description, "event_types": chosen})
    except ServiceError as exc:
        refused = refusal(exc, fields=REGISTRATION, fallback=REFUSED)
        return await _list_page(request, calls, form=form, errors=refused.errors or {"_form": refused.notice.text},
                                status_code=refused.status_code)
    validated = created["validated"]
    return await _list_page(request, calls, status_code=201, secret=created["secret"], notice=Notice(
        "success" if validated else "error",
        f"Point de terminaison enregistré et validé : {created['url']}." if validated else
        f"Point de terminaison enregistré mais non validé : {created['handshake']} Rien ne lui sera envoyé ; une "
        "fois son récepteur prêt, utilisez « Revalider » sur sa page."))


@router.post("/avis/{notice_id}/lu")
async def dismiss(notice_id: Id, _admin: AdminViewer, calls: CallsDep) -> Response:
    """Marks an administrators' notice as read."""
    await calls.post("notifications", f"/api/v1/webhooks/notices/{notice_id}/dismiss")
    return _back("/admin/webhooks", maj="avis-lu")


async def _endpoint_page(request: Request, calls: ServiceCalls, endpoint_id: str, *, notice: Notice | None = None,
                         secret: str = "", status_code: int = 200) -> Response:
    endpoint = await calls.get("notifications", f"/api/v1/webhooks/{endpoint_id}")
    status = request.query_params.get("etat") or None
    deliveries = await calls.get("notifications", f"/api/v1/webhooks/{endpoint_id}/deliveries",
                                 status=status if status in STATES else None, limit=200)
    return render(request, "notifications/webhook.html", {
        "page_title": f"Webhook {endpoint['url']}", "nav": "webhooks", "endpoint": endpoint,
        "deliveries": deliveries, "notice": notice, "secret": secret, "states": STATES, "status": status,
        "today": french.today().isoformat(),
    }, status_code=status_code)


@router.get("/{endpoint_id}")
async def endpoint_page(request: Request, endpoint_id: str, _admin: AdminViewer, calls: CallsDep) -> Response:
    """One endpoint: its state, its actions, its delivery log (newest first) and the replay form."""
    return await _endpoint_page(request, calls, endpoint_id, notice=_done(request.query_params.get("maj", "")))


@router.post("/{endpoint_id}/desactiver")
async def disable(endpoint_id: str, _admin: AdminViewer, calls: CallsDep) -> Response:
    await calls.post("notifications", f"/api/v1/webhooks/{endpoint_id}/disable")
    return _back(f"/admin/webhooks/{endpoint_id}", maj="desactive")


@router.post("/{endpoint_id}/reactiver")
async def enable(request: Request, endpoint_id: str, _admin: AdminViewer, calls: CallsDep) -> Response:
    """Enables again after a new handshake; a refusal is explained in the page."""
    try:
        await calls.post("notifications", f"/api/v1/webhooks/{endpoint_id}/enable")
    except ServiceError as exc:
        refused = refusal(exc, fallback=REFUSED, nothing_done="")
        return await _endpoint_page(request, calls, endpoint_id, status_code=refused.status_code,
                                    notice=refused.notice)
    return _back(f"/admin/webhooks/{endpoint_id}", maj="reactive")


@router.post("/{endpoint_id}/revalider")
async def revalidate(endpoint_id: str, _admin: AdminViewer, calls: CallsDep) -> Response:
    endpoint = await calls.post("notifications", f"/api/v1/webhooks/{endpoint_id}/validate")
    return _back(f"/admin/webhooks/{endpoint_id}", maj="revalide" if endpoint["validated"] else "non-revalide")


@router.post("/{endpoint_id}/secret")
async def rotate_secret(request: Request, endpoint_id: str, _admin: AdminViewer, calls: CallsDep) -> Response:
    """A new secret, shown once in the answer; the previous one keeps signing for 24 hours."""
    rotated = await calls.post("notifications", f"/api/v1/webhooks/{endpoint_id}/rotate-secret")
    return await _endpoint_page(request, calls, endpoint_id, secret=rotated["secret"], notice=Notice(
        "success", "Nouveau secret créé. Pendant 24 heures, chaque envoi porte deux signatures (ancien et nouveau "
                   "secret) : le récepteur a ce temps pour passer au nouveau."))


@router.post("/{endpoint_id}/supprimer")
async def remove(endpoint_id: str, admin: AdminViewer, calls: CallsDep) -> Response:
    await calls.clients.request(admin.identity, "notifications", "DELETE", f"/api/v1/webhooks/{endpoint_id}",
                                raw=True)
    return _back("/admin/webhooks", maj="supprime")


@router.post("/{endpoint_id}/rejouer")
async def replay_since(request: Request, endpoint_id: str, _admin: AdminViewer, calls: CallsDep,
                       event_type: Annotated[str, Form()] = "", since: Annotated[str, Form()] = "") -> Response:
    """Sends again the endpoint's deliveries of a type since a day (Paris time, from midnight)."""
    try:
        day = datetime.combine(datetime.strptime(since, "%Y-%m-%d").date(), time(0), tzinfo=PARIS)
    except ValueError:
        return await _endpoint_page(request, calls, endpoint_id, status_code=422,
                                    notice=Notice("error", "Indiquez la date de départ (jj/mm/aaaa)."))
    try:
        done = await calls.post("notifications", f"/api/v1/webhooks/{endpoint_id}/replay",
                                {"event_type": event_type.strip(), "since": day.isoformat()})
    except ServiceError as exc:
        refused = refusal(exc, fallback=REFUSED, nothing_done="")
        return await _endpoint_page(request, calls, endpoint_id, status_code=refused.status_code,
                                    notice=refused.notice)
    count = done["count"]
    text = (f"{count} livraison{'s' if count > 1 else ''} de « {event_type.strip()} » depuis le "
            f"{day.strftime('%d/%m/%Y')} reprogrammée{'s' if count > 1 else ''}." if count else
            "Aucune livraison de ce type depuis cette date dans le journal de ce point de terminaison.")
    return await _endpoint_page(request, calls, endpoint_id, notice=Notice("success", text))


@router.get("/livraisons/{delivery_id}")
async def delivery_page(request: Request, delivery_id: Id, _admin: AdminViewer, calls: CallsDep) -> Response:
    """One delivery: the CloudEvent sent and each attempt with the receiver's answer."""
    found = await calls.get("notifications", f"/api/v1/webhooks/deliveries/{delivery_id}")
    found["body"] = json.dumps(json.loads(found["body"]), ensure_ascii=False, indent=2)
    endpoint = await calls.get("notifications", f"/api/v1/webhooks/{found['endpoint_id']}")
    return render(request, "notifications/webhook_delivery.html", {
        "page_title": f"Livraison {found['event_type']}", "nav": "webhooks", "delivery": found,
        "endpoint": endpoint, "states": STATES})


@router.post("/livraisons/{delivery_id}/renvoyer")
async def replay_delivery(delivery_id: Id, _admin: AdminViewer, calls: CallsDep) -> Response:
    replayed = await calls.post("notifications", f"/api/v1/webhooks/deliveries/{delivery_id}/replay")
    return _back(f"/admin/webhooks/{replayed['endpoint_id']}", maj="renvoi")
