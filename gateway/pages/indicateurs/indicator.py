"""The indicators: their list, and the page of one indicator with its series (chart and data table), its
organisation's values (entry, correction, drafts), the secretariat's validation and refinement of the definition.

Every form works as a plain post (redirected back to the page, or the page with its errors) and with htmx (the
`fiche` block of the page comes back, the outcome next to the form that was sent, focused).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gateway.clients import ServiceCalls, ServiceError, ServiceUnavailable
from gateway.deps import CallsDep, CurrentViewer, Viewer
from gateway.formatting import datetime_fr, period_fr, plain, with_unit
from gateway.labels import UNITS
from gateway.pages.indicateurs.chart import build_chart, build_table
from gateway.pages.indicateurs.forms import (
    DefinitionForm,
    ValueForm,
    definition_errors,
    reason_errors,
    value_errors,
)
from gateway.pages.indicateurs.period_choices import default_period, parts_of, period_choices
from gateway.pages.lookups import organisations
from gateway.rendering import is_htmx, render
from services.indicateurs.periods import sort_key

router = APIRouter()

CHANGED_FIELDS = {"creation": "création", "label": "libellé", "unit": "unité", "periodicity": "périodicité",
                  "target": "cible", "by_qpv": "déclinaison par QPV", "qpv": "quartiers", "active": "retrait ou retour",
                  "negative_allowed": "valeurs négatives", "responsible": "organisations responsables",
                  "engagement_title": "titre de l'engagement", "uncertain": "rattachement", "note": "note"}


async def _or_empty(coro: Any) -> Any:
    """A reference list the page can do without (a service down, or not allowed): empty rather than an error."""
    try:
        return await coro
    except (ServiceError, ServiceUnavailable):
        return []


async def _nothing() -> list[Any]:
    return []


async def indicator_qpv(calls: ServiceCalls) -> list[dict[str, Any]]:
    """The QPV the indicateurs service knows (with their national codes)."""
    return await _or_empty(calls.get("indicateurs", "/api/v1/qpv"))


# --- the list ------------------------------------------------------------------------------------------------

def latest_by_indicator(values: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """From export rows: per indicator, its latest period with approved values and those values."""
    found: dict[int, dict[str, Any]] = {}
    for v in values:
        current = found.get(v["indicator_id"])
        if current is None or sort_key(v["period"]) > sort_key(current["period"]):
            found[v["indicator_id"]] = {"period": v["period"], "values": [v]}
        elif v["period"] == current["period"]:
            current["values"].append(v)
    return found


@router.get("/indicateurs")
async def indicators_list(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """Every indicator of the contract by engagement, with its latest approved value; filters swap the results.

    The secretariat also sees how many values of each indicator wait for its validation (and may keep only those).
    """
    pending_call = (calls.get("indicateurs", "/api/v1/submissions", state="soumis") if viewer.is_secretariat
                    else _nothing())
    definitions, orgs, pending = await asyncio.gather(calls.get("indicateurs", "/api/v1/definitions"),
                                                      organisations(calls), _or_empty(pending_call))
    to_review: dict[int, int] = {}
    for s in pending:
        to_review[s["indicator_id"]] = to_review.get(s["indicator_id"], 0) + 1
    org_names = {o["id"]: o["name"] for o in orgs}
    engagements = sorted({(d["engagement_number"], d["engagement_title"]) for d in definitions})
    responsible = sorted({o for d in definitions for o in d["responsible"]}, key=lambda o: plain(org_names.get(o, o)))
    q = request.query_params
    filters = {
        "engagement": q.get("engagement") if q.get("engagement", "") in {str(n) for n, _ in engagements} else "",
        "organisation": q.get("organisation") if q.get("organisation") in responsible else "",
        "a_valider": "1" if q.get("a_valider") == "1" and viewer.is_secretariat else "",
    }
    shown = [d for d in definitions
             if (not filters["engagement"] or str(d["engagement_number"]) == filters["engagement"])
             and (not filters["organisation"] or filters["organisation"] in d["responsible"])
             and (not filters["a_valider"] or d["id"] in to_review)]
    export = await _or_empty(calls.get("indicateurs", "/api/v1/exports/values.json",
                                       engagement=filters["engagement"] or None))
    latest = latest_by_indicator(export["values"] if isinstance(export, dict) else [])
    groups: list[dict[str, Any]] = []
    for d in shown:
        if not groups or groups[-1]["number"] != d["engagement_number"]:
            groups.append({"number": d["engagement_number"], "title": d["engagement_title"], "indicators": []})
        groups[-1]["indicators"].append(d)
    context = {"page_title": "Indicateurs", "nav": "indicateurs", "sub": "liste", "groups": groups,
               "count": len(shown), "total": len(definitions), "latest": latest, "org_names": org_names,
               "engagements": engagements, "responsible": responsible, "filters": filters,
               "active": any(filters.values()), "to_review": to_review, "pending_total": len(pending)}
    return render(request, "indicateurs/indicateurs.html", context, block="results" if is_htmx(request) else None)


# --- one indicator -------------------------------------------------------------------------------------------

@dataclass
class PageState:
    """What the forms of the page show after an attempt: values typed, errors, and the outcome where it happened."""

    notice: dict[str, Any] | None = None  # {"place", "kind": success|error|conflict|refused, "text", …}
    value_forms: dict[str, tuple[ValueForm, dict[str, str]]] = field(default_factory=dict)  # by form key
    definition: tuple[DefinitionForm, dict[str, str]] | None = None
    reject: dict[int, tuple[str, dict[str, str]]] = field(default_factory=dict)  # submission id -> reason, errors


def slot_anchor(period: str, qpv_id: str | None) -> str:
    """The id of a value's card: « valeur-2024 », « valeur-2024-S1-malakoff »."""
    return f"valeur-{period}" + (f"-{qpv_id}" if qpv_id else "")


def _slots(submissions: list[dict[str, Any]], qpv_names: dict[str, str]) -> list[dict[str, Any]]:
    """The organisation's values, each with its versions (newest first), latest period first."""
    by_slot: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
    for s in submissions:
        by_slot.setdefault((s["period"], s.get("qpv_id")), []).append(s)
    slots = []
    for (period, qpv_id), versions in by_slot.items():
        versions.sort(key=lambda s: s["version"], reverse=True)
        slots.append({"period": period, "qpv_id": qpv_id, "qpv_name": qpv_names.get(qpv_id or "", qpv_id),
                      "anchor": slot_anchor(period, qpv_id), "latest": versions[0], "older": versions[1:]})
    slots.sort(key=lambda s: (tuple(-x for x in sort_key(s["period"])), s["qpv_name"] or ""))
    return slots


async def _page_context(request: Request, indicator_id: int, viewer: Viewer, calls: ServiceCalls,
                        state: PageState | None = None) -> dict[str, Any]:
    state = state or PageState()
    base = f"/api/v1/definitions/{indicator_id}"
    mine_call = (calls.get("indicateurs", "/api/v1/submissions", indicator=indicator_id, all_versions=True)
                 if viewer.is_referent else _nothing())  # a referent's own organisation's values, all versions
    pending_call = (calls.get("indicateurs", "/api/v1/submissions", indicator=indicator_id, state="soumis")
                    if viewer.is_secretariat else _nothing())
    d, series, orgs, qpv, campaigns, mine, pending = await asyncio.gather(
        calls.get("indicateurs", base), calls.get("indicateurs", f"{base}/series"), organisations(calls),
        indicator_qpv(calls), _or_empty(calls.get("indicateurs", "/api/v1/campaigns")), _or_empty(mine_call),
        _or_empty(pending_call))
    org_names = {o["id"]: o["name"] for o in orgs}
    qpv_names = {q["id"]: q["name"] for q in qpv}
    may_submit = viewer.is_referent and viewer.organisation_id in d["responsible"] and d["active"]
    open_periods = [c["period"] for c in campaigns if not c["locked"]]
    locked = {p for c in campaigns if c["locked"] for p in parts_of(c["period"], d["periodicity"])}
    choices = period_choices(d["periodicity"], extra=[p for c in open_periods
                                                      for p in parts_of(c, d["periodicity"])])
    wanted = request.query_params.get("periode", "")
    qpv_choices = [q for q in qpv if not d["qpv"] or q["id"] in d["qpv"]] if d["by_qpv"] else []
    new_form = ValueForm(period=wanted if wanted in choices else default_period(d["periodicity"], open_periods),
                         qpv=request.query_params.get("qpv", ""))
    slots = _slots(mine, qpv_names)
    # Values under way (draft, submitted, returned) show as cards with their correction form; approved ones as
    # rows of a table, unless one is being corrected (?corriger=…, or after an attempt on it).
    wanted_slot = request.query_params.get("corriger", "")
    notice_place = state.notice["place"] if state.notice else ""
    for slot in slots:
        slot["expanded"] = slot["latest"]["state"] != "approuve" or slot["anchor"] in (
            wanted_slot, notice_place, *state.value_forms)
        slot["correcting"] = slot["anchor"] == wanted_slot
    value_forms = {"nouvelle": (new_form, {})}
    for slot in slots:
        value_forms[slot["anchor"]] = (ValueForm.from_submission(slot["latest"]), {})
    value_forms.update(state.value_forms)
    table = build_table(series, org_names)
    definition_form = state.definition or (DefinitionForm.from_definition(d), {})
    notice = state.notice
    places = {"saisie"} if may_submit or slots else set()
    places |= {s["anchor"] for s in slots}
    if viewer.is_secretariat:
        places |= {"validation", "definition"} | {f"attente-{p['id']}" for p in pending}
    if notice is not None and notice["place"] not in places:
        notice = {**notice, "place": "haut"}  # its form is not on the page (any more): shown at the top
    return {
        "page_title": d["label"], "nav": "indicateurs", "sub": "fiche", "d": d, "series": series, "table": table,
        "chart": build_chart(series, table), "org_names": org_names, "qpv_names": qpv_names, "qpv_list": qpv,
        "qpv_choices": qpv_choices, "may_submit": may_submit, "slots": slots, "pending": pending,
        "period_choices": choices, "locked_periods": locked, "value_forms": value_forms, "notice": notice,
        "definition_form": definition_form, "reject": state.reject, "units": UNITS, "changed_fields": CHANGED_FIELDS,
        "organisations": sorted(orgs, key=lambda o: plain(o["name"])),
        "open_campaigns": [c for c in campaigns if not c["locked"]],
    }


async def _page(request: Request, indicator_id: int, viewer: Viewer, calls: ServiceCalls,
                state: PageState | None = None, status_code: int = 200) -> Response:
    context = await _page_context(request, indicator_id, viewer, calls, state)
    return render(request, "indicateurs/indicateur.html", context, block="fiche" if is_htmx(request) else None,
                  status_code=status_code)


def _describe(s: dict[str, Any]) -> str:
    """« 2024, Malakoff : 120 personnes »."""
    where = f", {s.get('qpv_name') or s['qpv_id']}" if s.get("qpv_id") else ""
    return f"{period_fr(s['period'])}{where} : {with_unit(s['value'], s['unit'])}"


def _success(code: str, s: dict[str, Any], org_names: dict[str, str] | None = None) -> dict[str, Any]:
    what = _describe(s)
    org = (org_names or {}).get(s["organisation_id"], s["organisation_id"])
    texts = {
        "soumis": f"Valeur enregistrée et soumise au secrétariat ({what}). État : Soumis.",
        "brouillon": f"Valeur enregistrée en brouillon ({what}) : elle n'est pas encore transmise au secrétariat.",
        "correction": f"Correction enregistrée : version {s['version']} ({what}), soumise au secrétariat. "
                      "Les versions précédentes restent consultables.",
        "correction-brouillon": f"Correction enregistrée en brouillon : version {s['version']} ({what}).",
        "transmis": f"Brouillon soumis au secrétariat ({what}). État : Soumis.",
        "approuve": f"Valeur approuvée ({what}, {org}) : elle figure désormais dans la série.",
        "renvoye": f"Valeur renvoyée à {org} pour reprise ({what}), avec votre motif.",
    }
    place = "validation" if code in ("approuve", "renvoye") else slot_anchor(s["period"], s.get("qpv_id"))
    return {"place": place, "kind": "success", "text": texts[code]}


def _redirect(indicator_id: int, code: str, s: dict[str, Any]) -> RedirectResponse:
    anchor = {"approuve": "validation", "renvoye": "validation"}.get(code, slot_anchor(s["period"], s.get("qpv_id")))
    query = urlencode({"fait": code, "valeur": s["id"]})
    return RedirectResponse(f"/indicateurs/{indicator_id}?{query}#{anchor}", status_code=303)


@router.get("/indicateurs/{indicator_id:int}")
async def indicator_page(request: Request, indicator_id: int, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The definition, its series as a chart and a table, and what the viewer may do with its values."""
    state = PageState()
    code, sid = request.query_params.get("fait", ""), request.query_params.get("valeur", "")
    if code == "definition":
        state.notice = {"place": "definition", "kind": "success", "text": "La définition est mise à jour."}
    elif code in ("soumis", "brouillon", "correction", "correction-brouillon", "transmis", "approuve", "renvoye") \
            and sid.isdigit():
        try:
            s = await calls.get("indicateurs", f"/api/v1/submissions/{sid}")
        except ServiceError:
            s = None
        if s is not None and s["indicator_id"] == indicator_id:
            orgs = await organisations(calls)
            state.notice = _success(code, s, {o["id"]: o["name"] for o in orgs})
    return await _page(request, indicator_id, viewer, calls, state)


def _refused(place: str, exc: ServiceError, fallback: str) -> dict[str, Any]:
    return {"place": place, "kind": "refused", "text": f"{exc.message or fallback} Rien n'a été enregistré."}


@router.post("/indicateurs/{indicator_id:int}/valeurs")
async def submit_value(request: Request, indicator_id: int, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """A new value or a correction (a new version), submitted or kept as a draft."""
    form = await request.form()
    tried = ValueForm.from_form(form)
    key = str(form.get("formulaire") or "nouvelle")
    place = "saisie" if key == "nouvelle" else key
    draft = form.get("action") == "brouillon"
    state = PageState()
    try:
        s = await calls.post("indicateurs", "/api/v1/submissions", tried.body(indicator_id, draft=draft))
    except ServiceError as exc:
        if exc.status_code not in (403, 409, 422):
            raise
        if exc.status_code == 422:
            state.value_forms[key] = (tried, value_errors(exc.body, tried))
            state.notice = {"place": place, "kind": "error",
                            "text": "La valeur n'a pas été enregistrée : corrigez les champs signalés."}
        elif exc.status_code == 403:
            state.notice = _refused(place, exc, "Saisie refusée.")
        elif exc.code == "period_locked":
            state.value_forms[key] = (tried, {})
            state.notice = {"place": place, "kind": "error", "text": f"{exc.message} Rien n'a été enregistré."}
        else:
            state.notice = _value_conflict(place, exc, tried)
        return await _page(request, indicator_id, viewer, calls, state, status_code=exc.status_code)
    corrected = s["version"] > 1
    code = ("correction" if corrected else "soumis") if not draft else (
        "correction-brouillon" if corrected else "brouillon")
    if not is_htmx(request):
        return _redirect(indicator_id, code, s)
    state.notice = _success(code, s)
    return await _page(request, indicator_id, viewer, calls, state, status_code=201)


def _value_conflict(place: str, exc: ServiceError, tried: ValueForm) -> dict[str, Any]:
    current = exc.body.get("current") if isinstance(exc.body, dict) else None
    if not current:
        return {"place": place, "kind": "conflict", "text": f"{exc.message} Rien n'a été enregistré."}
    who = f" par {current['submitted_by_name']}, le {datetime_fr(current['created_at'])}"
    if tried.version in ("", "0"):
        text = (f"Votre organisation a déjà une valeur pour {_describe(current)} (version {current['version']}, "
                f"saisie{who}). Votre saisie n'a pas été enregistrée : pour changer cette valeur, corrigez-la "
                "ci-dessous (une nouvelle version sera créée).")
        place = slot_anchor(current["period"], current.get("qpv_id"))
    else:
        text = (f"Cette valeur a été corrigée entre-temps (version {current['version']}, saisie{who}) : votre "
                "correction n'a pas été enregistrée. La version actuelle est affichée ; reprenez votre correction "
                "à partir d'elle.")
    return {"place": place, "kind": "conflict", "text": text, "current": current, "tried": tried}


async def _transition(request: Request, indicator_id: int, submission_id: int, viewer: Viewer,
                      calls: ServiceCalls, *, action: str, code: str, place: str,
                      body: dict[str, Any] | None = None, reason: str = "") -> Response:
    state = PageState()
    try:
        s = await calls.post("indicateurs", f"/api/v1/submissions/{submission_id}/{action}", body)
    except ServiceError as exc:
        if exc.status_code not in (403, 409, 422):
            raise
        if exc.status_code == 422:
            errors = reason_errors(exc.body)
            state.reject[submission_id] = (reason, errors)
            state.notice = {"place": f"attente-{submission_id}", "kind": "error",
                            "text": "La valeur n'a pas été renvoyée : indiquez le motif."}
        elif exc.status_code == 403:
            state.notice = _refused(place, exc, "Action refusée.")
        else:
            state.notice = {"place": place, "kind": "conflict",
                            "text": f"{exc.message or 'Cette valeur a changé entre-temps.'} Rien n'a été changé ; "
                                    "la page montre maintenant l'état actuel."}
        return await _page(request, indicator_id, viewer, calls, state, status_code=exc.status_code)
    if not is_htmx(request):
        return _redirect(s["indicator_id"], code, s)
    orgs = await organisations(calls)
    state.notice = _success(code, s, {o["id"]: o["name"] for o in orgs})
    return await _page(request, indicator_id, viewer, calls, state)


@router.post("/indicateurs/{indicator_id:int}/valeurs/{submission_id:int}/soumettre")
async def submit_draft(request: Request, indicator_id: int, submission_id: int, viewer: CurrentViewer,
                       calls: CallsDep) -> Response:
    """A referent sends its organisation's draft to the secretariat."""
    form = await request.form()
    place = str(form.get("formulaire") or "saisie")
    return await _transition(request, indicator_id, submission_id, viewer, calls, action="submit", code="transmis",
                             place=place)


@router.post("/indicateurs/{indicator_id:int}/valeurs/{submission_id:int}/approuver")
async def approve(request: Request, indicator_id: int, submission_id: int, viewer: CurrentViewer,
                  calls: CallsDep) -> Response:
    """The secretariat approves a submitted value: it joins the series and the exports."""
    return await _transition(request, indicator_id, submission_id, viewer, calls, action="approve", code="approuve",
                             place="validation")


@router.post("/indicateurs/{indicator_id:int}/valeurs/{submission_id:int}/renvoyer")
async def return_for_revision(request: Request, indicator_id: int, submission_id: int, viewer: CurrentViewer,
                              calls: CallsDep) -> Response:
    """The secretariat returns a submitted value to its organisation, with a reason it will see."""
    form = await request.form()
    reason = form.get("reason")
    reason = reason.strip() if isinstance(reason, str) else ""
    return await _transition(request, indicator_id, submission_id, viewer, calls, action="reject", code="renvoye",
                             place="validation", body={"reason": reason}, reason=reason)


@router.post("/indicateurs/{indicator_id:int}/definition")
async def refine_definition(request: Request, indicator_id: int, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The secretariat refines the definition from the version it read (a newer one wins: conflict shown)."""
    tried = DefinitionForm.from_form(await request.form())
    state = PageState()
    try:
        d = await calls.patch("indicateurs", f"/api/v1/definitions/{indicator_id}", tried.body())
    except ServiceError as exc:
        if exc.status_code not in (403, 409, 422):
            raise
        if exc.status_code == 422:
            state.definition = (tried, definition_errors(exc.body))
            state.notice = {"place": "definition", "kind": "error",
                            "text": "La définition n'a pas été modifiée : corrigez les champs signalés."}
        elif exc.status_code == 403:
            state.notice = _refused("definition", exc, "Modification refusée.")
        else:
            current = exc.body.get("current") if isinstance(exc.body, dict) else None
            if current:
                who = f" ({current['updated_by_name']}, le {datetime_fr(current['updated_at'])})" \
                    if current.get("updated_by_name") else ""
                state.notice = {"place": "definition", "kind": "conflict", "current": current, "tried": tried,
                                "text": f"Quelqu'un a modifié cette définition entre-temps{who} : votre modification "
                                        "n'a pas été enregistrée. Le formulaire montre maintenant la version "
                                        "actuelle ; reprenez votre modification à partir d'elle."}
            else:
                state.definition = (tried, {})
                state.notice = {"place": "definition", "kind": "conflict",
                                "text": f"{exc.message} Rien n'a été modifié."}
        return await _page(request, indicator_id, viewer, calls, state, status_code=exc.status_code)
    if not is_htmx(request):
        return RedirectResponse(f"/indicateurs/{indicator_id}?fait=definition#definition", status_code=303)
    state.notice = {"place": "definition", "kind": "success",
                    "text": f"La définition est mise à jour (version {d['version']})."}
    return await _page(request, indicator_id, viewer, calls, state)

