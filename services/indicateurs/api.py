"""HTTP API of the indicateurs service (called by the gateway with the caller's signed identity).

Errors are JSON `{code, message, …}` in French: 403 `forbidden`, 404 `not_found`, 409 `conflict` (with `current`
when someone changed the thing first) or `period_locked`, 422 `invalid` (with `errors` per field) or
`invalid_rows` (CSV import, with `errors: [{line, reason}]`).
"""

from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from kernel.app import RuntimeDep, SessionDep
from kernel.errors import Invalid
from kernel.identity import IdentityDep
from services.indicateurs import exports, service
from services.indicateurs.models import ImportRun, State
from services.indicateurs.schemas import (
    CampaignClose,
    CampaignIn,
    CampaignOut,
    CampaignReopen,
    CompletenessOut,
    DefinitionDetail,
    DefinitionOut,
    DefinitionUpdate,
    ImportReport,
    LatestValues,
    QpvOut,
    RejectIn,
    SeriesOut,
    SubmissionDetail,
    SubmissionIn,
    SubmissionOut,
    TodoOut,
)

router = APIRouter(prefix="/api/v1", tags=["indicateurs"])

CONFLICT = {409: {"description": "Modifié entre-temps, ou période verrouillée"}}
FORBIDDEN = {403: {"description": "Rôle ou organisation ne le permettant pas"}}


# --- definitions ---------------------------------------------------------------------------------------------

@router.get("/definitions")
async def definitions(session: SessionDep, _who: IdentityDep, engagement: int | None = None) -> list[DefinitionOut]:
    """The indicator definitions, optionally for one engagement."""
    return await service.list_definitions(session, engagement)


@router.get("/definitions/{indicator_id}")
async def definition(indicator_id: int, session: SessionDep, _who: IdentityDep) -> DefinitionDetail:
    """One definition with all its versions."""
    return await service.get_definition(session, indicator_id)


@router.patch("/definitions/{indicator_id}", responses={**FORBIDDEN, **CONFLICT})
async def update_definition(indicator_id: int, update: DefinitionUpdate, session: SessionDep, runtime: RuntimeDep,
                            who: IdentityDep) -> DefinitionDetail:
    """The secretariat refines a definition from the version it read (only the fields sent change)."""
    return await service.update_definition(session, runtime.outbox, indicator_id=indicator_id, update=update,
                                           identity=who)


@router.get("/definitions/{indicator_id}/series")
async def series(indicator_id: int, session: SessionDep, _who: IdentityDep) -> SeriesOut:
    """Approved values by period (and QPV when broken down), with the target: a chart and its data table."""
    return await service.series(session, indicator_id)


@router.get("/latest-values")
async def latest_values(engagement: int, session: SessionDep, _who: IdentityDep) -> list[LatestValues]:
    """Each indicator of an engagement with its latest approved values (for the engagement page)."""
    return await service.latest_values(session, engagement)


@router.get("/qpv")
async def qpv(session: SessionDep, _who: IdentityDep) -> list[QpvOut]:
    """The QPV this service knows, with their national codes where known."""
    return await service.list_qpv(session)


# --- submissions ---------------------------------------------------------------------------------------------

@router.post("/submissions", status_code=201, responses={**FORBIDDEN, **CONFLICT})
async def submit(data: SubmissionIn, session: SessionDep, runtime: RuntimeDep, who: IdentityDep) -> SubmissionDetail:
    """A referent of a responsible organisation records a value (or a correction: a new version)."""
    return await service.submit_value(session, runtime.outbox, data=data, identity=who)


@router.get("/submissions")
async def submissions(session: SessionDep, who: IdentityDep, indicator: int | None = None, period: str | None = None,
                      organisation: str | None = None, qpv: str | None = None, state: State | None = None,
                      all_versions: bool = False) -> list[SubmissionOut]:
    """Values (latest versions unless `all_versions`); a referent sees its own organisation's."""
    return await service.list_submissions(session, identity=who, indicator=indicator, period=period,
                                          organisation=organisation, qpv=qpv, state=state, all_versions=all_versions)


@router.get("/submissions/{submission_id}", responses=FORBIDDEN)
async def submission(submission_id: int, session: SessionDep, who: IdentityDep) -> SubmissionDetail:
    """One version of a value, with every version of it."""
    return await service.get_submission(session, submission_id, who)


@router.post("/submissions/{submission_id}/submit", responses={**FORBIDDEN, **CONFLICT})
async def submit_draft(submission_id: int, session: SessionDep, runtime: RuntimeDep,
                       who: IdentityDep) -> SubmissionDetail:
    """A referent submits its organisation's draft to the secretariat."""
    return await service.submit_draft(session, runtime.outbox, submission_id=submission_id, identity=who)


@router.post("/submissions/{submission_id}/approve", responses={**FORBIDDEN, **CONFLICT})
async def approve(submission_id: int, session: SessionDep, runtime: RuntimeDep, who: IdentityDep) -> SubmissionDetail:
    """The secretariat approves the latest version of a value."""
    return await service.approve(session, runtime.outbox, submission_id=submission_id, identity=who)


@router.post("/submissions/{submission_id}/reject", responses={**FORBIDDEN, **CONFLICT})
async def reject(submission_id: int, data: RejectIn, session: SessionDep, runtime: RuntimeDep,
                 who: IdentityDep) -> SubmissionDetail:
    """The secretariat returns the latest version of a value for revision, with a reason."""
    return await service.reject(session, runtime.outbox, submission_id=submission_id, reason=data.reason,
                                identity=who)


# --- bulk import ---------------------------------------------------------------------------------------------

@router.post("/imports", status_code=201, responses={
    **FORBIDDEN, **CONFLICT,
    422: {"description": "Lignes invalides : `{code: invalid_rows, errors: [{line, reason}]}`"},
}, openapi_extra={"requestBody": {"content": {
    "text/csv": {"schema": {"type": "string"}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string",
                                                                                   "format": "binary"}}}},
}}})
async def import_values(request: Request, response: Response, session: SessionDep, runtime: RuntimeDep,
                        who: IdentityDep, dry_run: bool = False) -> ImportReport:
    """Imports a CSV file of values (format: module `services.indicateurs.csv_format`), all or nothing.

    The file is the request body (`text/csv`) or the `file` field of a form (`multipart/form-data`).
    `dry_run=true` checks it and reports what an import would do, recording nothing.
    """
    limit: int = runtime.settings.import_max_bytes  # type: ignore[attr-defined]
    filename = None
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_part_size=limit)
        upload: Any = form.get("file")
        if upload is None or isinstance(upload, str):
            raise Invalid("Joignez le fichier CSV dans le champ « file ».", field="file")
        content, filename = await upload.read(), upload.filename
    else:
        content = await request.body()
    if len(content) > limit:
        raise Invalid(f"Fichier trop gros ({len(content) // 1_000_000} Mo ; {limit // 1_000_000} Mo au plus).")
    report = await service.import_csv(session, runtime.outbox, content=content, filename=filename, identity=who,
                                      dry_run=dry_run)
    if dry_run:
        response.status_code = 200
    return report


@router.get("/imports/{import_id}", responses=FORBIDDEN)
async def import_run(import_id: int, session: SessionDep, who: IdentityDep) -> ImportRun:
    """An import: who, when, how many values recorded, corrected or unchanged."""
    return await service.get_import(session, import_id, who)


# --- campaigns -----------------------------------------------------------------------------------------------

@router.post("/campaigns", status_code=201, responses={**FORBIDDEN, **CONFLICT})
async def open_campaign(data: CampaignIn, session: SessionDep, runtime: RuntimeDep, who: IdentityDep) -> CampaignOut:
    """The secretariat opens a collection window for a period (its semesters and quarters included)."""
    return await service.open_campaign(session, runtime.outbox, data=data, identity=who)


@router.get("/campaigns")
async def campaigns(session: SessionDep, _who: IdentityDep) -> list[CampaignOut]:
    """The campaigns, latest period first."""
    return await service.list_campaigns(session)


@router.get("/campaigns/{campaign_id}")
async def campaign(campaign_id: int, session: SessionDep, _who: IdentityDep) -> CampaignOut:
    """A campaign with its openings, closings and reopenings (who, when, why)."""
    return await service.get_campaign(session, campaign_id)


@router.post("/campaigns/{campaign_id}/close", responses={**FORBIDDEN, **CONFLICT})
async def close_campaign(campaign_id: int, session: SessionDep, runtime: RuntimeDep, who: IdentityDep,
                         data: CampaignClose | None = None) -> CampaignOut:
    """The secretariat closes a campaign now: its period is locked."""
    return await service.close_campaign(session, runtime.outbox, campaign_id=campaign_id,
                                        data=data or CampaignClose(), identity=who)


@router.post("/campaigns/{campaign_id}/reopen", responses={**FORBIDDEN, **CONFLICT})
async def reopen_campaign(campaign_id: int, data: CampaignReopen, session: SessionDep, runtime: RuntimeDep,
                          who: IdentityDep) -> CampaignOut:
    """The secretariat reopens a closed campaign, with a reason and (if its date passed) a new closing date."""
    return await service.reopen_campaign(session, runtime.outbox, campaign_id=campaign_id, data=data, identity=who)


@router.get("/campaigns/{campaign_id}/todo", responses=FORBIDDEN)
async def todo(campaign_id: int, session: SessionDep, who: IdentityDep, organisation: str | None = None) -> TodoOut:
    """What an organisation still owes for a campaign (a referent: its own organisation)."""
    return await service.todo(session, campaign_id=campaign_id, organisation=organisation, identity=who)


@router.get("/completeness", responses=FORBIDDEN)
async def completeness(period: str, session: SessionDep, who: IdentityDep,
                       organisation: str | None = None) -> CompletenessOut:
    """Per indicator, which responsible organisations (and QPV) still lack a value for a period."""
    return await service.completeness(session, period=period, organisation=organisation, identity=who)


# --- exports -------------------------------------------------------------------------------------------------

@router.get("/exports/schema")
async def export_schema(_who: IdentityDep) -> dict[str, dict[str, str]]:
    """The documented columns of the exports (name → type and description)."""
    return exports.EXPORT_COLUMNS


@router.get("/exports/values.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "Valeurs approuvées (CSV)"}})
async def export_csv(session: SessionDep, _who: IdentityDep, engagement: int | None = None,
                     indicator: int | None = None, period: str | None = None, qpv: str | None = None,
                     sep: Literal[",", ";"] = ",") -> Response:
    """Approved values as CSV (columns: see `/exports/schema`)."""
    rows = await service.approved_values(session, engagement=engagement, indicator=indicator, period=period, qpv=qpv)
    return Response(exports.to_csv(rows, sep), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="valeurs-indicateurs.csv"'})


@router.get("/exports/values.json")
async def export_json(session: SessionDep, _who: IdentityDep, engagement: int | None = None,
                      indicator: int | None = None, period: str | None = None,
                      qpv: str | None = None) -> JSONResponse:
    """Approved values as JSON: `{columns, filters, count, values}`."""
    rows = await service.approved_values(session, engagement=engagement, indicator=indicator, period=period, qpv=qpv)
    filters = {"engagement": engagement, "indicator": indicator, "period": period, "qpv": qpv}
    return JSONResponse(exports.to_json(rows, filters))
