"""What is done with an indicator's values, from its page: a referent enters a value or a correction (a new
version), as a draft or submitted, and submits a draft; the secretariat approves a value or returns it with a
reason. The outcome shows next to the form that was sent (see `indicator`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.clients import ServiceCalls, ServiceError
from gateway.deps import CallsDep, CurrentViewer, Viewer
from gateway.forms import refusal
from gateway.pages.indicateurs.forms import REASON_FIELDS, ValueForm, value_fields
from gateway.pages.indicateurs.indicator import PageState, describe, indicator_response, redirect, slot_anchor, success
from gateway.pages.lookups import organisations
from gateway.rendering import is_htmx
from kernel.french import datetime_fr
from kernel.ids import Id

router = APIRouter()


def value_changed(current: dict[str, Any], tried: ValueForm) -> str:
    """The conflict of a value: it exists already (a first value sent twice), or it was corrected meanwhile."""
    who = f" par {current['submitted_by_name']}, le {datetime_fr(current['created_at'])}"
    if tried.version in ("", "0"):
        return (f"Votre organisation a déjà une valeur pour {describe(current)} (version {current['version']}, "
                f"saisie{who}). Votre saisie n'a pas été enregistrée : pour changer cette valeur, corrigez-la "
                "ci-dessous (une nouvelle version sera créée).")
    return (f"Cette valeur a été corrigée entre-temps (version {current['version']}, saisie{who}) : votre "
            "correction n'a pas été enregistrée. La version actuelle est affichée ; reprenez votre correction "
            "à partir d'elle.")


@router.post("/indicateurs/{indicator_id:int}/valeurs")
async def submit_value(request: Request, indicator_id: Id, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """A new value or a correction (a new version), submitted or kept as a draft."""
    form = await request.form()
    tried = ValueForm.from_form(form)
    key = str(form.get("formulaire") or "nouvelle")
    draft = form.get("action") == "brouillon"
    state = PageState()
    try:
        s = await calls.post("indicateurs", "/api/v1/submissions", tried.body(indicator_id, draft=draft))
    except ServiceError as exc:
        outcome = refusal(exc, place="saisie" if key == "nouvelle" else key, fields=value_fields(tried),
                          invalid="La valeur n'a pas été enregistrée : corrigez les champs signalés.",
                          fallback="Saisie refusée.", tried=tried,
                          changed=lambda current: value_changed(current, tried))
        notice = outcome.notice
        if exc.code == "period_locked":  # nothing changed meanwhile: the period is closed; what was typed stays
            notice = replace(notice, kind="error")
        if outcome.errors or exc.code == "period_locked":
            state.value_forms[key] = (tried, outcome.errors)
        elif notice.current:
            # What was typed stays in the value's form, now on the version stored (shown beside it in the notice):
            # sending it again is then a correction made knowing the other one.
            anchor = slot_anchor(notice.current["period"], notice.current.get("qpv_id"))
            state.value_forms[anchor] = (replace(tried, version=str(notice.current["version"])), {})
            if tried.version in ("", "0"):  # the value exists: said on its own card
                notice = notice.at(anchor)
        state.notice = notice
        return await indicator_response(request, indicator_id, viewer, calls, state, status_code=outcome.status_code)
    corrected = s["version"] > 1
    code = ("correction" if corrected else "soumis") if not draft else (
        "correction-brouillon" if corrected else "brouillon")
    if not is_htmx(request):
        return redirect(indicator_id, code, s)
    state.notice = success(code, s)
    return await indicator_response(request, indicator_id, viewer, calls, state, status_code=201)


async def _transition(request: Request, indicator_id: int, submission_id: int, viewer: Viewer,
                      calls: ServiceCalls, *, action: str, code: str, place: str,
                      body: dict[str, Any] | None = None, reason: str = "") -> Response:
    state = PageState()
    try:
        s = await calls.post("indicateurs", f"/api/v1/submissions/{submission_id}/{action}", body)
    except ServiceError as exc:
        outcome = refusal(exc, place=place, fields=REASON_FIELDS,
                          invalid="La valeur n'a pas été renvoyée : indiquez le motif.",
                          conflict=f"{exc.message or 'Cette valeur a changé entre-temps.'} Rien n'a été changé ; "
                                   "la page montre maintenant l'état actuel.")
        state.notice = outcome.notice
        if outcome.errors:  # the reason: said next to the return form of that value
            state.reject[submission_id] = (reason, outcome.errors)
            state.notice = outcome.notice.at(f"attente-{submission_id}")
        return await indicator_response(request, indicator_id, viewer, calls, state, status_code=outcome.status_code)
    if not is_htmx(request):
        return redirect(s["indicator_id"], code, s)
    orgs = await organisations(calls)
    state.notice = success(code, s, {o["id"]: o["name"] for o in orgs})
    return await indicator_response(request, indicator_id, viewer, calls, state)


@router.post("/indicateurs/{indicator_id:int}/valeurs/{submission_id:int}/soumettre")
async def submit_draft(request: Request, indicator_id: Id, submission_id: Id, viewer: CurrentViewer,
                       calls: CallsDep) -> Response:
    """A referent sends its organisation's draft to the secretariat."""
    form = await request.form()
    place = str(form.get("formulaire") or "saisie")
    return await _transition(request, indicator_id, submission_id, viewer, calls, action="submit", code="transmis",
                             place=place)


@router.post("/indicateurs/{indicator_id:int}/valeurs/{submission_id:int}/approuver")
async def approve(request: Request, indicator_id: Id, submission_id: Id, viewer: CurrentViewer,
                  calls: CallsDep) -> Response:
    """The secretariat approves a submitted value: it joins the series and the exports."""
    return await _transition(request, indicator_id, submission_id, viewer, calls, action="approve", code="approuve",
                             place="validation")


@router.post("/indicateurs/{indicator_id:int}/valeurs/{submission_id:int}/renvoyer")
async def return_for_revision(request: Request, indicator_id: Id, submission_id: Id, viewer: CurrentViewer,
                              calls: CallsDep) -> Response:
    """The secretariat returns a submitted value to its organisation, with a reason it will see."""
    form = await request.form()
    reason = form.get("reason")
    reason = reason.strip() if isinstance(reason, str) else ""
    return await _transition(request, indicator_id, submission_id, viewer, calls, action="reject", code="renvoye",
                             place="validation", body={"reason": reason}, reason=reason)
