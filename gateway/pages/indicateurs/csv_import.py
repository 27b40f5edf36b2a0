"""The import of indicator values from a file, CSV or .xlsx: its documented format, a template to fill (.xlsx or
CSV, with the indicator's label, engagement, unit and expected QPV as read-only columns), then the file previewed
(« 79 lignes : 12 valeurs à enregistrer, 67 lignes vides ignorées, 0 erreur », every bad line with its reason)
and, once confirmed, recorded all or nothing by the indicateurs service (which keeps the previewed file)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from gateway.clients import ServiceCalls, ServiceError
from gateway.deps import AccessDenied, CallsDep, CurrentViewer, Viewer
from gateway.forms import Notice, refusal
from gateway.pages.indicateurs.period_choices import default_period, parts_of
from gateway.pages.lookups import indicator_qpv, optional
from gateway.rendering import is_htmx, render
from kernel import spreadsheets
from kernel.ids import Id

router = APIRouter()

IMPORT_COLUMNS = (
    ("indicateur", True, "Numéro de l'indicateur (colonne « N° » de la liste ci-dessous)."),
    ("periode", True, ("2020 (année), 2020-S1 ou 2020-S2 (semestre), 2020-T1 à 2020-T4 (trimestre), selon "
                       "la périodicité de l'indicateur.")),
    ("qpv", True, "Identifiant ou code national du quartier pour un indicateur décliné par QPV ; vide sinon."),
    ("valeur", True, ("Un nombre : virgule ou point pour les décimales, espaces acceptés entre les milliers "
                      "(1 234,5) ; négatif seulement pour les indicateurs qui l'acceptent. Vide : la ligne est "
                      "ignorée (et comptée).")),
    ("qualification", False, "provisoire, estimé ou définitif (accents facultatifs) ; vide vaut provisoire."),
    ("commentaire", False, "Texte libre, 4 000 caractères au plus."),
    ("source", False, "D'où vient le chiffre, 500 caractères au plus."),
)
HEADER = "indicateur;periode;qpv;valeur;qualification;commentaire;source"
# The template's columns; those not in IMPORT_COLUMNS are read-only reminders the import ignores.
TEMPLATE = ("indicateur", "libellé", "engagement", "unité", "periode", "qpv", "quartier", "valeur", "qualification",
            "commentaire", "source")
READ_ONLY = ("indicateur", "libellé", "engagement", "unité", "qpv", "quartier")
TEMPLATE_WIDTHS = (11, 60, 11, 10, 10, 18, 24, 12, 14, 40, 24)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def previous(period: str) -> str:
    """The same period a year earlier."""
    return f"{int(period[:4]) - 1}{period[4:]}" if period[:4].isdigit() else period


def example(mine: list[dict[str, Any]], qpv: list[dict[str, Any]]) -> str:
    """A short example file, on the viewer's own indicators when it has some."""
    plain = next((d for d in mine if not d["by_qpv"]), None)
    by_qpv = next((d for d in mine if d["by_qpv"]), None)
    first = plain["id"] if plain else 12
    period = default_period(plain["periodicity"], []) if plain else "2025"
    lines = [HEADER, f"{first};{period};;120;définitif;;Fichier de suivi"]
    if by_qpv:
        q = (by_qpv["qpv"] or [x["id"] for x in qpv] or ["malakoff"])[0]
        lines.append(f'{by_qpv["id"]};{default_period(by_qpv["periodicity"], [])};{q};1 234,5;provisoire;'
                     '"à confirmer ; chiffre partiel";Comptage')
    else:
        lines.append(f'{first};{previous(period)};;98,5;estimé;"chiffre partiel ; à confirmer";Comptage')
    return "\n".join(lines) + "\n"


async def _import_context(viewer: Viewer, calls: ServiceCalls) -> dict[str, Any]:
    mine: list[dict[str, Any]] = []
    qpv: list[dict[str, Any]] = []
    campaigns: list[dict[str, Any]] = []
    if viewer.is_referent:
        definitions, qpv, campaigns = await asyncio.gather(
            calls.get("indicateurs", "/api/v1/definitions"), indicator_qpv(calls),
            optional(calls.get("indicateurs", "/api/v1/campaigns"), []))
        mine = [d for d in definitions if viewer.organisation_id in d["responsible"] and not d.get("computed")]
    return {"page_title": "Importer des valeurs", "nav": "indicateurs", "sub": "import", "columns": IMPORT_COLUMNS,
            "example": example(mine, qpv), "mine": mine, "qpv_list": qpv, "campaigns": campaigns, "result": None}


def template_rows(mine: list[dict[str, Any]], qpv: list[dict[str, Any]],
                  campaigns: list[dict[str, Any]]) -> list[list[Any]]:
    """One line per value the organisation owes: for the open campaign's period, each QPV when broken down."""
    names = {q["id"]: q["name"] for q in qpv}
    open_periods = [c["period"] for c in campaigns if not c["locked"]]
    rows = []
    for d in mine:
        locked = {p for c in campaigns if c["locked"] for p in parts_of(c["period"], d["periodicity"])}
        period = default_period(d["periodicity"], open_periods, locked=locked)
        for q in ((d["qpv"] or list(names)) if d["by_qpv"] else [""]):
            rows.append([d["id"], d["label"], d["engagement_number"], d["unit"], period, q, names.get(q, ""), None,
                         "provisoire", None, None])
    return rows


def _refused_file(exc: ServiceError) -> dict[str, Any]:
    """The outcome of a refused file: every bad line with its reason, or the one reason for the whole file."""
    if exc.code == "invalid_rows":
        errors = exc.body.get("errors") or []
        return {"kind": "rows", "errors": errors, "count": len(errors), "lines": exc.body.get("lines"),
                "skipped": exc.body.get("skipped")}
    unreadable = isinstance(exc.body, dict) and bool(exc.body.get("errors"))  # no file part in the request
    invalid = "Le fichier n'a pas pu être lu : joignez un fichier CSV ou .xlsx." if unreadable else None
    outcome = refusal(exc, fallback="Import refusé.", invalid=invalid)
    return {"kind": "notice", "notice": outcome.notice}


async def _result(request: Request, viewer: Viewer, calls: ServiceCalls, result: dict[str, Any],
                  status_code: int) -> Response:
    if is_htmx(request):
        return render(request, "indicateurs/import.html", {"result": result}, block="resultat",
                      status_code=status_code)
    context = await _import_context(viewer, calls)
    context["result"] = result
    return render(request, "indicateurs/import.html", context, status_code=status_code)


@router.get("/indicateurs/import")
async def import_page(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The documented format, the templates, the viewer's indicators with their numbers, and the upload form."""
    context = await _import_context(viewer, calls)
    run_id = request.query_params.get("import", "")
    if run_id.isdigit() and len(run_id) <= 12:
        try:
            run = await calls.get("indicateurs", f"/api/v1/imports/{run_id}")
        except ServiceError:
            run = None
        if run is not None:
            context["result"] = {"kind": "done", "report": run}
    return render(request, "indicateurs/import.html", context)


@router.post("/indicateurs/import")
async def preview_file(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """Sends the file to be checked and kept for confirmation; shows what it would record, or every bad line.

    The file was spooled to a temporary file as it arrived (the body limit enforced while reading) and is passed
    on to the service in chunks, never held whole in memory here.
    """
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.size:
        notice = Notice("error", "Choisissez un fichier (CSV ou .xlsx) à envoyer : aucun fichier n'a été reçu.")
        return await _result(request, viewer, calls, {"kind": "notice", "notice": notice}, 422)
    upload.file.seek(0)
    try:
        report = await calls.post_file("indicateurs", "/api/v1/imports/previews", filename=upload.filename or "",
                                       file=upload.file, content_type=upload.content_type or "text/csv")
    except ServiceError as exc:
        result, status_code = _refused_file(exc), exc.status_code
    else:
        result, status_code = {"kind": "preview", "report": report}, 200
    result["filename"] = upload.filename
    return await _result(request, viewer, calls, result, status_code)


@router.post("/indicateurs/import/{preview_id:int}/confirmer")
async def confirm(request: Request, preview_id: Id, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """Records a previewed file, all or nothing (the service checks it again)."""
    try:
        report = await calls.post("indicateurs", f"/api/v1/imports/previews/{preview_id}/confirm")
    except ServiceError as exc:
        if exc.status_code == 404:
            notice = Notice("error", exc.message or "Cet aperçu n'existe plus : envoyez le fichier de nouveau.")
            return await _result(request, viewer, calls, {"kind": "notice", "notice": notice}, 404)
        return await _result(request, viewer, calls, _refused_file(exc), exc.status_code)
    if not is_htmx(request):
        return RedirectResponse(f"/indicateurs/import?import={report['import_id']}#resultat-import", status_code=303)
    return await _result(request, viewer, calls, {"kind": "done", "report": report}, 201)


async def _template(viewer: Viewer, calls: ServiceCalls) -> tuple[list[list[Any]], dict[str, Any]]:
    if not viewer.is_referent:
        raise AccessDenied("Le modèle est préparé pour le référent d'une organisation.")
    context = await _import_context(viewer, calls)
    return template_rows(context["mine"], context["qpv_list"], context["campaigns"]), context


@router.get("/indicateurs/import/modele.xlsx")
async def template_xlsx(viewer: CurrentViewer, calls: CallsDep) -> Response:
    """A workbook ready to fill: one line per value the organisation owes, read-only columns greyed and locked."""
    rows, _ = await _template(viewer, calls)
    content = spreadsheets.to_xlsx([spreadsheets.Sheet(title="Valeurs", header=TEMPLATE, rows=rows,
                                                       widths=TEMPLATE_WIDTHS, locked=READ_ONLY)])
    return Response(content, media_type=XLSX, headers={
        "Content-Disposition": 'attachment; filename="modele-valeurs-indicateurs.xlsx"', "Cache-Control": "no-store"})


@router.get("/indicateurs/import/modele.csv")
async def template_csv(viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The same lines as CSV (`;`, UTF-8 with a byte-order mark so that Excel reads the accents)."""
    rows, _ = await _template(viewer, calls)
    text = spreadsheets.to_csv(TEMPLATE, rows, sep=";")
    return Response("\ufeff" + text, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="modele-valeurs-indicateurs.csv"', "Cache-Control": "no-store"})
