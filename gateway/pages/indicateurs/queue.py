"""The secretariat's validation queue: every submitted value across indicators, filterable by organisation,
engagement, period and campaign, each beside the previous value of its series (large variations flagged).

One value is approved with its row's button, a selection after a confirmation step (a page of its own without
JavaScript, swapped in place with htmx), a value is sent back with a reason. The indicateurs service applies each
value's own rules (the four-eyes rule among them); what it refuses is listed with its reason. Everything is a
native control (checkboxes, buttons, a text area): usable with the keyboard alone.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gateway.clients import ServiceCalls, ServiceError
from gateway.deps import AccessDenied, CallsDep, CurrentViewer, Viewer
from gateway.formatting import of_org, period_fr, to_org, with_unit
from gateway.forms import Notice, refusal, text
from gateway.pages.indicateurs.forms import REASON_FIELDS
from gateway.pages.lookups import by_name, organisations
from gateway.rendering import is_htmx, render

router = APIRouter()
FILTERS = ("organisation", "engagement", "periode", "campagne")
PAGE = 50  # values a page of the queue shows


@dataclass
class QueueState:
    """The outcome of the last action, and a return form to show again (its reason, its error)."""

    notice: Notice | None = None
    refused: list[dict[str, Any]] = field(default_factory=list)  # [{item or id, message}]
    returning: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (reason typed, error)
    confirm: list[dict[str, Any]] | None = None  # the selection to confirm
    checked: set[int] = field(default_factory=set)


def _require_secretariat(viewer: Viewer) -> None:
    if not viewer.is_secretariat:
        raise AccessDenied("La file de validation est réservée au secrétariat du COPIL.")


def read_filters(source: Any) -> dict[str, str]:
    """The filters from a query string or a form (the forms carry them to keep the queue as it was)."""
    values = {name: str(source.get(name) or "").strip() for name in FILTERS}
    for name in ("engagement", "campagne"):
        if not values[name].isdigit() or len(values[name]) > 9:
            values[name] = ""
    values["periode"] = values["periode"].upper()[:10]
    values["organisation"] = values["organisation"][:80]
    return values


def _query(filters: dict[str, str]) -> str:
    return urlencode({k: v for k, v in filters.items() if v})


async def _queue(calls: ServiceCalls, filters: dict[str, str], page: int = 1) -> dict[str, Any]:
    return await calls.get("indicateurs", "/api/v1/validation-queue", organisation=filters["organisation"] or None,
                           engagement=filters["engagement"] or None, period=filters["periode"] or None,
                           campaign=filters["campagne"] or None, offset=(page - 1) * PAGE, limit=PAGE)


def read_page(request: Request) -> int:
    value = request.query_params.get("page", "")
    return int(value) if value.isdigit() and 0 < len(value) <= 6 and int(value) > 0 else 1


def describe(item: dict[str, Any]) -> str:
    """« Nombre de places, 2024, Malakoff : 120 »."""
    where = f", {item.get('qpv_name') or item['qpv_id']}" if item.get("qpv_id") else ""
    return f"{item['indicator_label']}, {period_fr(item['period'])}{where} : {with_unit(item['value'], item['unit'])}"


async def queue_response(request: Request, viewer: Viewer, calls: ServiceCalls, filters: dict[str, str],
                         state: QueueState | None = None, status_code: int = 200) -> Response:
    state = state or QueueState()
    page = read_page(request) if request.method == "GET" else 1
    queue, campaigns, orgs = await asyncio.gather(
        _queue(calls, filters, page), calls.get("indicateurs", "/api/v1/campaigns"), organisations(calls))
    org_names = {o["id"]: o["name"] for o in orgs}
    choices = queue["choices"]  # the filters' choices come from the whole queue
    context = {
        "page_title": "Valeurs à valider", "nav": "indicateurs", "sub": "validation", "queue": queue,
        "filters": filters, "query": _query(filters), "state": state, "org_names": org_names,
        "organisation_choices": by_name(choices["organisations"], org_names),
        "engagement_choices": [tuple(e) for e in choices["engagements"]], "period_choices": choices["periods"],
        "campaigns": campaigns, "all_checked": request.query_params.get("tout") == "1",
        "page": page, "pages": max(1, -(-queue["matching"] // PAGE)),
    }
    block = "file" if is_htmx(request) else None  # the filters and the actions swap the queue alone
    return render(request, "indicateurs/validation.html", context, block=block, status_code=status_code)


@router.get("/indicateurs/validation")
async def queue_page(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The values waiting for the secretariat, filtered; htmx swaps only the queue."""
    _require_secretariat(viewer)
    state = QueueState()
    done, count = request.query_params.get("fait", ""), request.query_params.get("n", "")
    if done == "approuve" and count.isdigit():
        n = int(count)
        state.notice = Notice("success", f"{n} valeur{'s' if n > 1 else ''} approuvée{'s' if n > 1 else ''} : "
                                         f"{'elles figurent' if n > 1 else 'elle figure'} désormais dans les séries.")
    elif done == "renvoye":
        state.notice = Notice("success", "Valeur renvoyée pour reprise, avec votre motif.")
    return await queue_response(request, viewer, calls, read_filters(request.query_params), state)


def _ids(form: Any) -> list[int]:
    return list(dict.fromkeys(int(v) for v in form.getlist("ids") if isinstance(v, str) and v.isdigit()
                              and len(v) <= 12))


@router.post("/indicateurs/validation/approuver")
async def approve(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """Approves one value (its row's button), or a selection once confirmed (`confirme=1`)."""
    _require_secretariat(viewer)
    form = await request.form()
    filters = read_filters(form)
    single = text(form, "seul")
    ids = [int(single)] if single.isdigit() and len(single) <= 12 else _ids(form)
    state = QueueState(checked=set(ids))
    if not ids:
        state.notice = Notice("error", "Cochez au moins une valeur à approuver.")
        return await queue_response(request, viewer, calls, filters, state, status_code=422)
    if not single and text(form, "confirme") != "1":  # a selection: confirm first
        queue = await _queue(calls, dict.fromkeys(FILTERS, ""))
        chosen = [i for i in queue["items"] if i["id"] in state.checked]
        if not chosen:
            state.notice = Notice("conflict", "Les valeurs cochées ne sont plus en attente : la file est à jour.")
            return await queue_response(request, viewer, calls, filters, state, status_code=409)
        state.confirm = chosen
        return await queue_response(request, viewer, calls, filters, state)
    outcome = await calls.post("indicateurs", "/api/v1/submissions/approvals", {"ids": ids})
    approved, refused = outcome["approved"], outcome["refused"]
    if not refused and not is_htmx(request):
        query = urlencode({**{k: v for k, v in filters.items() if v}, "fait": "approuve", "n": len(approved)})
        return RedirectResponse(f"/indicateurs/validation?{query}", status_code=303)
    n = len(approved)
    if n:
        message = (f"{n} valeur{'s' if n > 1 else ''} approuvée{'s' if n > 1 else ''} : "
                   f"{'elles figurent' if n > 1 else 'elle figure'} désormais dans les séries.")
    else:
        message = "Aucune valeur n'a été approuvée."
    if refused:
        message += f" {len(refused)} refusée{'s' if len(refused) > 1 else ''} par le service (voir ci-dessous)."
    state.notice = Notice("success" if n and not refused else ("error" if not n else "conflict"), message)
    state.refused = refused
    state.checked = set()
    return await queue_response(request, viewer, calls, filters, state, status_code=200 if n else 409)


@router.post("/indicateurs/validation/renvoyer")
async def send_back(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """Sends one value back to its organisation with a reason (its row's return form)."""
    _require_secretariat(viewer)
    form = await request.form()
    filters = read_filters(form)
    which = text(form, "renvoyer")
    if not which.isdigit() or len(which) > 12:
        state = QueueState(notice=Notice("error", "Le formulaire est incomplet ou périmé : rechargez la page."))
        return await queue_response(request, viewer, calls, filters, state, status_code=422)
    submission_id = int(which)
    reason = text(form, f"motif-{submission_id}")
    state = QueueState()
    try:
        s = await calls.post("indicateurs", f"/api/v1/submissions/{submission_id}/reject", {"reason": reason})
    except ServiceError as exc:
        outcome = refusal(exc, place=f"valeur-{submission_id}", fields=REASON_FIELDS,
                          invalid="La valeur n'a pas été renvoyée : indiquez le motif.",
                          conflict=f"{exc.message or 'Cette valeur a changé entre-temps.'} Rien n'a été changé ; "
                                   "la file montre maintenant l'état actuel.")
        state.notice = outcome.notice
        state.returning[submission_id] = (reason, outcome.errors.get("reason", ""))
        return await queue_response(request, viewer, calls, filters, state, status_code=outcome.status_code)
    if not is_htmx(request):
        query = urlencode({**{k: v for k, v in filters.items() if v}, "fait": "renvoye"})
        return RedirectResponse(f"/indicateurs/validation?{query}", status_code=303)
    orgs = await organisations(calls)
    org = {o["id"]: o["name"] for o in orgs}.get(s["organisation_id"], s["organisation_id"])
    state.notice = Notice("success", f"Valeur renvoyée {to_org(org)} pour reprise ({describe(s)}), avec votre "
                                     f"motif ; le référent {of_org(org)} la verra sur la page de l'indicateur.")
    return await queue_response(request, viewer, calls, filters, state)
