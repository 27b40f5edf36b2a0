"""The secretariat's and the funders' pages of the appel à projets: open or change a year's call (secretariat), see
every project (pending and refused ones included), record a project, a funder's decision and payments, import a
funder's yearly list (preview, then confirm). Participation decides who may do what (secretariat, or the referents
of the funder concerned); a refusal is shown beside its form."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from gateway.clients import ServiceCalls, ServiceError
from gateway.deps import AccessDenied, CallsDep, CurrentViewer, Viewer
from gateway.formatting import of_org
from gateway.forms import Notice, iso_date, text, texts
from gateway.pages.lookups import organisations
from gateway.pages.participation.common import NotNumbers, names, numbers, refused
from gateway.rendering import render
from kernel.ids import Id

router = APIRouter()
FUNDER_KINDS = ("etat", "collectivite", "organisme-public")
DONE = {"appel": "Appel à projets enregistré.", "projet": "Projet enregistré.", "decision": "Décision enregistrée.",
        "versement": "Versement enregistré.", "import": "Liste importée : les projets, décisions et versements sont "
                                                        "enregistrés."}


def _euros(typed: str) -> int | str:
    cleaned = typed.replace(" ", "").replace("\u202f", "").replace("\u00a0", "").replace("€", "")
    return int(cleaned) if cleaned.isdigit() else typed


async def _calls_page(request: Request, viewer: Viewer, calls: ServiceCalls, notice: Notice | None = None,
                      status_code: int = 200, typed: Any = None) -> Response:
    found, orgs = await asyncio.gather(calls.get("participation", "/api/v1/aap/calls"), organisations(calls))
    return render(request, "aap/gestion.html", {
        "page_title": "Appel à projets : gestion", "nav": "aap", "calls": found, "notice": notice,
        "funders": [o for o in orgs if o.get("kind") in FUNDER_KINDS],
        "typed": {k: v for k, v in typed.items() if isinstance(v, str)} if typed else {}}, status_code=status_code)


@router.get("/aap")
async def calls_page(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    return await _calls_page(request, viewer, calls)


@router.post("/aap/appels")
async def define_call(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The secretariat opens a year's call, or changes it (with the version read)."""
    form = await request.form()
    year = text(form, "year")
    envelopes = [{"funder_id": f, "amount": _euros(text(form, f"envelope-{f}"))} for f in texts(form, "funders")
                 if text(form, f"envelope-{f}")]
    try:
        priorities = [{"text": t, "engagements": numbers(text(form, f"priority-engagements-{i}"),
                                                         "Engagements visés")}
                      for i, t in enumerate(form.getlist("priority")) if isinstance(t, str) and t.strip()]
    except NotNumbers as exc:
        return await _calls_page(request, viewer, calls, Notice("error", str(exc)), 422, typed=form)
    body = {"title": text(form, "title"), "opens_on": iso_date(text(form, "opens_on")),
            "closes_on": iso_date(text(form, "closes_on")), "decisions_by": iso_date(text(form, "decisions_by")),
            "envelopes": envelopes, "priorities": priorities,
            "version": int(text(form, "version")) if text(form, "version").isdigit() else None}
    if not year.isdigit():
        return await _calls_page(request, viewer, calls, Notice("error", "Année : indiquez une année (ex. 2026). "
                                                                "Rien n'a été enregistré."), 422, typed=form)
    unreadable = [e["funder_id"] for e in envelopes if not isinstance(e["amount"], int)]
    if unreadable:  # named by its funder, as the form shows it, not by its place in the request
        funder = names(await organisations(calls)).get(unreadable[0], unreadable[0])
        return await _calls_page(request, viewer, calls, Notice(
            "error", f"Enveloppe {of_org(funder)} : indiquez un montant en euros, sans décimales (ex. 150 000). "
                     "Rien n'a été enregistré."), 422, typed=form)
    try:
        await calls.put("participation", f"/api/v1/aap/calls/{year}", body)
    except ServiceError as exc:
        r = refused(exc, "")
        return await _calls_page(request, viewer, calls, r.notice, r.status_code, typed=form)
    return RedirectResponse(f"/aap/{year}?fait=appel", status_code=303)


async def _call_page(request: Request, viewer: Viewer, calls: ServiceCalls, year: int, *,
                     notice: Notice | None = None, status_code: int = 200, preview: Any = None) -> Response:
    try:
        call, projects, qpv, themes = await asyncio.gather(
            calls.get("participation", f"/api/v1/aap/calls/{year}"),
            calls.get("participation", f"/api/v1/aap/calls/{year}/projects", **{
                k: request.query_params.get(k) or None for k in ("status", "qpv", "theme")}),
            calls.get("participation", "/api/v1/qpv"), calls.get("participation", "/api/v1/aap/themes"))
    except ServiceError as exc:
        if exc.status_code == 403:
            raise AccessDenied(exc.message or "Réservé au secrétariat et aux financeurs de l'appel.") from exc
        raise
    done = request.query_params.get("fait")
    if notice is None and done in DONE:
        notice = Notice("success", DONE[done])
    mine = [e for e in call["envelopes"] if viewer.is_secretariat or e["funder_id"] == viewer.organisation_id]
    return render(request, "aap/appel.html", {
        "page_title": f"Appel à projets {year} : projets", "nav": "aap", "call": call, "projects": projects,
        "qpv": qpv, "themes": themes, "qpv_names": {q["id"]: q["name"] for q in qpv}, "my_funders": mine,
        "filters": request.query_params, "notice": notice, "preview": preview}, status_code=status_code)


@router.get("/aap/{year:int}")
async def call_page(request: Request, year: Id, viewer: CurrentViewer, calls: CallsDep) -> Response:
    return await _call_page(request, viewer, calls, year)


def _project_body(form: Any) -> dict[str, Any]:
    return {"association_name": text(form, "association_name"), "association_id": text(form, "association_id"),
            "title": text(form, "title"), "summary": text(form, "summary") or None, "qpv": texts(form, "qpv"),
            "themes": texts(form, "themes"), "engagements": numbers(text(form, "engagements"), "Engagements servis"),
            "amount_asked": _euros(text(form, "amount_asked") or "0"), "cpo": text(form, "cpo") or "non",
            "version": int(text(form, "version")) if text(form, "version").isdigit() else None}


@router.post("/aap/{year:int}/projets")
async def add_project(request: Request, year: Id, viewer: CurrentViewer, calls: CallsDep) -> Response:
    form = await request.form()
    try:
        p = await calls.post("participation", f"/api/v1/aap/calls/{year}/projects", _project_body(form))
    except NotNumbers as exc:
        return await _call_page(request, viewer, calls, year, notice=Notice("error", str(exc), "projet"),
                                status_code=422)
    except ServiceError as exc:
        r = refused(exc, "projet")
        return await _call_page(request, viewer, calls, year, notice=r.notice, status_code=r.status_code)
    return RedirectResponse(f"/aap/projets/{p['id']}?fait=projet", status_code=303)


@router.post("/aap/{year:int}/import")
async def preview_import(request: Request, year: Id, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """Sends a funder's list to be checked and kept: what it would do, or every bad line."""
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.size:
        return await _call_page(request, viewer, calls, year, status_code=422, notice=Notice(
            "error", "Choisissez un fichier (CSV ou .xlsx) : aucun fichier n'a été reçu.", "import"))
    upload.file.seek(0)
    try:
        preview = await calls.post_file("participation", f"/api/v1/aap/calls/{year}/imports/previews",
                                        filename=upload.filename or "", file=upload.file,
                                        content_type=upload.content_type or "text/csv",
                                        funder_id=text(form, "funder_id"))
    except ServiceError as exc:
        return await _import_refused(request, viewer, calls, year, exc)
    return await _call_page(request, viewer, calls, year, preview=preview)


@router.post("/aap/{year:int}/import/{preview_id}/confirmer")
async def confirm_import(request: Request, year: Id, preview_id: str, viewer: CurrentViewer,
                         calls: CallsDep) -> Response:
    try:
        await calls.post("participation", f"/api/v1/aap/imports/previews/{quote(preview_id)}/confirm")
    except ServiceError as exc:
        return await _import_refused(request, viewer, calls, year, exc)
    return RedirectResponse(f"/aap/{year}?fait=import", status_code=303)


async def _import_refused(request: Request, viewer: Viewer, calls: ServiceCalls, year: int,
                          exc: ServiceError) -> Response:
    errors = exc.body.get("errors") if isinstance(exc.body, dict) else None
    if exc.status_code == 422 and errors:
        lines = " ; ".join(f"ligne {e['line']} : {e['reason']}" for e in errors[:50])
        notice = Notice("error", f"{exc.message} {lines}", "import")
    elif exc.status_code == 404:
        notice = Notice("error", exc.message or "Cet aperçu n'existe plus : envoyez le fichier de nouveau.", "import")
    else:
        notice = refused(exc, "import").notice
    return await _call_page(request, viewer, calls, year, notice=notice, status_code=exc.status_code)


async def _project_page(request: Request, viewer: Viewer, calls: ServiceCalls, project_id: str, *,
                        notice: Notice | None = None, status_code: int = 200) -> Response:
    p = await calls.get("participation", f"/api/v1/aap/projects/{quote(project_id)}")
    if not p.get("may_manage"):
        if notice is not None:  # a refused change by someone who may not manage the project: refused, not sent away
            raise AccessDenied(notice.text or "Réservé au secrétariat et aux financeurs de l'appel.")
        return RedirectResponse(f"/projets-finances/projet/{quote(project_id)}", status_code=303)
    call, qpv, themes, orgs = await asyncio.gather(
        calls.get("participation", f"/api/v1/aap/calls/{p['call_year']}"), calls.get("participation", "/api/v1/qpv"),
        calls.get("participation", "/api/v1/aap/themes"), organisations(calls))
    done = request.query_params.get("fait")
    if notice is None and done in DONE:
        notice = Notice("success", DONE[done])
    mine = [e for e in call["envelopes"] if viewer.is_secretariat or e["funder_id"] == viewer.organisation_id]
    return render(request, "aap/gestion_projet.html", {
        "page_title": p["title"], "nav": "aap", "p": p, "call": call, "qpv": qpv, "themes": themes,
        "org_names": names(orgs), "my_funders": mine, "notice": notice}, status_code=status_code)


@router.get("/aap/projets/{project_id}")
async def project_page(request: Request, project_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    return await _project_page(request, viewer, calls, project_id)


@router.post("/aap/projets/{project_id}")
async def update_project(request: Request, project_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    form = await request.form()
    try:
        body = _project_body(form)
    except NotNumbers as exc:
        return await _project_page(request, viewer, calls, project_id, status_code=422,
                                   notice=Notice("error", str(exc), "projet"))
    return await _act(request, viewer, calls, project_id, "projet", calls.put(
        "participation", f"/api/v1/aap/projects/{quote(project_id)}", body))


@router.post("/aap/projets/{project_id}/decision")
async def decide(request: Request, project_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    form = await request.form()
    funder = text(form, "funder_id")
    body = {"decision": text(form, "decision"), "amount_granted": _euros(text(form, "amount_granted") or "0"),
            "decided_on": iso_date(text(form, "decided_on")),
            "version": int(text(form, "version")) if text(form, "version").isdigit() else None}
    return await _act(request, viewer, calls, project_id, "decision", calls.put(
        "participation", f"/api/v1/aap/projects/{quote(project_id)}/fundings/{quote(funder)}", body))


@router.post("/aap/projets/{project_id}/versement")
async def pay(request: Request, project_id: str, viewer: CurrentViewer, calls: CallsDep) -> Response:
    form = await request.form()
    funder = text(form, "funder_id")
    body = {"paid_on": iso_date(text(form, "paid_on")), "amount": _euros(text(form, "amount"))}
    return await _act(request, viewer, calls, project_id, "versement", calls.post(
        "participation", f"/api/v1/aap/projects/{quote(project_id)}/fundings/{quote(funder)}/payments", body))


async def _act(request: Request, viewer: Viewer, calls: ServiceCalls, project_id: str, place: str,
               call: Any) -> Response:
    try:
        await call
    except ServiceError as exc:
        r = refused(exc, place)
        return await _project_page(request, viewer, calls, project_id, notice=r.notice, status_code=r.status_code)
    return RedirectResponse(f"/aap/projets/{quote(project_id)}?fait={place}#{place}", status_code=303)
