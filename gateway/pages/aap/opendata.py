"""Open data: the funded projects of every year as CSV (`;`, UTF-8, a header) and JSON, described by a Frictionless
Table Schema (`SCHEMA`, also served as JSON) for the data package. One row per funded project and funder."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.deps import OptionalViewer
from gateway.pages.participation.common import AnyCalls
from kernel.spreadsheets import to_csv

router = APIRouter()
CSV_PATH, JSON_PATH, SCHEMA_PATH = ("/donnees/projets-finances.csv", "/donnees/projets-finances.json",
                                    "/donnees/projets-finances.schema.json")


def _field(name: str, type_: str, title: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, "title": title, "description": description, **extra}


SCHEMA: dict[str, Any] = {
    "fields": [
        _field("annee", "integer", "Année", "Année de l'appel à projets."),
        _field("projet_id", "string", "Identifiant du projet", "Identifiant stable du projet dans la plateforme."),
        _field("association", "string", "Association", "Association qui porte le projet."),
        _field("rna_siren", "string", "RNA ou SIREN", "Numéro RNA (W + 9 chiffres) ou SIREN (9 chiffres).",
               constraints={"pattern": "W[0-9]{9}|[0-9]{9}"}),
        _field("titre", "string", "Titre", "Titre du projet."),
        _field("resume", "string", "Résumé", "Résumé du projet."),
        _field("qpv", "string", "QPV", "Quartiers prioritaires du projet (identifiants séparés par |)."),
        _field("themes", "string", "Thèmes", "Thèmes du contrat servis (identifiants séparés par |)."),
        _field("engagements", "string", "Engagements", "Numéros des engagements servis (séparés par |)."),
        _field("financeur_id", "string", "Identifiant du financeur", "Organisation du contrat qui finance."),
        _field("financeur", "string", "Financeur", "Nom du financeur."),
        _field("montant_demande", "integer", "Montant demandé (€)", "Montant demandé par le projet, en euros.",
               constraints={"minimum": 0}),
        _field("montant_accorde", "integer", "Montant accordé (€)", "Montant accordé par ce financeur, en euros.",
               constraints={"minimum": 0}),
        _field("date_decision", "date", "Date de décision", "Date de la décision du financeur."),
        _field("montant_verse", "integer", "Montant versé (€)", "Total versé à ce jour par ce financeur, en euros.",
               constraints={"minimum": 0}),
        _field("date_premier_versement", "date", "Premier versement", "Date du premier versement (vide : aucun)."),
        _field("cpo", "string", "CPO", "Convention pluriannuelle d'objectifs : non, nouvelle ou en_cours.",
               constraints={"enum": ["non", "nouvelle", "en_cours"]}),
        _field("demo", "boolean", "Démonstration", "Vrai pour une donnée fictive de démonstration."),
    ],
    "primaryKey": ["projet_id", "financeur_id"],
    "missingValues": [""],
}
RESOURCE: dict[str, Any] = {  # the entry of the portal's datapackage.json
    "name": "projets-finances", "path": CSV_PATH.lstrip("/"), "format": "csv", "mediatype": "text/csv",
    "encoding": "utf-8", "dialect": {"delimiter": ";"}, "title": "Projets financés par l'appel à projets",
    "description": "Projets financés de l'appel à projets du contrat de ville (engagement 49), un par financeur ; "
                   "les projets refusés ou en attente n'y sont pas.", "schema": SCHEMA,
}
COLUMNS = [f["name"] for f in SCHEMA["fields"]]


async def _rows(calls: Any) -> list[dict[str, Any]]:
    return await calls.get("participation", "/api/v1/aap/funded-projects")


@router.get(CSV_PATH)
async def funded_csv(request: Request, viewer: OptionalViewer, calls: AnyCalls) -> Response:
    rows = await _rows(calls)
    body = to_csv(COLUMNS, ([r[c] if c != "demo" else ("true" if r[c] else "false") for c in COLUMNS] for r in rows),
                  sep=";")
    return Response(body.encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="projets-finances.csv"',
                             "Cache-Control": "public, max-age=300"})


@router.get(JSON_PATH)
async def funded_json(request: Request, viewer: OptionalViewer, calls: AnyCalls) -> Response:
    rows = await _rows(calls)
    body = {"licence": "Licence Ouverte 2.0", "schema": SCHEMA_PATH, "projets": [{c: r[c] for c in COLUMNS}
                                                                                 for r in rows]}
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/json",
                    headers={"Cache-Control": "public, max-age=300"})


@router.get(SCHEMA_PATH)
async def schema() -> Response:
    return Response(json.dumps(SCHEMA, ensure_ascii=False), media_type="application/json")
