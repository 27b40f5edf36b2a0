"""Open data of the appel à projets: the funded projects of every year, one row per project and funder, described
here (`SCHEMA`, a Frictionless Table Schema with titles and constraints) and served by the portal's dataset registry
at `/donnees-ouvertes/projets-finances.csv|.json`, with the others (`gateway.pages.public.datasets`). The first
addresses, `/donnees/projets-finances.*`, lead there for good (308)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException

router = APIRouter()
NAME = "projets-finances"
TITLE = "Projets financés par l'appel à projets"
DESCRIPTION = ("Projets financés de l'appel à projets du contrat de ville (engagement 49), un par financeur ; les "
               "projets refusés ou en attente n'y sont pas.")


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


@router.get("/donnees/projets-finances.{kind}")
async def moved(kind: str) -> RedirectResponse:
    """The first addresses of this dataset: to the registry's, for good (a description: to the data package)."""
    target = {"csv": f"{NAME}.csv", "json": f"{NAME}.json", "schema.json": "datapackage.json"}.get(kind)
    if target is None:
        raise HTTPException(404)
    return RedirectResponse(f"/donnees-ouvertes/{target}", status_code=308)
