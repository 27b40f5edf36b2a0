"""The engagements' status for the COPIL, with the overview's filters, as an .xlsx workbook (a sheet of
engagements and a sheet of every pilot's part) or as CSV (one line per engagement), for the secretariat's own
spreadsheets. Text cells that a spreadsheet would run as formulas are neutralised (`kernel.spreadsheets`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.deps import CallsDep, CurrentViewer
from gateway.formatting import local_datetime
from gateway.labels import STATUSES
from gateway.pages.engagements.overview import filtered
from kernel import french, spreadsheets

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ENGAGEMENT_COLUMNS = ("N°", "Engagement", "Axe", "Thème", "Pilotes", "Statut", "Avancement (%)", "Quartiers (QPV)",
                      "Dernière mise à jour")
PART_COLUMNS = ("N°", "Engagement", "Pilote", "Statut", "Avancement (%)", "Prochaine étape", "Date prévue",
                "Quartiers (QPV)", "Commentaire", "Mise à jour", "Par")


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def engagement_rows(items: list[dict[str, Any]], qpv_names: dict[str, str]) -> list[list[Any]]:
    return [[e["number"], e["title"], f"{e['axis_number']}. {e['axis_title']}", e["theme_title"],
             ", ".join(e["pilot_names"]), STATUSES.get(e["status"], e["status"]), e["progress"],
             ", ".join(qpv_names.get(q, q) for q in e["qpv"]), local_datetime(e["last_update"])] for e in items]


def part_rows(details: list[dict[str, Any]], numbers: set[int], qpv_names: dict[str, str]) -> list[list[Any]]:
    rows = []
    for e in details:
        if e["number"] not in numbers:
            continue
        for p in e["parts"]:
            if not p["active"] and not p["updated_at"]:
                continue
            rows.append([e["number"], e["title"], p["organisation_name"] + ("" if p["active"] else " (ancien pilote)"),
                         STATUSES.get(p["status"], p["status"]), p["progress"], p["next_milestone"],
                         _day(p["next_milestone_date"]), ", ".join(qpv_names.get(q, q) for q in p["qpv"]),
                         p["comment"], local_datetime(p["updated_at"]), p["updated_by_name"]])
    return rows


def _filename(kind: str) -> str:
    return f"engagements-{french.today().isoformat()}.{kind}"


@router.get("/vue-d-ensemble/export.xlsx")
async def export_xlsx(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The engagements kept by the overview's filters, and their pilots' parts, as a workbook."""
    found = await filtered(request, calls)
    qpv_names = {q["id"]: q["name"] for q in found["qpv_list"]}
    details = await calls.get("engagements", "/api/v1/engagements/with-parts")
    numbers = {e["number"] for e in found["items"]}
    content = spreadsheets.to_xlsx([
        spreadsheets.Sheet("Engagements", ENGAGEMENT_COLUMNS, engagement_rows(found["items"], qpv_names),
                           widths=(6, 60, 30, 30, 40, 12, 14, 30, 18)),
        spreadsheets.Sheet("Parts des pilotes", PART_COLUMNS, part_rows(details, numbers, qpv_names),
                           widths=(6, 50, 36, 12, 14, 36, 12, 30, 60, 18, 22)),
    ])
    return Response(content, media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="{_filename("xlsx")}"', "Cache-Control": "no-store"})


@router.get("/vue-d-ensemble/export.csv")
async def export_csv(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """The engagements kept by the overview's filters as CSV (`;`, UTF-8 with a byte-order mark for Excel)."""
    found = await filtered(request, calls)
    qpv_names = {q["id"]: q["name"] for q in found["qpv_list"]}
    rows = [[*row[:-1], row[-1].isoformat(sep=" ") if row[-1] else None]
            for row in engagement_rows(found["items"], qpv_names)]
    text = spreadsheets.to_csv(ENGAGEMENT_COLUMNS, rows, sep=";")
    return Response("\ufeff" + text, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{_filename("csv")}"', "Cache-Control": "no-store"})
