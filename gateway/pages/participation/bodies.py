"""Bodies and their members (public view, members' view, the secretariat's management) and "mes instances"."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gateway.clients import ServiceCalls, ServiceError
from gateway.deps import CallsDep, CurrentViewer, OptionalViewer
from gateway.forms import Notice, iso_date, text
from gateway.pages.lookups import organisations, qpv_list
from gateway.pages.participation.common import AnyCalls, names, refused
from gateway.rendering import render

router = APIRouter()
DONE = {"membre": "Le membre est ajouté.", "fin": "Le mandat est terminé ; il reste dans l'historique.",
        "nom": "L'instance est renommée.", "retrait": "La personne est retirée : son nom et son adresse sont effacés, "
                                                      "ses mandats passés restent dans l'historique."}


@router.get("/instances")
async def bodies_page(request: Request, viewer: OptionalViewer, calls: AnyCalls) -> Response:
    """The governance bodies by kind; for the secretariat, the share of agendas sent on time."""
    bodies, orgs = await asyncio.gather(calls.get("participation", "/api/v1/bodies"), organisations(calls))
    groups: dict[str, list[dict[str, Any]]] = {}
    for body in bodies:
        groups.setdefault(body["kind"], []).append(body)
    stats = await calls.get("participation", "/api/v1/lead-time-stats") if viewer and viewer.is_secretariat else []
    return render(request, "participation/instances.html", {
        "page_title": "Instances du contrat de ville", "nav": "instances", "groups": groups,
        "org_names": names(orgs), "stats": stats})


async def _body_context(calls: ServiceCalls, body_id: str, viewer: Any) -> dict[str, Any]:
    body, orgs, qpv, meetings = await asyncio.gather(
        calls.get("participation", f"/api/v1/bodies/{quote(body_id)}"), organisations(calls), qpv_list(calls),
        calls.get("participation", "/api/v1/meetings", body_id=body_id))
    people = (await calls.get("participation", "/api/v1/people")) if viewer and viewer.is_secretariat else []
    return {"page_title": body["name"], "nav": "instances", "body": body, "org_names": names(orgs),
            "organisations": orgs, "qpv_names": {q["id"]: q["name"] for q in qpv}, "meetings": meetings,
            "people": [p for p in people if not p["anonymised"]], "notice": None, "form": {}}


@router.get("/instances/{body_id}")
async def body_page(request: Request, body_id: str, viewer: OptionalViewer, calls: AnyCalls) -> Response:
    """A body: its members' organisations (names for insiders, or when agreed), its meetings; the secretariat
    manages its members here."""
    context = await _body_context(calls, body_id, viewer)
    done = DONE.get(request.query_params.get("fait", ""))
    context["notice"] = Notice("success", done) if done else None
    return render(request, "participation/instance.html", context)


async def _act(request: Request, viewer: Any, calls: ServiceCalls, body_id: str, done: str, call: Any,
               form: dict[str, Any]) -> Response:
    try:
        await call
    except ServiceError as exc:
        outcome = refused(exc, "")
        context = await _body_context(calls, body_id, viewer)
        context.update(notice=outcome.notice, form=form)
        return render(request, "participation/instance.html", context, status_code=outcome.status_code)
    return RedirectResponse(f"/instances/{quote(body_id)}?fait={done}#membres", status_code=303)


@router.post("/instances/{body_id}/membres")
async def add_member(request: Request, body_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The secretariat seats a person: one already known, or a new one (name, address, public-name choice)."""
    form = await request.form()
    values = {k: text(form, k) for k in ("person_id", "name", "email", "organisation_id", "seat", "starts_on")}
    values["public_name"] = form.get("public_name") == "oui"
    body: dict[str, Any] = {"organisation_id": values["organisation_id"] or None, "seat": values["seat"] or "titulaire",
                            "starts_on": iso_date(values["starts_on"])}
    if values["person_id"]:
        body["person_id"] = values["person_id"]
    elif values["name"]:
        body["person"] = {"name": values["name"], "email": values["email"] or None,
                          "public_name": values["public_name"]}
    call = calls.post("participation", f"/api/v1/bodies/{quote(body_id)}/members", body)
    return await _act(request, viewer, calls, body_id, "membre", call, values)


@router.post("/instances/{body_id}/mandats/{membership_id}/fin")
async def end_seat(request: Request, body_id: str, membership_id: str, viewer: CurrentViewer,
                   calls: CallsDep) -> Response:
    call = calls.post("participation", f"/api/v1/memberships/{quote(membership_id)}/end", {})
    return await _act(request, viewer, calls, body_id, "fin", call, {})


@router.post("/instances/{body_id}/personnes/{person_id}/retrait")
async def remove_person(request: Request, body_id: str, person_id: str, viewer: CurrentViewer,
                        calls: CallsDep) -> Response:
    call = calls.clients.request(calls.identity, "participation", "DELETE", f"/api/v1/people/{quote(person_id)}")
    return await _act(request, viewer, calls, body_id, "retrait", call, {})


@router.post("/instances/{body_id}/nom")
async def rename(request: Request, body_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    form = await request.form()
    values = {"name": text(form, "name"), "description": text(form, "description") or None}
    call = calls.patch("participation", f"/api/v1/bodies/{quote(body_id)}", values)
    return await _act(request, viewer, calls, body_id, "nom", call, values)


@router.get("/mes-instances")
async def my_bodies(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The bodies the viewer sits in and their upcoming meetings."""
    mine, orgs = await asyncio.gather(calls.get("participation", "/api/v1/me"), organisations(calls))
    return render(request, "participation/mes_instances.html", {
        "page_title": "Mes instances", "nav": "mes-instances", "seats": mine["seats"], "meetings": mine["meetings"],
        "org_names": names(orgs)})
