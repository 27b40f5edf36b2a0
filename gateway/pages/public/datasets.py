"""The open-data datasets of the portal, as a registry: a dataset is one `Dataset` entry (its name, which is its
stable URL, its Table Schema fields and the function that reads its rows from the public store). Adding one
(the funded projects of the appel à projets, for instance) is adding an entry to `DATASETS`.

Every dataset is public data only: each service answers the public identity with its public view (approved
indicator values, public decisions, the engagements' public view).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from gateway.pages.aap import opendata as funded
from gateway.pages.public.store import PublicStore

# Table Schema types (https://specs.frictionlessdata.io/table-schema/) of the fields used here.
Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # string, integer, number, date, datetime, boolean
    description: str
    title: str = ""
    constraints: tuple[tuple[str, Any], ...] = ()  # Table Schema constraints, e.g. (("minimum", 0),)


@dataclass(frozen=True)
class Dataset:
    name: str  # also the file name: /donnees-ouvertes/<name>.csv and .json
    title: str
    description: str
    columns: tuple[Column, ...] | None  # None: asked from the service that owns the data (`schema`)
    rows: Callable[[PublicStore], Awaitable[Rows]]
    schema: Callable[[PublicStore], Awaitable[tuple[Column, ...]]] | None = None
    primary_key: tuple[str, ...] = ()

    async def fields(self, store: PublicStore) -> tuple[Column, ...]:
        if self.columns is not None:
            return self.columns
        assert self.schema is not None
        return await self.schema(store)


def _joined(values: list[Any]) -> str:
    return " ; ".join(str(v) for v in values)


async def _engagements(store: PublicStore) -> Rows:
    return [{"number": e["number"], "title": e["title"], "axis_number": e["axis_number"],
             "axis_title": e["axis_title"], "theme_id": e["theme_id"], "theme_title": e["theme_title"],
             "status": e["status"], "status_label": e["status_label"], "progress": e["progress"],
             "pilots": _joined([p["organisation_name"] for p in e["pilots"]]), "qpv": _joined(e["qpv"]),
             "last_update": e["last_update"]} for e in await store.engagements()]


async def _parts(store: PublicStore) -> Rows:
    return [{"engagement_number": e["number"], "organisation_id": p["organisation_id"],
             "organisation_name": p["organisation_name"], "status": p["status"], "status_label": p["status_label"],
             "progress": p["progress"], "qpv": _joined(p["qpv"]), "updated_at": p["updated_at"]}
            for e in await store.engagements() for p in e["pilots"]]


async def _values(store: PublicStore) -> Rows:
    return await store.values()


TYPES = {"string": "string", "integer": "integer", "number": "number", "datetime": "datetime", "date": "date"}


async def _values_schema(store: PublicStore) -> tuple[Column, ...]:
    """The columns the indicateurs service documents for its exports (`GET /api/v1/exports/schema`)."""
    documented = await store.get("indicateurs", "/api/v1/exports/schema")
    return tuple(Column(name, TYPES.get(c["type"], "string"), c["description"]) for name, c in documented.items())


async def _decisions(store: PublicStore) -> Rows:
    return [{"id": d["id"], "meeting_id": d["meeting_id"], "meeting_title": d["meeting_title"],
             "meeting_date": str(d["meeting_local_start"])[:10], "body_id": d["body_id"], "body_name": d["body_name"],
             "text": d["text"], "engagements": _joined(d["engagements"]),
             "responsible_organisation_id": d["responsible_organisation_id"], "due_on": d["due_on"],
             "status": d["status"], "status_label": d["status_label"]} for d in await store.decisions()]


S, INT, DT = "string", "integer", "datetime"
DATASETS: tuple[Dataset, ...] = (
    Dataset("engagements", "Engagements et leur statut",
            "Les engagements du contrat, leur axe, leur thème, leurs pilotes, leur statut consolidé et leur "
            "avancement moyen.",
            (Column("number", INT, "Numéro de l'engagement dans le contrat."),
             Column("title", S, "Intitulé de l'engagement."),
             Column("axis_number", INT, "Numéro de l'axe."), Column("axis_title", S, "Intitulé de l'axe."),
             Column("theme_id", S, "Identifiant du thème."), Column("theme_title", S, "Intitulé du thème."),
             Column("status", S, "Statut consolidé : a_lancer, en_cours, realise, reporte ou abandonne."),
             Column("status_label", S, "Statut consolidé, en toutes lettres."),
             Column("progress", INT, "Avancement moyen des pilotes, en pourcentage (0 à 100)."),
             Column("pilots", S, "Organisations pilotes, séparées par « ; »."),
             Column("qpv", S, "Identifiants des quartiers concernés, séparés par « ; » (vide : tous)."),
             Column("last_update", DT, "Dernière mise à jour d'un pilote (ISO 8601, UTC).")),
            _engagements, primary_key=("number",)),
    Dataset("parts-des-pilotes", "Avancement de chaque pilote",
            "Pour chaque engagement, chaque organisation pilote avec son statut, son avancement et la date de sa "
            "dernière mise à jour.",
            (Column("engagement_number", INT, "Numéro de l'engagement."),
             Column("organisation_id", S, "Identifiant de l'organisation pilote."),
             Column("organisation_name", S, "Nom de l'organisation pilote."),
             Column("status", S, "Statut de sa part : a_lancer, en_cours, realise, reporte ou abandonne."),
             Column("status_label", S, "Statut, en toutes lettres."),
             Column("progress", INT, "Avancement, en pourcentage (0 à 100)."),
             Column("qpv", S, "Quartiers où la part est déployée, séparés par « ; »."),
             Column("updated_at", DT, "Date de sa dernière mise à jour (ISO 8601, UTC).")),
            _parts, primary_key=("engagement_number", "organisation_id")),
    Dataset("valeurs-indicateurs", "Valeurs validées des indicateurs",
            "Les valeurs des indicateurs validées par le secrétariat du contrat (la dernière version validée de "
            "chacune), par période et, quand l'indicateur est décliné, par quartier.",
            None, _values, schema=_values_schema),
    Dataset("decisions", "Décisions des instances",
            "Le registre public des décisions du COPIL et des autres instances, avec leur suivi.",
            (Column("id", S, "Identifiant de la décision."), Column("meeting_id", S, "Identifiant de la réunion."),
             Column("meeting_title", S, "Titre de la réunion."),
             Column("meeting_date", "date", "Date de la réunion (heure de Paris)."),
             Column("body_id", S, "Identifiant de l'instance."), Column("body_name", S, "Nom de l'instance."),
             Column("text", S, "Texte de la décision."),
             Column("engagements", S, "Numéros des engagements concernés, séparés par « ; »."),
             Column("responsible_organisation_id", S, "Organisation chargée du suivi (vide : aucune)."),
             Column("due_on", "date", "Échéance du suivi (vide : aucune)."),
             Column("status", S, "État du suivi."), Column("status_label", S, "État du suivi, en toutes lettres.")),
            _decisions, primary_key=("id",)),
)


async def _funded(store: PublicStore) -> Rows:
    return await store.optional("participation", "/api/v1/aap/funded-projects", [])


# The appel à projets describes its own columns (`gateway.pages.aap.opendata.SCHEMA`).
FUNDED = Dataset(funded.NAME, funded.TITLE, funded.DESCRIPTION,
                 tuple(Column(f["name"], f["type"], f["description"], f["title"],
                              tuple(f.get("constraints", {}).items())) for f in funded.SCHEMA["fields"]),
                 _funded, primary_key=tuple(funded.SCHEMA["primaryKey"]))
DATASETS = (*DATASETS, FUNDED)


def find(name: str) -> Dataset | None:
    return next((d for d in DATASETS if d.name == name), None)
