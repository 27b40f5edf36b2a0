"""Routes of the appel à projets: calls, projects, funders' decisions and payments, imports of a funder's list,
and the public reads (funded projects, totals, open-data rows)."""

from typing import Any

from fastapi import APIRouter, Request

from kernel.app import RuntimeDep, SessionDep
from kernel.identity import IdentityDep
from kernel.ids import Id
from kernel.uploads import received_file
from services.participation.schemas import AapCallIn, AapProjectIn, FundingDecisionIn, PaymentIn
from services.participation.service import aap_calls, aap_fundings, aap_imports, aap_projects, aap_public, catalogue
from services.participation.service.registry import organisation_names

router = APIRouter(prefix="/api/v1/aap", tags=["appel à projets"])
FILE_BODY = {"requestBody": {"content": {
    "text/csv": {"schema": {"type": "string"}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string",
                                                                                   "format": "binary"}}}}}}}
IMPORT_REFUSALS = {422: {"description": "Lignes invalides : `{code: invalid_rows, errors: [{line, reason}]}`"},
                   403: {"description": "Ni référent de ce financeur, ni secrétariat"}}


@router.get("/calls")
async def calls(session: SessionDep, who: IdentityDep) -> list[dict[str, Any]]:
    """Every call, latest first, with its funded projects' count and total (public)."""
    return await aap_public.years(session)


@router.get("/calls/{year}")
async def call(year: Id, session: SessionDep, who: IdentityDep) -> dict[str, Any]:
    out = aap_calls.call_out(await aap_calls.get_call(session, year), await organisation_names(session))
    out["may_manage"] = aap_projects.may_manage(await aap_calls.get_call(session, year), who)
    return out


@router.put("/calls/{year}")
async def define_call(year: Id, data: AapCallIn, session: SessionDep, runtime: RuntimeDep,
                      who: IdentityDep) -> dict[str, Any]:
    """The secretariat opens the call of a year (no `version`) or changes it (the version read)."""
    c = await aap_calls.define_call(session, runtime.outbox, who, year, data)
    return aap_calls.call_out(c, await organisation_names(session))


@router.get("/themes")
async def themes(session: SessionDep, who: IdentityDep) -> list[dict[str, str]]:
    """The contract's themes as participation knows them (from the engagements' events)."""
    return [{"id": k, "title": v} for k, v in (await catalogue.themes(session)).items()]


async def _full(session: Any, projects: list[aap_projects.AapProject]) -> list[dict[str, Any]]:
    grants = await aap_fundings.grants_of(session, [p.id for p in projects])
    payments = await aap_fundings.payments_of(session, [g.id for gs in grants.values() for g in gs])
    names = await organisation_names(session)
    out = []
    for p in projects:
        fundings = [aap_fundings.funding_out(g, payments.get(g.id, []), names, public=False)
                    for g in grants.get(p.id, [])]
        out.append({**aap_projects.project_out(p), "fundings": fundings,
                    "amount_granted": sum(f["amount_granted"] for f in fundings if f["decision"] == "accorde"),
                    "paid_total": sum(f["paid_total"] for f in fundings)})
    return out


@router.get("/calls/{year}/projects")
async def projects(year: Id, session: SessionDep, who: IdentityDep, status: str | None = None,
                   qpv: str | None = None, theme: str | None = None) -> list[dict[str, Any]]:
    """Every project of a call, pending and refused ones included: secretariat and the call's funders only."""
    return await _full(session, await aap_projects.projects_of_call(session, who, year, status=status, qpv=qpv,
                                                                     theme=theme))


@router.post("/calls/{year}/projects", status_code=201)
async def add_project(year: Id, data: AapProjectIn, session: SessionDep, runtime: RuntimeDep,
                      who: IdentityDep) -> dict[str, Any]:
    p = await aap_projects.add_project(session, runtime.outbox, who, year, data)
    return aap_projects.project_out(p)


@router.get("/projects/{project_id}")
async def project(project_id: str, session: SessionDep, who: IdentityDep) -> dict[str, Any]:
    """A project: its managers see everything; anyone else a funded project's public view (404 otherwise)."""
    p = await aap_projects.get_project(session, who, project_id)
    if aap_projects.may_manage(await aap_calls.get_call(session, p.call_year), who):
        return {**(await _full(session, [p]))[0], "may_manage": True}
    return {**await aap_public.funded_project(session, p), "may_manage": False}


@router.put("/projects/{project_id}")
async def update_project(project_id: str, data: AapProjectIn, session: SessionDep, runtime: RuntimeDep,
                         who: IdentityDep) -> dict[str, Any]:
    p = await aap_projects.update_project(session, runtime.outbox, who, project_id, data)
    return aap_projects.project_out(p)


@router.put("/projects/{project_id}/fundings/{funder_id}")
async def decide(project_id: str, funder_id: str, data: FundingDecisionIn, session: SessionDep, runtime: RuntimeDep,
                 who: IdentityDep) -> dict[str, Any]:
    """A funder's decision on a project (its referents or the secretariat); `version` to correct one."""
    g = await aap_fundings.decide(session, runtime.outbox, who, project_id, funder_id, data)
    return {"funder_id": g.funder_id, "decision": g.decision, "amount_granted": g.amount_granted,
            "decided_on": g.decided_on, "version": g.version}


@router.post("/projects/{project_id}/fundings/{funder_id}/payments", status_code=201)
async def pay(project_id: str, funder_id: str, data: PaymentIn, session: SessionDep, runtime: RuntimeDep,
              who: IdentityDep) -> dict[str, Any]:
    p = await aap_fundings.pay(session, runtime.outbox, who, project_id, funder_id, data)
    return {"id": p.id, "paid_on": p.paid_on, "amount": p.amount}


@router.post("/calls/{year}/imports", status_code=201, responses=IMPORT_REFUSALS, openapi_extra=FILE_BODY)
async def import_list(year: Id, funder_id: str, request: Request, session: SessionDep, runtime: RuntimeDep,
                      who: IdentityDep) -> dict[str, Any]:
    """Imports a funder's yearly list (format: `services.participation.aap_format`), all or nothing."""
    content, _ = await received_file(request, runtime.settings.upload_max_bytes)  # type: ignore[attr-defined]
    return await aap_imports.import_file(session, runtime.outbox, who, year, funder_id, content)


@router.post("/calls/{year}/imports/previews", status_code=201, responses=IMPORT_REFUSALS, openapi_extra=FILE_BODY)
async def preview_import(year: Id, funder_id: str, request: Request, session: SessionDep, runtime: RuntimeDep,
                         who: IdentityDep) -> dict[str, Any]:
    """Checks a funder's list and keeps it for its sender to confirm within a day: what it would do."""
    content, filename = await received_file(request, runtime.settings.upload_max_bytes)  # type: ignore[attr-defined]
    return await aap_imports.preview(session, who, year, funder_id, content, filename)


@router.post("/imports/previews/{preview_id}/confirm", status_code=201, responses=IMPORT_REFUSALS)
async def confirm_import(preview_id: str, session: SessionDep, runtime: RuntimeDep, who: IdentityDep) -> dict[str, Any]:
    return await aap_imports.confirm(session, runtime.outbox, who, preview_id)


@router.get("/funded/{year}")
async def funded_year(year: Id, session: SessionDep, who: IdentityDep, qpv: str | None = None,
                      theme: str | None = None, funder: str | None = None) -> dict[str, Any]:
    """A year's funded projects (public), filtered, with totals and breakdowns."""
    return await aap_public.funded_year(session, year, qpv=qpv or None, theme=theme or None, funder=funder or None)


@router.get("/funded-projects")
async def funded_rows(session: SessionDep, who: IdentityDep) -> list[dict[str, Any]]:
    """The open dataset: one row per funded project and funder, every year."""
    return await aap_public.open_data_rows(session)
