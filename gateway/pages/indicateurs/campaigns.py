"""Reporting campaigns (opened, closed and reopened by the secretariat, readable by all) and what is owed:
a referent's to-do list and completeness, the secretariat's completeness across organisations."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gateway.clients import ServiceCalls, ServiceError, ServiceUnavailable
from gateway.deps import CallsDep, CurrentViewer, Viewer
from gateway.formatting import day_fr, plain
from gateway.pages.indicateurs.forms import CampaignForm, ReopenForm, campaign_errors
from gateway.pages.indicateurs.period_choices import periodicity_of, today
from gateway.pages.lookups import organisations
from gateway.rendering import is_htmx, render
from services.indicateurs.periods import sort_key

router = APIRouter()


# --- campaigns -----------------------------------------------------------------------------------------------

@dataclass
class CampaignsState:
    notice: dict[str, Any] | None = None  # {"place": "ouvrir" | "campagne-<id>", "kind", "text"}
    open_form: CampaignForm | None = None
    open_errors: dict[str, str] = field(default_factory=dict)
    reopen: dict[int, tuple[ReopenForm, dict[str, str]]] = field(default_factory=dict)


def suggested_campaign() -> CampaignForm:
    """What the opening form proposes: the report of last year, closing at the end of next March."""
    now = today()
    closes = f"{now.year + 1 if now.month > 3 else now.year}-03-31"
    return CampaignForm(title=f"Bilan {now.year - 1}", period=str(now.year - 1), closes_on=closes)


async def _campaigns_page(request: Request, viewer: Viewer, calls: ServiceCalls,
                          state: CampaignsState | None = None, status_code: int = 200) -> Response:
    state = state or CampaignsState()
    summaries = await calls.get("indicateurs", "/api/v1/campaigns")
    detailed = await asyncio.gather(*(calls.get("indicateurs", f"/api/v1/campaigns/{c['id']}") for c in summaries))
    existing = {c["period"] for c in detailed}
    suggestion = suggested_campaign()
    if suggestion.period in existing:
        suggestion = CampaignForm(closes_on=suggestion.closes_on)
    notice = state.notice
    places = {f"campagne-{c['id']}" for c in detailed} | ({"ouvrir"} if viewer.is_secretariat else set())
    if notice is not None and notice["place"] not in places:
        notice = {**notice, "place": "haut"}  # its form is not on the page: shown at the top
    context = {"page_title": "Campagnes de collecte", "nav": "indicateurs", "sub": "campagnes",
               "campaigns": detailed, "notice": notice, "open_form": state.open_form or suggestion,
               "open_errors": state.open_errors, "reopen": state.reopen, "today": today().date().isoformat()}
    return render(request, "indicateurs/campagnes.html", context, block="campagnes" if is_htmx(request) else None,
                  status_code=status_code)


@router.get("/indicateurs/campagnes")
async def campaigns_page(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """Every campaign with its openings, closings and reopenings; the secretariat's forms."""
    state = CampaignsState()
    done, cid = request.query_params.get("fait", ""), request.query_params.get("campagne", "")
    texts = {"ouverte": "La campagne est ouverte : les référents voient désormais les valeurs attendues.",
             "close": "La campagne est close : sa période n'accepte plus de valeurs.",
             "rouverte": "La campagne est rouverte : sa période accepte de nouveau des valeurs."}
    if done in texts and cid.isdigit():
        state.notice = {"place": f"campagne-{cid}", "kind": "success", "text": texts[done]}
    return await _campaigns_page(request, viewer, calls, state)


async def _done(request: Request, viewer: Viewer, calls: ServiceCalls, campaign: dict[str, Any],
                code: str, text: str) -> Response:
    if not is_htmx(request):
        query = urlencode({"fait": code, "campagne": campaign["id"]})
        return RedirectResponse(f"/indicateurs/campagnes?{query}#campagne-{campaign['id']}", status_code=303)
    state = CampaignsState(notice={"place": f"campagne-{campaign['id']}", "kind": "success", "text": text})
    return await _campaigns_page(request, viewer, calls, state)


def _refusal(exc: ServiceError, place: str) -> dict[str, Any]:
    kind = "refused" if exc.status_code == 403 else ("conflict" if exc.status_code == 409 else "error")
    tail = " Rien n'a été changé." if exc.status_code != 422 else ""
    return {"place": place, "kind": kind, "text": f"{exc.message or 'Action refusée.'}{tail}"}


@router.post("/indicateurs/campagnes")
async def open_campaign(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The secretariat opens a collection window for a period, until a closing date."""
    tried = CampaignForm.from_form(await request.form())
    try:
        campaign = await calls.post("indicateurs", "/api/v1/campaigns", tried.body())
    except ServiceError as exc:
        if exc.status_code not in (403, 409, 422):
            raise
        state = CampaignsState(open_form=tried, notice=_refusal(exc, "ouvrir"))
        if exc.status_code == 422:
            state.open_errors = campaign_errors(exc.body)
            state.notice = {"place": "ouvrir", "kind": "error",
                            "text": "La campagne n'a pas été ouverte : corrigez les champs signalés."}
        return await _campaigns_page(request, viewer, calls, state, status_code=exc.status_code)
    return await _done(request, viewer, calls, campaign, "ouverte",
                     f"La campagne « {campaign['title']} » est ouverte jusqu'au {day_fr(campaign['closes_on'])} : les "
                     "référents voient désormais les valeurs attendues.")


@router.post("/indicateurs/campagnes/{campaign_id:int}/clore")
async def close_campaign(request: Request, campaign_id: int, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The secretariat closes a campaign now: its period is locked."""
    form = await request.form()
    reason = form.get("reason")
    body = {"reason": reason.strip() if isinstance(reason, str) and reason.strip() else None}
    try:
        campaign = await calls.post("indicateurs", f"/api/v1/campaigns/{campaign_id}/close", body)
    except ServiceError as exc:
        if exc.status_code not in (403, 409, 422):
            raise
        state = CampaignsState(notice=_refusal(exc, f"campagne-{campaign_id}"))
        return await _campaigns_page(request, viewer, calls, state, status_code=exc.status_code)
    return await _done(request, viewer, calls, campaign, "close",
                     f"La campagne « {campaign['title']} » est close : la période {campaign['period']} n'accepte "
                     "plus de valeurs.")


@router.post("/indicateurs/campagnes/{campaign_id:int}/rouvrir")
async def reopen_campaign(request: Request, campaign_id: int, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The secretariat reopens a closed campaign, with a reason (kept) and, if needed, a new closing date."""
    tried = ReopenForm.from_form(await request.form())
    try:
        campaign = await calls.post("indicateurs", f"/api/v1/campaigns/{campaign_id}/reopen", tried.body())
    except ServiceError as exc:
        if exc.status_code not in (403, 409, 422):
            raise
        state = CampaignsState(notice=_refusal(exc, f"campagne-{campaign_id}"))
        if exc.status_code == 422:
            state.reopen[campaign_id] = (tried, campaign_errors(exc.body))
            state.notice = {"place": f"campagne-{campaign_id}", "kind": "error",
                            "text": "La campagne n'a pas été rouverte : corrigez les champs signalés."}
        return await _campaigns_page(request, viewer, calls, state, status_code=exc.status_code)
    return await _done(request, viewer, calls, campaign, "rouverte",
                     f"La campagne « {campaign['title']} » est rouverte jusqu'au {day_fr(campaign['closes_on'])} : la "
                     f"période {campaign['period']} accepte de nouveau des valeurs.")


# --- what is owed --------------------------------------------------------------------------------------------

def period_options(campaigns: list[dict[str, Any]]) -> list[str]:
    """Periods one may ask completeness for: the campaigns' periods and the years since 2015, newest first."""
    found = {c["period"] for c in campaigns} | {str(y) for y in range(2015, today().year + 1)}
    return sorted(found, key=sort_key, reverse=True)


def by_organisation(completeness: dict[str, Any], org_names: dict[str, str]) -> list[dict[str, Any]]:
    """Missing values per organisation (missing, drafts, returned), most missing first."""
    rows: dict[str, dict[str, Any]] = {}
    for indicator in completeness["indicators"]:
        for m in indicator["missing"]:
            row = rows.setdefault(m["organisation_id"], {
                "organisation_id": m["organisation_id"], "name": org_names.get(m["organisation_id"],
                                                                             m["organisation_id"]),
                "manquant": 0, "brouillon": 0, "a_reprendre": 0, "indicators": set()})
            row[m["status"]] += 1
            row["indicators"].add(indicator["indicator_id"])
    result = list(rows.values())
    for row in result:
        row["total"] = row["manquant"] + row["brouillon"] + row["a_reprendre"]
        row["indicators"] = len(row["indicators"])
    return sorted(result, key=lambda r: (-r["total"], plain(r["name"])))


async def _optional(coro: Any) -> Any:
    try:
        return await coro
    except (ServiceError, ServiceUnavailable):
        return None


@router.get("/indicateurs/a-renseigner")
async def owed_page(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """A referent's to-do list for the open campaigns and its completeness; the secretariat's overview."""
    campaigns, orgs = await asyncio.gather(calls.get("indicateurs", "/api/v1/campaigns"), organisations(calls))
    org_names = {o["id"]: o["name"] for o in orgs}
    options = period_options(campaigns)
    asked = request.query_params.get("periode", "").strip().upper()
    default = campaigns[0]["period"] if campaigns else str(today().year - 1)
    period = asked if periodicity_of(asked) else default
    context: dict[str, Any] = {"page_title": "Valeurs à renseigner", "nav": "indicateurs", "sub": "a-renseigner",
                               "campaigns": campaigns, "org_names": org_names, "period": period,
                               "period_options": options if period in options else [period, *options],
                               "todos": [], "completeness": None, "organisations": []}
    if viewer.is_secretariat:
        wanted_org = request.query_params.get("organisation", "")
        org = wanted_org if wanted_org in org_names else ""
        completeness = await _optional(calls.get("indicateurs", "/api/v1/completeness", period=period,
                                                 organisation=org or None))
        context.update(view="secretariat", completeness=completeness, organisation=org,
                       organisations=sorted(orgs, key=lambda o: plain(o["name"])),
                       by_organisation=by_organisation(completeness, org_names) if completeness else [])
    elif viewer.is_referent:
        open_campaigns = [c for c in campaigns if not c["locked"]]
        todos = await asyncio.gather(*(calls.get("indicateurs", f"/api/v1/campaigns/{c['id']}/todo")
                                       for c in open_campaigns))
        completeness = await _optional(calls.get("indicateurs", "/api/v1/completeness", period=period,
                                                 organisation=viewer.organisation_id))
        context.update(view="referent", todos=list(zip(open_campaigns, todos, strict=True)),
                       completeness=completeness)
    else:
        context.update(view="none")
    block = "resultats" if is_htmx(request) and request.headers.get("HX-Target") == "completude" else None
    return render(request, "indicateurs/a_renseigner.html", context, block=block)

