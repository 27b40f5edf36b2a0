"""The update of a pilot's part, in place on Mes engagements or on the engagement page (htmx), or as a plain form
post; the outcome (saved, fields to correct, changed meanwhile, refused) shows next to the part's form."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gateway.clients import ServiceError
from gateway.deps import CallsDep, CurrentViewer
from gateway.formatting import of_org
from gateway.forms import Notice, changed_meanwhile, refusal
from gateway.pages.engagements.engagement import engagement_context
from gateway.pages.engagements.forms import PART_FIELDS, PartForm, PartState, part_of
from gateway.pages.engagements.my_engagements import SAVED, card_response, my_context
from gateway.rendering import is_htmx, render
from kernel.ids import Id

router = APIRouter()


@router.post("/engagements/{number}/parts/{organisation_id}")
async def update_part(request: Request, number: Id, organisation_id: str, viewer: CurrentViewer,
                      calls: CallsDep) -> Response:
    """Sends a pilot's new account of its part to the engagements service, and shows the outcome in place.

    htmx gets the engagement's card (Mes engagements) or its follow-up section (engagement page); a plain
    form post is redirected back to the page on success, or gets the page with the errors.
    """
    form = await request.form()
    vue = "fiche" if form.get("vue") == "fiche" else "liste"
    tried = PartForm.from_form(form)
    path = f"/api/v1/engagements/{number}/parts/{quote(organisation_id, safe='')}"
    status_code = 200
    editing = False
    try:
        # A card shows no history: its answer carries none (the engagement page shows the latest changes).
        detail = await calls.patch("engagements", path, tried.body(), history=None if vue == "fiche" else 0)
        part = part_of(detail, organisation_id)
        state = PartState(PartForm.from_part(part) if part else tried, notice=Notice("success", SAVED))
        if not is_htmx(request):
            target = (f"/engagements/{number}?maj={quote(organisation_id)}#part-{organisation_id}" if vue == "fiche"
                      else f"/mes-engagements?maj={number}#engagement-{number}")
            return RedirectResponse(target, status_code=303)
    except ServiceError as exc:
        outcome = refusal(exc, fields=PART_FIELDS, tried=tried, nothing_done="Rien n'a été changé.",
                          invalid="Votre mise à jour n'a pas été enregistrée : corrigez les champs signalés.",
                          changed=lambda current: changed_meanwhile(current, "cette part", "votre mise à jour"))
        status_code = outcome.status_code
        detail = await calls.get("engagements", f"/api/v1/engagements/{number}")
        part = part_of(detail, organisation_id)
        if part is None:
            raise
        notice = outcome.notice
        if notice.kind == "refused":  # who may, named, rather than the service's general rule
            who = of_org(part["organisation_name"])
            notice = replace(notice, text=f"Modification refusée : seul un référent {who} ou le secrétariat du COPIL "
                                          "peut modifier cette part. Rien n'a été changé.")
        # What was typed stays in the form: beside the errors, or beside the version now stored (a conflict: the
        # form is then on that version, so sending it again is a choice made knowing the other change).
        if outcome.errors:
            form_state = tried
        elif notice.kind == "conflict":
            form_state = replace(tried, version=str(part["version"]))
        else:
            form_state = PartForm.from_part(part)
        state = PartState(form_state, errors=outcome.errors, notice=notice)
        editing = notice.kind != "refused"

    if vue == "fiche":
        context = await engagement_context(number, viewer, calls, overrides={organisation_id: state})
        context["e"] = detail
        return render(request, "engagements/engagement.html", context, block="suivi" if is_htmx(request) else None,
                      status_code=status_code)
    if is_htmx(request):
        return await card_response(request, viewer, calls, number, state if editing else None, notice=state.notice,
                                   detail=detail, organisation_id=organisation_id, status_code=status_code)
    context = await my_context(request, viewer, calls, overrides={number: state})
    if number not in context["parts"]:  # not one of the viewer's engagements: show it on its own page
        context = await engagement_context(number, viewer, calls, overrides={organisation_id: state})
        return render(request, "engagements/engagement.html", context, status_code=status_code)
    return render(request, "engagements/mes_engagements.html", context, status_code=status_code)
