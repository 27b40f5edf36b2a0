"""Open-data exports of approved indicator values: `GET /api/v1/exports/values.csv`, `.xlsx` and `.json`.

Only approved values are exported: for each value (indicator, period, QPV, organisation), its latest approved
version. A correction awaiting validation does not replace the approved version until it is approved itself.
Filters (query string, all optional, combined): `engagement` (number), `indicator` (id), `period` (exact, e.g.
`2020` or `2020-S1`), `qpv` (identifier or national code). Rows are ordered by engagement, indicator, period,
QPV and organisation.

Columns (the same names in CSV and JSON; `EXPORT_COLUMNS` below holds them for the gateway, and
`GET /api/v1/exports/schema` serves it):

==================  =========  ==============================================================================
column              type       content
==================  =========  ==============================================================================
contract_id         string     identifier of the contract (e.g. `nantes-metropole-2019`)
engagement_number   integer    number of the engagement in the contract (1 to 50 in Nantes)
indicator_id        integer    identifier of the indicator definition (stable across exports)
indicator_label     string     label of the indicator, as in the contract
unit                string     nombre, %, euros, jours, heures, personnes, ménages, logements, places or m²
period              string     `2020` (year), `2020-S1`/`2020-S2` (semester), `2020-T1`…`2020-T4` (quarter)
qpv_id              string     identifier of the QPV when the indicator is broken down by QPV, empty otherwise
qpv_code            string     national code of the QPV (e.g. `QP044001`) when known, empty otherwise
value               number     the value, decimal point, no thousands separator
qualification       string     provisoire, estime or definitif
organisation_id     string     identifier of the organisation that reported the value
approved_at         datetime   when the secretariat approved it (ISO 8601, UTC)
version             integer    version of the value (1 for a first entry, +1 per correction)
==================  =========  ==============================================================================

CSV: UTF-8 without byte-order mark, `,` separator by default (`sep=;` for spreadsheets set to French),
RFC 4180 quoting, one header line, empty cell for a missing value. .xlsx: one sheet « Valeurs » with the same
columns (and the QPV's name), numbers as numbers. In CSV and .xlsx a text starting with `=`, `+`, `-` or `@` is
prefixed with an apostrophe so that no spreadsheet runs it as a formula (`kernel.spreadsheets`).
JSON: `{"columns": …, "count": n, "values": [{column: value, …}, …]}` with `null` for a missing value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kernel import spreadsheets

EXPORT_COLUMNS: dict[str, dict[str, str]] = {
    "contract_id": {"type": "string", "description": "Identifiant du contrat (ex. nantes-metropole-2019)."},
    "engagement_number": {"type": "integer", "description": "Numéro de l'engagement dans le contrat."},
    "indicator_id": {"type": "integer", "description": "Identifiant de la définition d'indicateur (stable)."},
    "indicator_label": {"type": "string", "description": "Libellé de l'indicateur, tel que dans le contrat."},
    "unit": {"type": "string", "description": "Unité : nombre, %, euros, jours, heures, personnes, ménages, "
                                              "logements, places ou m²."},
    "period": {"type": "string", "description": "Période : 2020 (année), 2020-S1/2020-S2 (semestre), "
                                                "2020-T1 à 2020-T4 (trimestre)."},
    "qpv_id": {"type": "string", "description": "Identifiant du QPV pour un indicateur décliné par QPV ; "
                                                "vide sinon."},
    "qpv_code": {"type": "string", "description": "Code national du QPV (ex. QP044001) quand il est connu ; "
                                                  "vide sinon."},
    "value": {"type": "number", "description": "Valeur, point décimal, sans séparateur de milliers."},
    "qualification": {"type": "string", "description": "Qualification : provisoire, estime ou definitif."},
    "organisation_id": {"type": "string", "description": "Identifiant de l'organisation qui a renseigné la "
                                                         "valeur."},
    "approved_at": {"type": "datetime", "description": "Date et heure de l'approbation par le secrétariat "
                                                       "(ISO 8601, UTC)."},
    "version": {"type": "integer", "description": "Version de la valeur (1 à la première saisie, +1 par "
                                                  "correction)."},
}


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 12, not 12.0
    return value


def to_csv(rows: list[dict[str, Any]], sep: str = ",") -> str:
    return spreadsheets.to_csv(list(EXPORT_COLUMNS), ([row[c] for c in EXPORT_COLUMNS] for row in rows), sep)


XLSX_WIDTHS = (22, 10, 10, 60, 10, 10, 18, 12, 12, 12, 18, 20, 8, 24)


def to_xlsx(rows: list[dict[str, Any]]) -> bytes:
    """The same columns in a workbook, plus the QPV's name after its code (for people reading it)."""
    columns = [*EXPORT_COLUMNS, "qpv_name"]
    return spreadsheets.to_xlsx([spreadsheets.Sheet(
        title="Valeurs", header=columns, rows=([row.get(c) for c in columns] for row in rows), widths=XLSX_WIDTHS)])


def to_json(rows: list[dict[str, Any]], filters: dict[str, Any]) -> dict[str, Any]:
    return {"columns": EXPORT_COLUMNS, "filters": {k: v for k, v in filters.items() if v is not None},
            "count": len(rows), "values": [{c: _cell(row[c]) for c in EXPORT_COLUMNS} for row in rows]}
