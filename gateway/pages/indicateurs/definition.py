"""The secretariat's refinement of an indicator's definition (unit, periodicity, target, QPV, responsible
organisations), from the version it read: a newer one wins, and the conflict shows both."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gateway.clients import ServiceError
from gateway.deps import CallsDep, CurrentViewer
from gateway.forms import Notice, changed_meanwhile, refusal
from gateway.pages.indicateurs.forms import DEFINITION_FIELDS, DefinitionForm
from gateway.pages.indicateurs.indicator import PageState, indicator_response
from gateway.rendering import is_htmx
from kernel.ids import Id

router = APIRouter()


@router.post("/indicateurs/{indicator_id:int}/definition")
async def refine_definition(request: Request, indicator_id: Id, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The secretariat refines the definition from the version it read (a newer one wins: conflict shown)."""
    tried = DefinitionForm.from_form(await request.form())
    state = PageState()
    try:
        d = await calls.patch("indicateurs", f"/api/v1/definitions/{indicator_id}", tried.body())
    except ServiceError as exc:
        outcome = refusal(exc, place="definition", fields=DEFINITION_FIELDS, tried=tried,
                          invalid="La définition n'a pas été modifiée : corrigez les champs signalés.",
                          fallback="Modification refusée.", conflict=f"{exc.message} Rien n'a été modifié.",
                          changed=lambda current: changed_meanwhile(current, "cette définition", "votre modification"))
        state.notice = outcome.notice
        if outcome.errors or (outcome.status_code == 409 and outcome.notice.current is None):
            state.definition = (tried, outcome.errors)  # what was typed stays, unless the stored version is shown
        return await indicator_response(request, indicator_id, viewer, calls, state, status_code=outcome.status_code)
    if not is_htmx(request):
        return RedirectResponse(f"/indicateurs/{indicator_id}?fait=definition#definition", status_code=303)
    state.notice = Notice("success", f"La définition est mise à jour (version {d['version']}).", "definition")
    return await indicator_response(request, indicator_id, viewer, calls, state)
