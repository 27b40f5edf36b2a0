"""The conseils citoyens: the public list and each conseil's page (QPV, activities, members as they chose to
appear, meetings and rencontres inter-conseils, opinions); the secretariat keeps the profile, schedules the
rencontres and invites members to an account; each member chooses how they appear."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gateway import accounts, notify, passwords
from gateway.clients import ServiceCalls, ServiceError
from gateway.deps import CallsDep, ClientsDep, CurrentViewer, DbDep, OptionalViewer, SettingsDep
from gateway.forms import Notice, form_version, iso_date, text, texts
from gateway.pages.admin.accounts import generated_password
from gateway.pages.lookups import organisations, qpv_list
from gateway.pages.participation.common import AnyCalls, local_datetime, names, post_meeting, refused
from gateway.rendering import render

router = APIRouter()
DONE = {"fiche": "La fiche du conseil est enregistrée.", "affichage": "Votre choix est enregistré.",
        "rencontre": "La rencontre inter-conseils est programmée : publiez son ordre du jour depuis sa page.",
        "invitation": "L'invitation à créer un compte est envoyée par courriel.",
        "avis": "L'avis est publié : les organisations pilotes sont prévenues."}


@router.get("/conseils-citoyens")
async def conseils_page(request: Request, viewer: OptionalViewer, calls: AnyCalls) -> Response:
    """Every conseil citoyen with its QPV and activities, the rencontres inter-conseils, the QPV covered."""
    data = await calls.get("participation", "/api/v1/conseils-citoyens")
    done = DONE.get(request.query_params.get("fait", ""))
    return render(request, "participation/conseils.html", {
        "page_title": "Conseils citoyens", "nav": "instances", "data": data,
        "notice": Notice("success", done) if done else None, "form": {}})


async def conseil_context(calls: ServiceCalls, body_id: str, viewer: Any) -> dict[str, Any]:
    conseil, opinions, orgs, qpv = await asyncio.gather(
        calls.get("participation", f"/api/v1/conseils-citoyens/{quote(body_id)}"),
        calls.get("participation", "/api/v1/opinions", body_id=body_id), organisations(calls), qpv_list(calls))
    targets = ((await calls.get("participation", "/api/v1/opinion-targets"))
               if viewer and conseil["is_member"] else {"bodies": [], "items": []})
    hosts = (await calls.get("participation", "/api/v1/conseils-citoyens"))["next_host"] \
        if viewer and viewer.is_secretariat else None
    return {"page_title": conseil["name"], "nav": "instances", "c": conseil, "opinions": opinions,
            "org_names": names(orgs), "qpv_list": qpv, "qpv_names": {q["id"]: q["name"] for q in qpv},
            "targets": targets, "next_host": hosts, "notice": None, "form": {}, "back": f"/conseils-citoyens/{body_id}",
            "invited": {}}


async def invited(db: Any, context: dict[str, Any]) -> dict[str, Any]:
    """For the secretariat: which members without a linked account were invited to one (its e-mail has an account
    here), and whether they logged in since, so the page says so instead of offering the invitation again."""
    emails = [m["email"] for m in context["c"].get("members", []) if m.get("email") and not m.get("account_id")]
    context["invited"] = {e: a.last_login_at for e, a in (await accounts.by_emails(db, emails)).items()}
    return context


@router.get("/conseils-citoyens/{body_id}")
async def conseil_page(request: Request, body_id: str, viewer: OptionalViewer, calls: AnyCalls, db: DbDep) -> Response:
    """One conseil citoyen; its members publish opinions here, the secretariat keeps it."""
    context = await invited(db, await conseil_context(calls, body_id, viewer))
    done = DONE.get(request.query_params.get("fait", ""))
    context["notice"] = Notice("success", done, request.query_params.get("ici", "")) if done else None
    return render(request, "participation/conseil.html", context)


async def _act(request: Request, viewer: Any, calls: ServiceCalls, body_id: str, call: Any, done: str, place: str,
               form: dict[str, Any]) -> Response:
    try:
        await call
    except ServiceError as exc:
        outcome = refused(exc, place)
        context = await conseil_context(calls, body_id, viewer)
        context.update(notice=outcome.notice, form=form)
        return render(request, "participation/conseil.html", context, status_code=outcome.status_code)
    return RedirectResponse(f"/conseils-citoyens/{quote(body_id)}?fait={done}&ici={place}#{place}", status_code=303)


@router.post("/conseils-citoyens/{body_id}/fiche")
async def save_profile(request: Request, body_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The secretariat keeps the profile: creation date, contact, activities."""
    form = await request.form()
    values = {"created_on": iso_date(text(form, "created_on")), "contact": text(form, "contact") or None,
              "activities": texts(form, "activities"), "activities_text": text(form, "activities_text") or None,
              "version": form_version(text(form, "version"))}
    call = calls.put("participation", f"/api/v1/conseils-citoyens/{quote(body_id)}", values)
    return await _act(request, viewer, calls, body_id, call, "fiche", "fiche", values)


@router.post("/conseils-citoyens/{body_id}/affichage/{membership_id}")
async def set_display(request: Request, body_id: str, membership_id: str, viewer: CurrentViewer,
                      calls: CallsDep) -> Response:
    """A member (or the secretariat for them) chooses how they appear publicly."""
    form = await request.form()
    call = calls.put("participation", f"/api/v1/memberships/{quote(membership_id)}/display",
                     {"display": text(form, "display")})
    return await _act(request, viewer, calls, body_id, call, "affichage", "membres", {})


@router.post("/conseils-citoyens/{body_id}/invitation/{membership_id}")
async def invite(request: Request, body_id: str, membership_id: str, viewer: CurrentViewer, calls: CallsDep,
                 db: DbDep, clients: ClientsDep, settings: SettingsDep) -> Response:
    """The secretariat invites a member to an account (role « membre »): they choose their password from the
    e-mailed link, then publish opinions and see their conseil's meetings."""
    context = await invited(db, await conseil_context(calls, body_id, viewer))
    member = next((m for m in context["c"].get("members", []) if m["membership_id"] == membership_id), None)
    problem = None
    if not viewer.is_secretariat or member is None:
        problem = Notice("refused", "Seul le secrétariat du COPIL invite les membres d'un conseil citoyen.", "membres")
    elif not member.get("email"):
        problem = Notice("error", f"{member['name']} n'a pas d'adresse e-mail : ajoutez-la depuis la page de "
                                  "l'instance, puis recommencez. Rien n'a été envoyé.", "membres")
    elif await accounts.get_by_email(db, member["email"]) is not None:
        problem = Notice("error", f"{member['name']} a déjà un compte ({member['email']}) : la personne se "
                                  "connecte avec cette adresse. Rien n'a été envoyé.", "membres")
    if problem is not None:
        context["notice"] = problem
        return render(request, "participation/conseil.html", context,
                      status_code=403 if problem.kind == "refused" else 422)
    account = await accounts.create_account(db, email=member["email"], name=member["name"],
                                            password=generated_password(), roles=["membre"])
    await notify.sync_accounts(clients, [account])
    if not await passwords.send_link(db, clients, settings, account=account, purpose="invitation",
                                     base_url=str(request.base_url)):
        context["notice"] = Notice("error", "Le compte est créé, mais l'invitation n'a pas pu partir : le service "
                                            "de notifications ne répond pas. Renvoyez-la depuis la page des "
                                            "comptes.", "membres")
        return render(request, "participation/conseil.html", context, status_code=503)
    return RedirectResponse(f"/conseils-citoyens/{quote(body_id)}?fait=invitation&ici=membres#membres",
                            status_code=303)


@router.post("/conseils-citoyens/rencontres")
async def schedule_rencontre(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The secretariat schedules a rencontre inter-conseils hosted by one conseil."""
    form = await request.form()
    values = {k: text(form, k) for k in ("host_body_id", "title", "day", "start", "end", "place")}
    body = {"host_body_id": values["host_body_id"], "title": values["title"] or "Rencontre inter-conseils",
            "starts_at": local_datetime(values["day"], values["start"]),
            "ends_at": local_datetime(values["day"], values["end"]) if values["end"] else None,
            "place": values["place"] or None}
    meeting, outcome = await post_meeting(calls, "/api/v1/inter-conseils", body, values, "rencontre")
    if outcome is not None:
        data = await calls.get("participation", "/api/v1/conseils-citoyens")
        return render(request, "participation/conseils.html", {
            "page_title": "Conseils citoyens", "nav": "instances", "data": data, "notice": outcome.notice,
            "form": values}, status_code=outcome.status_code)
    return RedirectResponse(f"/reunions/{quote(meeting['id'])}", status_code=303)
