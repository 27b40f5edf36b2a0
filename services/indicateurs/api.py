"""HTTP API of the indicateurs service (called by the gateway with the caller's signed identity).

Errors are JSON `{code, message, …}` in French: 403 `forbidden`, 404 `not_found`, 409 `conflict` (with `current`
when someone changed the thing first) or `period_locked`, 422 `invalid` (with `errors` per field) or
`invalid_rows` (file import, with `errors: [{line, reason}]`), 413 `too_large` (a file past the limit).
"""

from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from fastapi.responses import JSONResponse

from kernel import memory
from kernel.app import RuntimeDep, SessionDep
from kernel.identity import IdentityDep
from kernel.ids import Cursor, Id
from kernel.uploads import received_file
from services.indicateurs import exports, service
from services.indicateurs.models import ImportRun, State
from services.indicateurs.schemas import (
    BulkApproval,
    BulkOutcome,
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
    QueueOut,
    RejectIn,
    SeriesOut,
    SubmissionDetail,
    SubmissionIn,
    SubmissionOut,
    TodoOut,
)

router = APIRouter(prefix="/api/v1", tags=["indicateurs"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONFLICT = {409: {"description": "Modifié entre-temps, ou période verrouillée"}}
FORBIDDEN = {403: {"description": "Rôle ou organisation ne le permettant pas"}}


# --- definitions ---------------------------------------------------------------------------------------------

@router.get("/definitions")
async def definitions(session: SessionDep, _who: IdentityDep, engagement: Id | None = None) -> list[DefinitionOut]:
    """The indicator definitions, optionally for one engagement."""
    return await service.list_definitions(session, engagement)


@router.get("/definitions/{indicator_id}")
async def definition(indicator_id: Id, session: SessionDep, _who: IdentityDep) -> DefinitionDetail:
    """One definition with all its versions."""
    return await service.get_definition(session, indicator_id)


@router.patch("/definitions/{indicator_id}", responses={**FORBIDDEN, **CONFLICT})
async def update_definition(indicator_id: Id, update: DefinitionUpdate, session: SessionDep, runtime: RuntimeDep,
                            who: IdentityDep) -> DefinitionDetail:
    """The secretariat refines a definition from the version it read (only the fields sent change)."""
    return await service.update_definition(session, runtime.outbox, indicator_id=indicator_id, update=update,
                                           identity=who)


@router.get("/definitions/{indicator_id}/series")
async def series(indicator_id: Id, session: SessionDep, _who: IdentityDep) -> SeriesOut:
    """Approved values by period (and QPV when broken down), with the target: a chart and its data table."""
    return await service.series(session, indicator_id)


@router.get("/latest-values")
async def latest_values(engagement: Id, session: SessionDep, _who: IdentityDep) -> list[LatestValues]:
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
async def submissions(session: SessionDep, who: IdentityDep, indicator: Id | None = None, period: str | None = None,
                      organisation: str | None = None, qpv: str | None = None, state: State | None = None,
                      all_versions: bool = False) -> list[SubmissionOut]:
    """Values (latest versions unless `all_versions`); a referent sees its own organisation's."""
    return await service.list_submissions(session, identity=who, indicator=indicator, period=period,
                                          organisation=organisation, qpv=qpv, state=state, all_versions=all_versions)


@router.get("/submissions/{submission_id}", responses=FORBIDDEN)
async def submission(submission_id: Id, session: SessionDep, who: IdentityDep) -> SubmissionDetail:
    """One version of a value, with every version of it."""
    return await service.get_submission(session, submission_id, who)


@router.post("/submissions/{submission_id}/submit", responses={**FORBIDDEN, **CONFLICT})
async def submit_draft(submission_id: Id, session: SessionDep, runtime: RuntimeDep,
                       who: IdentityDep) -> SubmissionDetail:
    """A referent submits its organisation's draft to the secretariat."""
    return await service.submit_draft(session, runtime.outbox, submission_id=submission_id, identity=who)


@router.post("/submissions/{submission_id}/approve", responses={**FORBIDDEN, **CONFLICT})
async def approve(submission_id: Id, session: SessionDep, runtime: RuntimeDep, who: IdentityDep) -> SubmissionDetail:
    """The secretariat approves the latest version of a value."""
    return await service.approve(session, runtime.outbox, submission_id=submission_id, identity=who)


@router.post("/submissions/{submission_id}/reject", responses={**FORBIDDEN, **CONFLICT})
async def reject(submission_id: Id, data: RejectIn, session: SessionDep, runtime: RuntimeDep,
                 who: IdentityDep) -> SubmissionDetail:
    """The secretariat returns the latest version of a value for revision, with a reason."""
    return await service.reject(session, runtime.outbox, submission_id=submission_id, reason=data.reason,
                                identity=who)


# --- the validation queue ----------------------------------------------------------------------------------

@router.get("/validation-queue", responses=FORBIDDEN)
async def validation_queue(session: SessionDep, who: IdentityDep, organisation: str | None = None,
                           engagement: Id | None = None, period: str | None = None,
                           campaign: Id | None = None, offset: Cursor = 0,
                           limit: Annotated[int, Query(ge=1, le=500)] = 100) -> QueueOut:
    """The secretariat's queue, a page at a time: submitted values across indicators, each beside the previous
    value of its series."""
    return await service.queue(session, identity=who, organisation=organisation, engagement=engagement,
                               period=period, campaign_id=campaign, offset=offset, limit=limit)


@router.post("/submissions/approvals", responses=FORBIDDEN)
async def approve_many(data: BulkApproval, session: SessionDep, runtime: RuntimeDep, who: IdentityDep) -> BulkOutcome:
    """The secretariat approves a selection: each value under its own rules (four eyes, latest version, state),
    one transaction and one event per value; the refused ones are listed with their reason."""
    return await service.approve_many(session, runtime.outbox, ids=data.ids, identity=who)


# --- bulk import ---------------------------------------------------------------------------------------------

FILE_BODY = {"requestBody": {"content": {
    "text/csv": {"schema": {"type": "string"}},
    XLSX: {"schema": {"type": "string", "format": "binary"}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string",
                                                                                   "format": "binary"}}}},
}}}
BIG_IMPORT_ROWS = 1000  # from this many rows, the memory of an import is handed back once it is answered
IMPORT_REFUSALS = {
    **FORBIDDEN, **CONFLICT,
    413: {"description": "Fichier trop volumineux : `{code: too_large, limit}`"},
    422: {"description": "Lignes invalides : `{code: invalid_rows, errors: [{line, reason}], lines, skipped}`"},
}


@router.post("/imports", status_code=201, responses=IMPORT_REFUSALS, openapi_extra=FILE_BODY)
async def import_values(request: Request, response: Response, tasks: BackgroundTasks, session: SessionDep,
                        runtime: RuntimeDep, who: IdentityDep, dry_run: bool = False) -> ImportReport:
    """Imports a file of values, CSV or .xlsx (format: module `services.indicateurs.csv_format`), all or nothing.

    The file is the request body (`text/csv`, or an .xlsx workbook) or the `file` field of a form
    (`multipart/form-data`). `dry_run=true` checks it and reports what an import would do, recording nothing.
    """
    content, filename = await received_file(request, runtime.settings.import_max_bytes)  # type: ignore[attr-defined]
    report = await service.import_csv(session, runtime.outbox, content=content, filename=filename, identity=who,
                                      dry_run=dry_run)
    if dry_run:
        response.status_code = 200
    if report.rows >= BIG_IMPORT_ROWS:  # once answered, the file's rows are garbage: hand their memory back
        tasks.add_task(memory.give_back)
    return report


@router.post("/imports/previews", status_code=201, responses=IMPORT_REFUSALS, openapi_extra=FILE_BODY)
async def preview_import(request: Request, session: SessionDep, runtime: RuntimeDep, who: IdentityDep) -> ImportReport:
    """Checks a file and keeps it for its sender to confirm: what it would record (counts and values), nothing
    recorded yet. Confirm with `POST /imports/previews/{preview_id}/confirm` within a day."""
    content, filename = await received_file(request, runtime.settings.import_max_bytes)  # type: ignore[attr-defined]
    return await service.preview_import(session, content=content, filename=filename, identity=who)


@router.post("/imports/previews/{preview_id}/confirm", status_code=201, responses=IMPORT_REFUSALS)
async def confirm_import(preview_id: Id, tasks: BackgroundTasks, session: SessionDep, runtime: RuntimeDep,
                         who: IdentityDep) -> ImportReport:
    """Imports a previewed file (checked again), all or nothing; its sender only."""
    report = await service.confirm_import(session, runtime.outbox, preview_id=preview_id, identity=who)
    if report.rows >= BIG_IMPORT_ROWS:
        tasks.add_task(memory.give_back)
    return report


@router.get("/imports/{import_id}", responses=FORBIDDEN)
async def import_run(import_id: Id, session: SessionDep, who: IdentityDep) -> ImportRun:
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
async def campaign(campaign_id: Id, session: SessionDep, _who: IdentityDep) -> CampaignOut:
    """A campaign with its openings, closings and reopenings (who, when, why)."""
    return await service.get_campaign(session, campaign_id)


@router.post("/campaigns/{campaign_id}/close", responses={**FORBIDDEN, **CONFLICT})
async def close_campaign(campaign_id: Id, session: SessionDep, runtime: RuntimeDep, who: IdentityDep,
                         data: CampaignClose | None = None) -> CampaignOut:
    """The secretariat closes a campaign now: its period is locked."""
    return await service.close_campaign(session, runtime.outbox, campaign_id=campaign_id,
                                        data=data or CampaignClose(), identity=who)


@router.post("/campaigns/{campaign_id}/reopen", responses={**FORBIDDEN, **CONFLICT})
async def reopen_campaign(campaign_id: Id, data: CampaignReopen, session: SessionDep, runtime: RuntimeDep,
                          who: IdentityDep) -> CampaignOut:
    """The secretariat reopens a closed campaign, with a reason and (if its date passed) a new closing date."""
    return await service.reopen_campaign(session, runtime.outbox, campaign_id=campaign_id, data=data, identity=who)


@router.get("/campaigns/{campaign_id}/todo", responses=FORBIDDEN)
async def todo(campaign_id: Id, session: SessionDep, who: IdentityDep, organisation: str | None = None) -> TodoOut:
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
async def export_csv(session: SessionDep, _who: IdentityDep, engagement: Id | None = None,
                     indicator: Id | None = None, period: str | None = None, qpv: str | None = None,
                     sep: Literal[",", ";"] = ",") -> Response:
    """Approved values as CSV (columns: see `/exports/schema`)."""
    rows = await service.approved_values(session, engagement=engagement, indicator=indicator, period=period, qpv=qpv)
    return Response(exports.to_csv(rows, sep), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="valeurs-indicateurs.csv"'})


@router.get("/exports/values.xlsx", response_class=Response,
            responses={200: {"content": {XLSX: {}}, "description": "Valeurs approuvées (.xlsx)"}})
async def export_xlsx(session: SessionDep, _who: IdentityDep, engagement: Id | None = None,
                      indicator: Id | None = None, period: str | None = None, qpv: str | None = None) -> Response:
    """Approved values as an .xlsx workbook (same columns as the CSV, plus the QPV's name)."""
    rows = await service.approved_values(session, engagement=engagement, indicator=indicator, period=period, qpv=qpv)
    return Response(exports.to_xlsx(rows), media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="valeurs-indicateurs.xlsx"'})


@router.get("/exports/values.json")
async def export_json(session: SessionDep, _who: IdentityDep, engagement: Id | None = None,
                      indicator: Id | None = None, period: str | None = None,
                      qpv: str | None = None) -> JSONResponse:
    """Approved values as JSON: `{columns, filters, count, values}`."""
    rows = await service.approved_values(session, engagement=engagement, indicator=indicator, period=period, qpv=qpv)
    filters = {"engagement": engagement, "indicator": indicator, "period": period, "qpv": qpv}
    return JSONResponse(exports.to_json(rows, filters))
