"""The inter-associatif: its public member list, the « appel à participation » form (no account needed), the link
confirming the applicant's address, and the coordinators' and secretariat's handling of applications.

The public form is protected without any third-party service: a double-submit token (no session yet), a field
hidden from people that only robots fill in (answered as if all went well, with no effect), a size limit, and a
limit of applications per client address (kept by participation, as a keyed digest of the address).
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gateway import security
from gateway.clients import ServiceCalls, ServiceError
from gateway.deps import CallsDep, CurrentViewer, OptionalViewer, SettingsDep
from gateway.forms import Notice, form_version, text
from gateway.pages.lookups import qpv_list
from gateway.pages.participation.common import NOTHING_DONE, AnyCalls, refused
from gateway.rendering import render

router = APIRouter(prefix="/inter-associatif")
HONEYPOT = "site_web"  # hidden from people (and from screen readers); robots fill it in
MAX_FORM_BYTES = 16_000
FIELDS = ("association_name", "identifier", "qpv_id", "purpose", "contact_name", "contact_email")
DONE = {"acceptee": "La candidature est acceptée : l'association figure dans la liste des membres et sa personne "
                    "de contact est prévenue par courriel.",
        "refusee": "La candidature est refusée : sa personne de contact reçoit la raison par courriel.",
        "sortie": "L'association ne fait plus partie de l'inter-associatif."}


def _client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.get("")
async def members_page(request: Request, viewer: OptionalViewer, calls: AnyCalls) -> Response:
    """The member associations (public), and how to join."""
    data, qpv = await asyncio.gather(calls.get("participation", "/api/v1/associations"), qpv_list(calls))
    return render(request, "participation/inter_associatif.html", {
        "page_title": "L'inter-associatif", "nav": "inter-associatif", "data": data,
        "qpv_names": {q["id"]: q["name"] for q in qpv}})


async def _form_page(request: Request, settings: SettingsDep, calls: ServiceCalls, *, form: dict[str, Any],
                     errors: dict[str, str] | None = None, notice: Notice | None = None,
                     status_code: int = 200) -> Response:
    token = security.form_token(request.cookies)
    response = render(request, "participation/candidater.html", {
        "page_title": "Rejoindre l'inter-associatif", "nav": "inter-associatif", "form": form,
        "errors": errors or {}, "notice": notice, "qpv": await qpv_list(calls), "form_token": token,
        "honeypot": HONEYPOT}, status_code=status_code)
    security.set_form_cookie(response, token, settings)
    return response


@router.get("/candidater")
async def application_form(request: Request, settings: SettingsDep, calls: AnyCalls) -> Response:
    """The « appel à participation » form."""
    return await _form_page(request, settings, calls, form={})


def _sent_page(request: Request, hours: int) -> Response:
    return render(request, "participation/candidature_envoyee.html", {
        "page_title": "Vérifiez votre messagerie", "nav": "inter-associatif", "hours": hours})


@router.post("/candidater")
async def apply(request: Request, viewer: OptionalViewer, settings: SettingsDep, calls: AnyCalls) -> Response:
    """Checks the form's token, size and honeypot, then hands the application to participation."""
    if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
        return await _form_page(request, settings, calls, form={}, status_code=413, notice=Notice(
            "error", f"Le formulaire envoyé est trop long : raccourcissez l'objet de l'association. {NOTHING_DONE}"))
    form = await request.form()
    values = {k: text(form, k) for k in FIELDS} | {"consent": form.get("consent") == "oui"}
    if not security.form_checked(request.cookies, viewer is not None, text(form, "csrf_token")):
        return await _form_page(request, settings, calls, form=values, status_code=403,
                                notice=Notice("error", "Le formulaire a expiré : vérifiez ce que vous avez saisi, "
                                                       f"puis envoyez-le de nouveau. {NOTHING_DONE}"))
    if text(form, HONEYPOT):
        return _sent_page(request, 48)  # a robot: told all went well, nothing is recorded
    body = values | {"client_address": _client_address(request)}
    try:
        sent = await calls.post("participation", "/api/v1/applications", body)
    except ServiceError as exc:
        if exc.status_code == 429:
            return await _form_page(request, settings, calls, form=values, status_code=429,
                                    notice=Notice("error", f"{exc.message} {NOTHING_DONE}"))
        outcome = refused(exc, "")
        field = exc.body.get("field") if isinstance(exc.body, dict) else None
        errors = {field: exc.message or ""} if field in (*FIELDS, "consent") else {}
        return await _form_page(request, settings, calls, form=values, errors=errors, notice=outcome.notice,
                                status_code=outcome.status_code)
    return _sent_page(request, sent["confirm_hours"])


@router.get("/confirmer/{token}")
async def confirm_page(request: Request, token: str, settings: SettingsDep) -> Response:
    """The link of the e-mail: a button confirms (a mail scanner opening the link confirms nothing)."""
    form_token = security.form_token(request.cookies)
    response = render(request, "participation/confirmer.html", {
        "page_title": "Confirmer la candidature", "nav": "inter-associatif", "token": token,
        "form_token": form_token, "notice": None, "done": None})
    security.set_form_cookie(response, form_token, settings)
    return response


@router.post("/confirmer/{token}")
async def confirm(request: Request, token: str, viewer: OptionalViewer, calls: AnyCalls) -> Response:
    form = await request.form()
    context: dict[str, Any] = {"page_title": "Confirmer la candidature", "nav": "inter-associatif", "token": token,
                               "form_token": text(form, "csrf_token"), "notice": None, "done": None}
    if not security.form_checked(request.cookies, viewer is not None, text(form, "csrf_token")):
        context["notice"] = Notice("error", "La page a expiré : rouvrez le lien reçu par courriel.")
        return render(request, "participation/confirmer.html", context, status_code=403)
    try:
        context["done"] = await calls.post("participation", "/api/v1/applications/confirm", {"token": token})
    except ServiceError as exc:
        if exc.status_code not in (404, 422):
            raise
        context["notice"] = Notice("error", exc.message or "Ce lien n'est pas valable.")
        return render(request, "participation/confirmer.html", context, status_code=exc.status_code)
    return render(request, "participation/confirmer.html", context)


async def _applications_page(request: Request, calls: ServiceCalls, *, notice: Notice | None = None,
                             form: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    rows, qpv = await asyncio.gather(calls.get("participation", "/api/v1/applications"), qpv_list(calls))
    return render(request, "participation/candidatures.html", {
        "page_title": "Candidatures à l'inter-associatif", "nav": "inter-associatif", "applications": rows,
        "qpv_names": {q["id"]: q["name"] for q in qpv}, "notice": notice, "form": form or {}},
        status_code=status_code)


@router.get("/candidatures")
async def applications_page(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """Applications to handle (coordinators of the inter-associatif, secretariat)."""
    done = DONE.get(request.query_params.get("fait", ""))
    return await _applications_page(request, calls, notice=Notice("success", done) if done else None)


async def _act(request: Request, calls: ServiceCalls, place: str, call: Any, done: str,
               form: dict[str, Any] | None = None) -> Response:
    try:
        await call
    except ServiceError as exc:
        # A missing reason beside the application's form; anything else (decided meanwhile…) atop the page.
        field = exc.body.get("field") if isinstance(exc.body, dict) else None
        outcome = refused(exc, place if field == "reason" else "")
        return await _applications_page(request, calls, notice=outcome.notice, form=form,
                                        status_code=outcome.status_code)
    return RedirectResponse(f"/inter-associatif/candidatures?fait={done}", status_code=303)


@router.post("/candidatures/{application_id}/decision")
async def decide(request: Request, application_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    form = await request.form()
    accepted = text(form, "accepted") == "oui"
    body = {"accepted": accepted, "reason": text(form, "reason") or None,
            "version": form_version(text(form, "version"))}
    call = calls.post("participation", f"/api/v1/applications/{quote(application_id)}/decision", body)
    return await _act(request, calls, f"candidature-{application_id}", call, "acceptee" if accepted else "refusee",
                      {"reason": text(form, "reason"), "id": application_id})


@router.post("/membres/{association_id}/sortie")
async def leave(request: Request, association_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    form = await request.form()
    call = calls.post("participation", f"/api/v1/associations/{quote(association_id)}/end",
                      {"version": form_version(text(form, "version"))})
    return await _act(request, calls, f"candidature-{association_id}", call, "sortie")
