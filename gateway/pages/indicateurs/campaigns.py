"""Reporting campaigns: opened, closed and reopened by the secretariat (with a reason, kept), readable by all.
What each organisation owes for them is `owed`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gateway.clients import ServiceCalls, ServiceError
from gateway.deps import CallsDep, CurrentViewer, Viewer
from gateway.forms import Notice, refusal
from gateway.pages.indicateurs.forms import CAMPAIGN_FIELDS, CampaignForm, ReopenForm
from gateway.pages.indicateurs.period_choices import today
from gateway.rendering import is_htmx, render
from kernel.french import day_fr
from kernel.ids import Id

router = APIRouter()
NOTHING_CHANGED = "Rien n'a été changé."


@dataclass
class CampaignsState:
    """What the forms of the page show after an attempt; a notice's place is « ouvrir » or « campagne-<id> »."""

    notice: Notice | None = None
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
    if notice is not None and notice.place not in places:
        notice = notice.at("haut")  # its form is not on the page: shown at the top
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
        state.notice = Notice("success", texts[done], f"campagne-{cid}")
    return await _campaigns_page(request, viewer, calls, state)


async def _done(request: Request, viewer: Viewer, calls: ServiceCalls, campaign: dict[str, Any],
                code: str, text: str) -> Response:
    if not is_htmx(request):
        query = urlencode({"fait": code, "campagne": campaign["id"]})
        return RedirectResponse(f"/indicateurs/campagnes?{query}#campagne-{campaign['id']}", status_code=303)
    state = CampaignsState(notice=Notice("success", text, f"campagne-{campaign['id']}"))
    return await _campaigns_page(request, viewer, calls, state)


@router.post("/indicateurs/campagnes")
async def open_campaign(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The secretariat opens a collection window for a period, until a closing date."""
    tried = CampaignForm.from_form(await request.form())
    try:
        campaign = await calls.post("indicateurs", "/api/v1/campaigns", tried.body())
    except ServiceError as exc:
        outcome = refusal(exc, place="ouvrir", fields=CAMPAIGN_FIELDS, nothing_done=NOTHING_CHANGED,
                          invalid="La campagne n'a pas été ouverte : corrigez les champs signalés.")
        state = CampaignsState(open_form=tried, open_errors=outcome.errors, notice=outcome.notice)
        return await _campaigns_page(request, viewer, calls, state, status_code=outcome.status_code)
    return await _done(request, viewer, calls, campaign, "ouverte",
                     f"La campagne « {campaign['title']} » est ouverte jusqu'au {day_fr(campaign['closes_on'])} : les "
                     "référents voient désormais les valeurs attendues.")


@router.post("/indicateurs/campagnes/{campaign_id:int}/clore")
async def close_campaign(request: Request, campaign_id: Id, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The secretariat closes a campaign now: its period is locked."""
    form = await request.form()
    reason = form.get("reason")
    body = {"reason": reason.strip() if isinstance(reason, str) and reason.strip() else None}
    try:
        campaign = await calls.post("indicateurs", f"/api/v1/campaigns/{campaign_id}/close", body)
    except ServiceError as exc:
        outcome = refusal(exc, place=f"campagne-{campaign_id}", nothing_done=NOTHING_CHANGED)
        state = CampaignsState(notice=outcome.notice)
        return await _campaigns_page(request, viewer, calls, state, status_code=outcome.status_code)
    return await _done(request, viewer, calls, campaign, "close",
                     f"La campagne « {campaign['title']} » est close : la période {campaign['period']} n'accepte "
                     "plus de valeurs.")


@router.post("/indicateurs/campagnes/{campaign_id:int}/rouvrir")
async def reopen_campaign(request: Request, campaign_id: Id, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The secretariat reopens a closed campaign, with a reason (kept) and, if needed, a new closing date."""
    tried = ReopenForm.from_form(await request.form())
    try:
        campaign = await calls.post("indicateurs", f"/api/v1/campaigns/{campaign_id}/reopen", tried.body())
    except ServiceError as exc:
        outcome = refusal(exc, place=f"campagne-{campaign_id}", fields=CAMPAIGN_FIELDS, nothing_done=NOTHING_CHANGED,
                          invalid="La campagne n'a pas été rouverte : corrigez les champs signalés.")
        state = CampaignsState(notice=outcome.notice)
        if outcome.errors:
            state.reopen[campaign_id] = (tried, outcome.errors)
        return await _campaigns_page(request, viewer, calls, state, status_code=outcome.status_code)
    return await _done(request, viewer, calls, campaign, "rouverte",
                     f"La campagne « {campaign['title']} » est rouverte jusqu'au {day_fr(campaign['closes_on'])} : la "
                     f"période {campaign['period']} accepte de nouveau des valeurs.")
