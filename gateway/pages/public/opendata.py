"""Open data: every public dataset as CSV and JSON at a stable address, described by a Frictionless Data Package
(`/donnees-ouvertes/datapackage.json`, each resource with its Table Schema), under the Licence Ouverte 2.0.

CSV: UTF-8 with a byte-order mark (so that Excel, like LibreOffice, opens it with its accents intact), `;`
separator (what a spreadsheet set to French expects), decimal point, one header line, CRLF line ends, every text
cell that a spreadsheet would run as a formula prefixed with an apostrophe (`kernel.spreadsheets`).
JSON: `{"dataset", "licence", "fields", "count", "rows"}`, values as they are (not neutralised: no spreadsheet).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from gateway.deps import OptionalViewer
from gateway.pages.public.caching import cached
from gateway.pages.public.datasets import DATASETS, Column, Dataset, find
from gateway.pages.public.store import store
from gateway.rendering import render
from kernel import spreadsheets

router = APIRouter(prefix="/donnees-ouvertes")
LICENCE = {"name": "etalab-2.0", "title": "Licence Ouverte / Open Licence version 2.0",
           "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"}
BOM = "\ufeff"
SEP = ";"


def _table_schema(columns: tuple[Column, ...], dataset: Dataset) -> dict[str, Any]:
    schema: dict[str, Any] = {"fields": [_field(c) for c in columns], "missingValues": [""]}
    if dataset.primary_key:
        schema["primaryKey"] = list(dataset.primary_key)
    return schema


def _field(column: Column) -> dict[str, Any]:
    field: dict[str, Any] = {"name": column.name, "type": column.type, "description": column.description}
    if column.title:
        field["title"] = column.title
    if column.constraints:
        field["constraints"] = dict(column.constraints)
    return field


def _cell(value: Any, column: Column) -> Any:
    if value is None:
        return None
    if column.type == "datetime":
        return str(value).replace("Z", "+00:00")
    return value


def _csv_cell(value: Any, column: Column) -> Any:
    if column.type == "boolean" and isinstance(value, bool):
        return "true" if value else "false"  # Table Schema's own spelling, not Python's
    return _cell(value, column)


def to_csv(columns: tuple[Column, ...], rows: list[dict[str, Any]]) -> bytes:
    lines = spreadsheets.to_csv([c.name for c in columns],
                                ([_csv_cell(row.get(c.name), c) for c in columns] for row in rows), SEP)
    return (BOM + lines).encode("utf-8")


async def _resources(request: Request) -> list[dict[str, Any]]:
    data = store(request)
    schemas = await asyncio.gather(*(d.fields(data) for d in DATASETS))
    out = []
    for dataset, columns in zip(DATASETS, schemas, strict=True):
        out.append({"profile": "tabular-data-resource", "name": dataset.name, "title": dataset.title,
                    "description": dataset.description,
                    "path": f"{dataset.name}.csv", "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
                    "dialect": {"delimiter": SEP, "header": True}, "licenses": [LICENCE],
                    "schema": _table_schema(columns, dataset)})
    return out


@router.get("")
async def index(request: Request, _viewer: OptionalViewer) -> Response:
    """The datasets, their columns and their files."""

    async def make() -> Response:
        return render(request, "public/donnees_ouvertes.html", {
            "page_title": "Données ouvertes", "nav": "donnees-ouvertes", "resources": await _resources(request),
            "licence": LICENCE})

    return await cached(request, make)


@router.get("/datapackage.json")
async def datapackage(request: Request) -> Response:
    """The Frictionless Data Package describing every dataset (paths relative to this file)."""

    async def make() -> Response:
        territory = request.app.state.settings.territory
        return JSONResponse({
            "profile": "tabular-data-package", "name": "contrat-de-ville",
            "title": f"Contrat de ville · {territory} — données ouvertes",
            "description": "Le suivi public du contrat de ville : engagements et leur avancement, valeurs validées "
                           "des indicateurs, décisions des instances.",
            "homepage": str(request.base_url).rstrip("/") + "/donnees-ouvertes", "language": "fr",
            "licenses": [LICENCE], "resources": await _resources(request)})

    return await cached(request, make)


async def _dataset(request: Request, name: str) -> tuple[Dataset, tuple[Column, ...], list[dict[str, Any]]]:
    dataset = find(name)
    if dataset is None:
        raise HTTPException(404)
    data = store(request)
    columns, rows = await asyncio.gather(dataset.fields(data), dataset.rows(data))
    return dataset, columns, rows


@router.get("/{name}.csv")
async def dataset_csv(name: str, request: Request) -> Response:
    """A dataset as CSV."""

    async def make() -> Response:
        _, columns, rows = await _dataset(request, name)
        return Response(to_csv(columns, rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})

    return await cached(request, make)


@router.get("/{name}.json")
async def dataset_json(name: str, request: Request) -> Response:
    """A dataset as JSON."""

    async def make() -> Response:
        dataset, columns, rows = await _dataset(request, name)
        return JSONResponse({"dataset": dataset.name, "title": dataset.title, "licence": LICENCE,
                             "fields": [_field(c) for c in columns],
                             "count": len(rows), "rows": [{c.name: _cell(r.get(c.name), c) for c in columns}
                                                          for r in rows]})

    return await cached(request, make)
