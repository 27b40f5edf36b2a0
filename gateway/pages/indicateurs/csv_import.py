"""The CSV import of indicator values: its documented format, an example and a template to fill, the file checked
first (every bad line with its reason) then imported all or nothing."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from gateway.clients import ServiceCalls, ServiceError
from gateway.deps import AccessDenied, CallsDep, CurrentViewer, Viewer
from gateway.forms import Notice, refusal
from gateway.pages.indicateurs.period_choices import default_period
from gateway.pages.lookups import indicator_qpv
from gateway.rendering import is_htmx, render

router = APIRouter()

IMPORT_COLUMNS = (
    ("indicateur", True, "Numéro de l'indicateur (colonne « N° » de la liste ci-dessous)."),
    ("periode", True, ("2020 (année), 2020-S1 ou 2020-S2 (semestre), 2020-T1 à 2020-T4 (trimestre), selon "
                       "la périodicité de l'indicateur.")),
    ("qpv", True, "Identifiant ou code national du quartier pour un indicateur décliné par QPV ; vide sinon."),
    ("valeur", True, ("Un nombre : virgule ou point pour les décimales, espaces acceptés entre les milliers "
                      "(1 234,5) ; négatif seulement pour les indicateurs qui l'acceptent.")),
    ("qualification", True, "provisoire, estimé ou définitif (accents facultatifs) ; vide vaut provisoire."),
    ("commentaire", False, "Texte libre, 4 000 caractères au plus."),
    ("source", False, "D'où vient le chiffre, 500 caractères au plus."),
)
HEADER = "indicateur;periode;qpv;valeur;qualification;commentaire;source"


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
    if viewer.is_referent:
        definitions, qpv = await asyncio.gather(calls.get("indicateurs", "/api/v1/definitions"), indicator_qpv(calls))
        mine = [d for d in definitions if viewer.organisation_id in d["responsible"]]
    return {"page_title": "Import CSV de valeurs", "nav": "indicateurs", "sub": "import", "columns": IMPORT_COLUMNS,
            "example": example(mine, qpv), "mine": mine, "qpv_list": qpv, "result": None}


def _refused_file(exc: ServiceError) -> dict[str, Any]:
    """The outcome of a refused file: every bad line with its reason, or the one reason for the whole file."""
    if exc.code == "invalid_rows":
        errors = exc.body.get("errors") or []
        return {"kind": "rows", "errors": errors, "count": len(errors)}
    unreadable = isinstance(exc.body, dict) and bool(exc.body.get("errors"))  # no file part in the request
    outcome = refusal(exc, fallback="Import refusé.",
                      invalid="Le fichier n'a pas pu être lu : joignez un fichier CSV." if unreadable else None)
    return {"kind": "notice", "notice": outcome.notice}


@router.get("/indicateurs/import")
async def import_page(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The documented format, the viewer's indicators with their numbers, and the upload form."""
    context = await _import_context(viewer, calls)
    run_id = request.query_params.get("import", "")
    if run_id.isdigit():
        try:
            run = await calls.get("indicateurs", f"/api/v1/imports/{run_id}")
        except ServiceError:
            run = None
        if run is not None:
            context["result"] = {"kind": "done", "report": run}
    return render(request, "indicateurs/import.html", context)


@router.post("/indicateurs/import")
async def import_file(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """Checks (`action=verifier`) or imports a CSV file; htmx gets just the outcome."""
    form = await request.form()
    upload = form.get("file")
    dry_run = form.get("action") == "verifier"
    status_code = 200
    result: dict[str, Any]
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    if not content:
        result = {"kind": "notice",
                  "notice": Notice("error", "Choisissez un fichier CSV à envoyer : aucun fichier n'a été reçu.")}
        status_code = 422
    else:
        try:
            report = await calls.post_file("indicateurs", "/api/v1/imports", content, "text/csv; charset=utf-8",
                                           dry_run="true" if dry_run else None)
        except ServiceError as exc:
            result, status_code = _refused_file(exc), exc.status_code
        else:
            if not dry_run and not is_htmx(request):
                return RedirectResponse(f"/indicateurs/import?import={report['import_id']}#resultat-import",
                                        status_code=303)
            result = {"kind": "checked" if dry_run else "done", "report": report}
            status_code = 200 if dry_run else 201
    filename = upload.filename if isinstance(upload, UploadFile) else None
    result["filename"] = filename
    if is_htmx(request):
        return render(request, "indicateurs/import.html", {"result": result}, block="resultat",
                      status_code=status_code)
    context = await _import_context(viewer, calls)
    context["result"] = result
    return render(request, "indicateurs/import.html", context, status_code=status_code)


@router.get("/indicateurs/import/modele.csv")
async def import_template(viewer: CurrentViewer, calls: CallsDep) -> Response:
    """A file ready to fill: one line per indicator (and QPV) the viewer's organisation reports, last year."""
    if not viewer.is_referent:
        raise AccessDenied("Le modèle est préparé pour le référent d'une organisation.")
    context = await _import_context(viewer, calls)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([c[0] for c in IMPORT_COLUMNS])
    all_qpv = [q["id"] for q in context["qpv_list"]]
    for d in context["mine"]:
        period = default_period(d["periodicity"], [])
        for qpv in ((d["qpv"] or all_qpv) if d["by_qpv"] else [""]):
            writer.writerow([d["id"], period, qpv, "", "provisoire", "", ""])
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="modele-valeurs-indicateurs.csv"',
                             "Cache-Control": "no-store"})
