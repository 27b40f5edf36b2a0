"""Mandats citoyens: the public list and each mandate's page (findings, recommendations, answers, overdue ones
flagged); the secretariat opens mandates and names their members (inviting them to an account); members publish;
the organisation a recommendation names answers it."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gateway import accounts, notify, passwords
from gateway.clients import ServiceCalls, ServiceError
from gateway.deps import CallsDep, ClientsDep, CurrentViewer, DbDep, OptionalViewer, SettingsDep
from gateway.forms import Notice, Refusal, form_version, iso_date, text
from gateway.pages.admin.accounts import generated_password
from gateway.pages.lookups import organisations, qpv_list
from gateway.pages.participation.common import AnyCalls, NotNumbers, names, numbers, refused
from gateway.rendering import render

router = APIRouter(prefix="/mandats")
DONE = {"ouvert": "Le mandat est ouvert.", "membre": "Le membre est ajouté au mandat.",
        "invite": "Le membre est ajouté ; une invitation à créer son compte lui est envoyée par courriel.",
        "retrait": "La personne ne fait plus partie du mandat.", "etat": "Le mandat est mis à jour.",
        "constat": "Le constat est publié.", "preconisation": "La préconisation est publiée ; l'organisation nommée "
                                                              "est prévenue avant l'échéance.",
        "reponse": "La réponse est publiée à côté de la préconisation."}


async def _list_context(calls: ServiceCalls, viewer: Any) -> dict[str, Any]:
    mandates, qpv, recs = await asyncio.gather(calls.get("participation", "/api/v1/mandates"), qpv_list(calls),
                                              calls.get("participation", "/api/v1/recommendations", open="true"))
    mine = [r for r in recs if viewer and viewer.is_referent and r["organisation_id"] == viewer.organisation_id]
    return {"page_title": "Mandats citoyens", "nav": "mandats", "mandates": mandates, "qpv": qpv,
            "qpv_names": {q["id"]: q["name"] for q in qpv}, "owed": mine, "notice": None, "form": {}}


@router.get("")
async def mandates_page(request: Request, viewer: OptionalViewer, calls: AnyCalls) -> Response:
    """Every mandate (public); the recommendations the viewer's organisation owes an answer to."""
    context = await _list_context(calls, viewer)
    done = DONE.get(request.query_params.get("fait", ""))
    context["notice"] = Notice("success", done) if done else None
    return render(request, "participation/mandats.html", context)


@router.post("")
async def open_mandate(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    form = await request.form()
    values = {k: text(form, k) for k in ("title", "description", "engagements", "starts_on", "ends_on")}
    values["qpv_ids"] = [v for v in form.getlist("qpv_ids") if isinstance(v, str) and v]
    place = "ouvrir" if viewer.is_secretariat else ""  # the form is the secretariat's only
    try:
        body = {"title": values["title"], "description": values["description"] or None,
                "engagements": numbers(values["engagements"], "Engagements"), "qpv_ids": values["qpv_ids"],
                "starts_on": iso_date(values["starts_on"]), "ends_on": iso_date(values["ends_on"])}
        created = await calls.post("participation", "/api/v1/mandates", body)
    except NotNumbers as exc:
        outcome = Refusal(422, Notice("error", str(exc), place))
    except ServiceError as exc:
        outcome = refused(exc, place)
    else:
        return RedirectResponse(f"/mandats/{created['id']}?fait=ouvert", status_code=303)
    context = await _list_context(calls, viewer)
    context.update(notice=outcome.notice, form=values)
    return render(request, "participation/mandats.html", context, status_code=outcome.status_code)


async def _mandate_context(calls: ServiceCalls, mandate_id: str, viewer: Any) -> dict[str, Any]:
    mandate, orgs, qpv = await asyncio.gather(calls.get("participation", f"/api/v1/mandates/{quote(mandate_id)}"),
                                              organisations(calls), qpv_list(calls))
    return {"page_title": mandate["title"], "nav": "mandats", "mandate": mandate, "organisations": orgs,
            "org_names": names(orgs), "qpv_names": {q["id"]: q["name"] for q in qpv}, "notice": None, "form": {}}


@router.get("/{mandate_id}")
async def mandate_page(request: Request, mandate_id: str, viewer: OptionalViewer, calls: AnyCalls) -> Response:
    context = await _mandate_context(calls, mandate_id, viewer)
    done = DONE.get(request.query_params.get("fait", ""))
    context["notice"] = Notice("success", done) if done else None
    return render(request, "participation/mandat.html", context)


async def _refused(request: Request, viewer: Any, calls: ServiceCalls, mandate_id: str, place: str,
                   exc: ServiceError, form: dict[str, Any] | None) -> Response:
    """The mandate's page again, the service's refusal beside the form at `place`, what was typed kept."""
    outcome = refused(exc, "" if exc.status_code == 403 else place)  # a refusal of who you are: atop the page
    context = await _mandate_context(calls, mandate_id, viewer)
    context.update(notice=outcome.notice, form=form or {})
    return render(request, "participation/mandat.html", context, status_code=outcome.status_code)


async def _act(request: Request, viewer: Any, calls: ServiceCalls, mandate_id: str, place: str, call: Any,
               done: str, form: dict[str, Any] | None = None) -> Response:
    try:
        await call
    except ServiceError as exc:
        return await _refused(request, viewer, calls, mandate_id, place, exc, form)
    return RedirectResponse(f"/mandats/{quote(mandate_id)}?fait={done}#{place}", status_code=303)


async def _invite(db: DbDep, clients: ClientsDep, settings: SettingsDep, request: Request, name: str,
                  email: str) -> bool:
    """An account for a new member (the « member » role), and the e-mailed link to choose its password; an
    address that already has an account is left as it is (the member record links to it by address)."""
    try:
        email = accounts.normalise_email(email)
    except accounts.AccountError:
        return False
    if await accounts.get_by_email(db, email) is not None:
        return False
    try:
        account = await accounts.create_account(db, email=email, name=name, password=generated_password(),
                                                roles=["membre"])
    except accounts.AccountError:
        return False
    await notify.sync_accounts(clients, [account])
    return await passwords.send_link(db, clients, settings, account=account, purpose="invitation",
                                     base_url=str(request.base_url))


@router.post("/{mandate_id}/membres")
async def add_member(request: Request, mandate_id: str, viewer: CurrentViewer, calls: CallsDep, db: DbDep,
                     clients: ClientsDep, settings: SettingsDep) -> Response:
    """The secretariat names a member (known, or new with a name and address), inviting them to an account."""
    form = await request.form()
    values = {k: text(form, k) for k in ("person_id", "name", "email")}
    values |= {"public_name": form.get("public_name") == "oui", "invite": form.get("invite") == "oui"}
    body: dict[str, Any] = {"person_id": values["person_id"]} if values["person_id"] else {
        "person": {"name": values["name"], "email": values["email"] or None, "public_name": values["public_name"]}}
    try:
        added = await calls.post("participation", f"/api/v1/mandates/{quote(mandate_id)}/members", body)
    except ServiceError as exc:
        return await _refused(request, viewer, calls, mandate_id, "membres", exc, values)
    invited = False
    if values["invite"] and viewer.is_secretariat and added["person"].get("email"):
        invited = await _invite(db, clients, settings, request, added["person"]["name"], added["person"]["email"])
    return RedirectResponse(f"/mandats/{quote(mandate_id)}?fait={'invite' if invited else 'membre'}#membres",
                            status_code=303)


@router.post("/{mandate_id}/membres/{member_id}/retrait")
async def remove_member(request: Request, mandate_id: str, member_id: str, viewer: CurrentViewer,
                        calls: CallsDep) -> Response:
    call = calls.post("participation", f"/api/v1/mandates/{quote(mandate_id)}/members/{quote(member_id)}/remove")
    return await _act(request, viewer, calls, mandate_id, "membres", call, "retrait")


@router.post("/{mandate_id}/etat")
async def update(request: Request, mandate_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    form = await request.form()
    body = {"status": text(form, "status"), "ends_on": iso_date(text(form, "ends_on")),
            "version": form_version(text(form, "version"))}
    call = calls.patch("participation", f"/api/v1/mandates/{quote(mandate_id)}", body)
    return await _act(request, viewer, calls, mandate_id, "etat", call, "etat")


@router.post("/{mandate_id}/constats")
async def finding(request: Request, mandate_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    form = await request.form()
    call = calls.post("participation", f"/api/v1/mandates/{quote(mandate_id)}/findings", {"text": text(form, "text")})
    return await _act(request, viewer, calls, mandate_id, "constats", call, "constat",
                      {"finding": text(form, "text")})


@router.post("/{mandate_id}/preconisations")
async def recommend(request: Request, mandate_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    form = await request.form()
    values = {k: text(form, k) for k in ("text", "organisation_id", "due_on")}
    body = {"text": values["text"], "organisation_id": values["organisation_id"],
            "due_on": iso_date(values["due_on"])}
    call = calls.post("participation", f"/api/v1/mandates/{quote(mandate_id)}/recommendations", body)
    return await _act(request, viewer, calls, mandate_id, "preconisations", call, "preconisation", values)


@router.post("/{mandate_id}/preconisations/{recommendation_id}/reponse")
async def answer(request: Request, mandate_id: str, recommendation_id: str, viewer: CurrentViewer,
                 calls: CallsDep) -> Response:
    form = await request.form()
    body = {"answer": text(form, "answer"), "text": text(form, "text"),
            "version": form_version(text(form, "version"))}
    call = calls.post("participation", f"/api/v1/recommendations/{quote(recommendation_id)}/answer", body)
    return await _act(request, viewer, calls, mandate_id, f"preconisation-{recommendation_id}", call, "reponse",
                      {"answer_text": text(form, "text"), "answer_for": recommendation_id})
