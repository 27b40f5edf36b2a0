"""The page of one indicator: its definition, its series as a chart and a data table, its organisation's values
(entry, drafts, corrections, all versions), the values waiting for the secretariat, and the definition's history.

Its forms (`submissions`, `definition`) work as a plain post (redirected back here, or this page with its errors)
and with htmx (the `fiche` block comes back, the outcome next to the form that was sent, focused).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gateway.clients import ServiceCalls, ServiceError
from gateway.deps import CallsDep, CurrentViewer, Viewer
from gateway.formatting import period_fr, to_org, with_unit
from gateway.forms import Notice
from gateway.labels import UNITS
from gateway.pages.indicateurs.chart import build_chart, build_table
from gateway.pages.indicateurs.forms import DefinitionForm, ValueForm
from gateway.pages.indicateurs.period_choices import default_period, parts_of, period_choices
from gateway.pages.lookups import indicator_qpv, nothing, optional, organisations
from gateway.rendering import is_htmx, render
from kernel.french import folded
from kernel.ids import Id
from services.indicateurs.labels import COMPUTED_BY, COMPUTED_BY_NAME
from services.indicateurs.periods import sort_key

router = APIRouter()

CHANGED_FIELDS = {"creation": "création", "label": "libellé", "unit": "unité", "periodicity": "périodicité",
                  "target": "cible", "by_qpv": "déclinaison par QPV", "qpv": "quartiers", "active": "retrait ou retour",
                  "negative_allowed": "valeurs négatives", "responsible": "organisations responsables",
                  "engagement_title": "titre de l'engagement", "uncertain": "rattachement", "note": "note",
                  "computed": "calculé par la plateforme"}


@dataclass
class PageState:
    """What the forms of the page show after an attempt: values typed, errors, and the outcome where it happened."""

    notice: Notice | None = None
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


async def page_context(request: Request, indicator_id: int, viewer: Viewer, calls: ServiceCalls,
                        state: PageState | None = None) -> dict[str, Any]:
    state = state or PageState()
    base = f"/api/v1/definitions/{indicator_id}"
    mine_call = (calls.get("indicateurs", "/api/v1/submissions", indicator=indicator_id, all_versions=True)
                 if viewer.is_referent else nothing())  # a referent's own organisation's values, all versions
    pending_call = (calls.get("indicateurs", "/api/v1/submissions", indicator=indicator_id, state="soumis")
                    if viewer.is_secretariat else nothing())
    d, series, orgs, qpv, campaigns, mine, pending = await asyncio.gather(
        calls.get("indicateurs", base), calls.get("indicateurs", f"{base}/series"), organisations(calls),
        indicator_qpv(calls), optional(calls.get("indicateurs", "/api/v1/campaigns"), []), optional(mine_call, []),
        optional(pending_call, []))
    org_names = {o["id"]: o["name"] for o in orgs} | {COMPUTED_BY: COMPUTED_BY_NAME}
    qpv_names = {q["id"]: q["name"] for q in qpv}
    # Nobody types a value the platform computes (the service refuses it too).
    may_submit = (viewer.is_referent and viewer.organisation_id in d["responsible"] and d["active"]
                  and not d.get("computed"))
    open_periods = [c["period"] for c in campaigns if not c["locked"]]
    locked = {p for c in campaigns if c["locked"] for p in parts_of(c["period"], d["periodicity"])}
    choices = period_choices(d["periodicity"], extra=[p for c in open_periods
                                                      for p in parts_of(c, d["periodicity"])])
    wanted = request.query_params.get("periode", "")
    qpv_choices = [q for q in qpv if not d["qpv"] or q["id"] in d["qpv"]] if d["by_qpv"] else []
    new_form = ValueForm(period=wanted if wanted in choices else default_period(d["periodicity"], open_periods,
                                                                                locked=locked),
                         qpv=request.query_params.get("qpv", ""))
    slots = _slots(mine, qpv_names)
    # Values under way (draft, submitted, returned) show as cards with their correction form; approved ones as
    # rows of a table, unless one is being corrected (?corriger=…, or after an attempt on it).
    wanted_slot = request.query_params.get("corriger", "")
    notice_place = state.notice.place if state.notice else ""
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
    if notice is not None and notice.place not in places:
        notice = notice.at("haut")  # its form is not on the page (any more): shown at the top
    return {
        "page_title": d["label"], "nav": "indicateurs", "sub": "fiche", "d": d, "series": series, "table": table,
        "chart": build_chart(series, table), "org_names": org_names, "qpv_names": qpv_names, "qpv_list": qpv,
        "qpv_choices": qpv_choices, "may_submit": may_submit, "slots": slots, "pending": pending,
        "period_choices": choices, "locked_periods": locked, "value_forms": value_forms, "notice": notice,
        "definition_form": definition_form, "reject": state.reject, "units": UNITS, "changed_fields": CHANGED_FIELDS,
        "organisations": sorted(orgs, key=lambda o: folded(o["name"])),
        "open_campaigns": [c for c in campaigns if not c["locked"]],
    }


async def indicator_response(request: Request, indicator_id: int, viewer: Viewer, calls: ServiceCalls,
                state: PageState | None = None, status_code: int = 200) -> Response:
    context = await page_context(request, indicator_id, viewer, calls, state)
    return render(request, "indicateurs/indicateur.html", context, block="fiche" if is_htmx(request) else None,
                  status_code=status_code)


def describe(s: dict[str, Any]) -> str:
    """« 2024, Malakoff : 120 personnes »."""
    where = f", {s.get('qpv_name') or s['qpv_id']}" if s.get("qpv_id") else ""
    return f"{period_fr(s['period'])}{where} : {with_unit(s['value'], s['unit'])}"


def success(code: str, s: dict[str, Any], org_names: dict[str, str] | None = None) -> Notice:
    what = describe(s)
    org = (org_names or {}).get(s["organisation_id"], s["organisation_id"])
    texts = {
        "soumis": f"Valeur enregistrée et soumise au secrétariat ({what}). État : Soumis.",
        "brouillon": f"Valeur enregistrée en brouillon ({what}) : elle n'est pas encore transmise au secrétariat.",
        "correction": f"Correction enregistrée : version {s['version']} ({what}), soumise au secrétariat. "
                      "Les versions précédentes restent consultables.",
        "correction-brouillon": f"Correction enregistrée en brouillon : version {s['version']} ({what}).",
        "transmis": f"Brouillon soumis au secrétariat ({what}). État : Soumis.",
        "approuve": f"Valeur approuvée ({what}, {org}) : elle figure désormais dans la série.",
        "renvoye": f"Valeur renvoyée {to_org(org)} pour reprise ({what}), avec votre motif.",
    }
    place = "validation" if code in ("approuve", "renvoye") else slot_anchor(s["period"], s.get("qpv_id"))
    return Notice("success", texts[code], place)


def redirect(indicator_id: int, code: str, s: dict[str, Any]) -> RedirectResponse:
    anchor = {"approuve": "validation", "renvoye": "validation"}.get(code, slot_anchor(s["period"], s.get("qpv_id")))
    query = urlencode({"fait": code, "valeur": s["id"]})
    return RedirectResponse(f"/indicateurs/{indicator_id}?{query}#{anchor}", status_code=303)


@router.get("/indicateurs/{indicator_id:int}")
async def indicator_page(request: Request, indicator_id: Id, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The definition, its series as a chart and a table, and what the viewer may do with its values."""
    state = PageState()
    code, sid = request.query_params.get("fait", ""), request.query_params.get("valeur", "")
    if code == "definition":
        state.notice = Notice("success", "La définition est mise à jour.", "definition")
    elif code in ("soumis", "brouillon", "correction", "correction-brouillon", "transmis", "approuve", "renvoye") \
            and sid.isdigit():
        try:
            s = await calls.get("indicateurs", f"/api/v1/submissions/{sid}")
        except ServiceError:
            s = None
        if s is not None and s["indicator_id"] == indicator_id:
            orgs = await organisations(calls)
            state.notice = success(code, s, {o["id"]: o["name"] for o in orgs})
    return await indicator_response(request, indicator_id, viewer, calls, state)
