"""The file format of indicator values entered in bulk (CSV or .xlsx), and the checks of a whole file against it.

File format
-----------
- A CSV file in UTF-8 (with or without a byte-order mark) or Windows-1252 (what French Excel saves as « CSV
  (séparateur : point-virgule) »); separator `;` or `,` (read from the header line); fields may be quoted ("…")
  per RFC 4180, so a comment may contain the separator or a line break. Or an .xlsx workbook: its sheet
  « Valeurs » (else its first sheet), read as the same lines (`kernel.spreadsheets.read_lines`).
- First line: the header, with these columns in any order (case and accents ignored):

  ============== =========== =====================================================================================
  column         required    content
  ============== =========== =====================================================================================
  indicateur     yes         identifier of the indicator definition (`id` of `GET /api/v1/definitions`)
  periode        yes         `2020` (annual), `2020-S1`/`2020-S2` (semester), `2020-T1`…`2020-T4` (quarter);
                             must match the indicator's periodicity
  qpv            yes         QPV identifier (e.g. `grand-bellevue`) or national code; required when the indicator
                             is broken down by QPV, empty otherwise
  valeur         yes         a number; decimal point or comma, spaces as thousands separators (`1 234,5`);
                             negative only for indicators that allow it; empty: the line is skipped
  qualification  no          `provisoire`, `estimé` or `définitif` (accents optional); empty means `provisoire`
  commentaire    no          free text, 4,000 characters at most
  source         no          where the figure comes from, 500 characters at most
  ============== =========== =====================================================================================

  Read-only columns of the template (`libelle`, `engagement`, `unite`, `quartier`, `periodicite`) and columns
  with an empty name (a trailing separator added by a spreadsheet) are ignored.

- Each following line is one value of the importing organisation (the referent's organisation), which must be
  responsible for the indicator. Blank lines are ignored; a line without a value (the template's lines left
  unfilled) is skipped and counted, not refused.

Validation
----------
Every line is checked before anything is written: every bad line is reported with its line number (the
header is line 1) and its reasons in French — indicateur inconnu, QPV inconnu, période hors périodicité,
valeur non numérique, valeur négative impossible, ligne en double, organisation non responsable, période
verrouillée… If one line is bad, nothing is recorded (422 `{code: "invalid_rows", errors: [{line, reason}]}`).

A valid line becomes a new value (version 1), a correction (a new version of the organisation's existing value)
or, when identical to the value in place (same value, qualification, comment and source, already submitted or
approved), nothing at all — so importing the same file twice records nothing the second time.

This module only reads and checks; `service.imports` loads what the checks need in a few queries and writes the
result in bulk.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from kernel import spreadsheets
from kernel.french import folded
from services.indicateurs.models import IndicatorDefinition, Qpv, Qualification
from services.indicateurs.periods import PeriodError, check

COLUMNS = ("indicateur", "periode", "qpv", "valeur", "qualification", "commentaire", "source")
REQUIRED = ("indicateur", "periode", "qpv", "valeur")
READ_ONLY = ("libelle", "engagement", "unite", "quartier", "periodicite")  # the template's, ignored
MAX_COMMENT, MAX_SOURCE = 4000, 500
SHOWN = 60  # characters of a bad cell quoted in its line's reason
QUALIFICATIONS = {"provisoire": Qualification.PROVISOIRE, "estime": Qualification.ESTIME,
                  "definitif": Qualification.DEFINITIF, "": Qualification.PROVISOIRE}
Lines = spreadsheets.Lines
SHEET = "Valeurs"  # the template's values sheet, else the first one


@dataclass(frozen=True)
class Row:
    """A valid line, ready to record."""

    line: int
    indicator_id: int
    period: str
    qpv_id: str | None
    value: float
    qualification: Qualification
    comment: str | None
    source: str | None


@dataclass
class Checked:
    rows: list[Row] = field(default_factory=list)
    errors: list[dict[str, object]] = field(default_factory=list)
    lines: int = 0  # lines read after the header, blank ones left out
    skipped: int = 0  # lines without a value


@dataclass(frozen=True)
class Context:
    """What the checks need to know, loaded beforehand by the service."""

    organisation_id: str
    definitions: dict[int, IndicatorDefinition]
    qpv: dict[str, Qpv]  # by id
    lock: Callable[[str], str | None]  # period -> why it is locked, or None


def _number(text: str) -> float | None:
    cleaned = text.strip().replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    cleaned = cleaned.replace("\u2212", "-")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _shown(text: str) -> str:
    """A cell quoted in a reason, cut when long (a whole paragraph pasted in the wrong column)."""
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"


def read_lines(content: bytes) -> tuple[Lines, bool, dict[str, object] | None]:
    """The file's lines (header first), whether it is a workbook, and what stopped the reading if anything."""
    return spreadsheets.read_lines(content, SHEET)


def _header(header: list[str], separator: str) -> tuple[dict[str, int] | None, str | None]:
    """The index of each known column, or why the header is refused."""
    names = [folded(h) for h in header]
    names = ["periode" if n == "period" else n for n in names]
    problems = [f"colonne inconnue « {_shown(h)} »" for h, n in zip(header, names, strict=True)
                if n and n not in COLUMNS and n not in READ_ONLY]
    problems += [f"colonne « {c} » absente" for c in REQUIRED if c not in names]
    problems += [f"colonne « {c} » en double" for c in COLUMNS if names.count(c) > 1]
    if problems:
        return None, f"en-tête invalide : {', '.join(problems)} (attendu : {separator.join(COLUMNS)})"
    return {n: i for i, n in enumerate(names) if n in COLUMNS}, None


def check_file(content: bytes, context: Context) -> Checked:
    """Reads and checks a whole file; returns its valid rows, or one error per bad line."""
    result = Checked()
    lines, workbook, stopped = read_lines(content)
    while lines and not any(f.strip() for f in lines[0][1]):
        lines.pop(0)  # blank lines above the header
    if not lines:
        result.errors.append(stopped or {"line": 1, "reason": "fichier vide : il faut une ligne d'en-tête puis "
                                                              "des valeurs"})
        return result
    (header_line, header), rows = lines[0], lines[1:]
    if workbook:  # a sheet's rows are as wide as its widest: trailing empty cells are not columns
        while header and not header[-1].strip():
            header.pop()
    index, problem = _header(header, ";")
    if index is None:
        result.errors.append({"line": header_line, "reason": problem})
        return result
    seen: dict[tuple[int, str, str | None], int] = {}
    by_code = {q.code.upper(): q.id for q in context.qpv.values() if q.code}
    for line, fields in rows:
        if not any(f.strip() for f in fields):
            continue
        result.lines += 1
        if workbook:
            fields = (fields + [""] * len(header))[:max(len(header), len(fields))]
            if any(f.strip() for f in fields[len(header):]):
                result.errors.append({"line": line, "reason": "cellules remplies hors des colonnes de l'en-tête"})
                continue
            fields = fields[:len(header)]
        elif len(fields) != len(header):
            result.errors.append({"line": line, "reason": f"nombre de colonnes incorrect : {len(fields)} au lieu "
                                                          f"de {len(header)}"})
            continue
        cells = {name: fields[i].strip() for name, i in index.items()}
        if not cells["valeur"] and not cells.get("commentaire") and not cells.get("source"):
            result.skipped += 1  # a line of the template left unfilled
            continue
        reasons, row = _check_line(line, cells, context, by_code, seen)
        if reasons:
            result.errors.append({"line": line, "reason": " ; ".join(reasons)})
        elif row is not None:
            result.rows.append(row)
    if stopped:
        result.errors.append(stopped)
    if not result.rows and not result.errors:
        which = "la ligne du fichier est" if result.skipped == 1 else "les lignes du fichier sont"
        reason = (f"aucune valeur : {which} sans valeur" if result.skipped
                  else "aucune valeur : le fichier n'a que son en-tête")
        result.errors.append({"line": header_line + 1, "reason": reason})
    return result


def _check_line(line: int, cells: dict[str, str], context: Context, by_code: dict[str, str],
                seen: dict[tuple[int, str, str | None], int]) -> tuple[list[str], Row | None]:
    """The reasons a line is refused (empty: it is valid), and the row it gives."""
    raw_indicator, raw_period, raw_qpv = cells["indicateur"], cells["periode"], cells["qpv"]
    raw_value, raw_qualification = cells["valeur"], cells.get("qualification", "")
    comment, source = cells.get("commentaire") or None, cells.get("source") or None
    reasons: list[str] = []

    definition: IndicatorDefinition | None = None
    if not raw_indicator:
        reasons.append("indicateur manquant")
    elif not raw_indicator.isdigit() or int(raw_indicator) not in context.definitions:
        reasons.append(f"indicateur inconnu « {_shown(raw_indicator)} »")
    else:
        definition = context.definitions[int(raw_indicator)]
        if not definition.active:
            reasons.append(f"indicateur {definition.id} retiré du contrat")
            definition = None
        elif definition.computed:
            reasons.append(f"indicateur {definition.id} (« {definition.label} ») calculé automatiquement par la "
                           "plateforme : il ne se saisit pas")
            definition = None
        elif context.organisation_id not in definition.responsible:
            reasons.append(f"organisation non responsable : « {context.organisation_id} » ne renseigne pas "
                           f"l'indicateur {definition.id} (« {definition.label} »)")
            definition = None

    period: str | None = None
    if not raw_period:
        reasons.append("période manquante")
    elif len(raw_period) > 20:
        reasons.append(f"période non reconnue « {_shown(raw_period)} »")
    elif definition is not None:
        try:
            period = check(raw_period, definition.periodicity)
        except PeriodError as exc:
            reasons.append(str(exc))
        else:
            why = context.lock(period)
            if why:
                reasons.append(f"période verrouillée : {why}")

    qpv_id: str | None = None
    if raw_qpv:
        qpv_id = raw_qpv if raw_qpv in context.qpv else by_code.get(raw_qpv.upper())
        if qpv_id is None:
            reasons.append(f"QPV inconnu « {_shown(raw_qpv)} »")
        elif definition is not None and not definition.by_qpv:
            reasons.append(f"QPV non attendu : l'indicateur {definition.id} n'est pas décliné par QPV")
        elif definition is not None and definition.qpv and qpv_id not in definition.qpv:
            reasons.append(f"QPV « {raw_qpv} » hors du périmètre de l'indicateur {definition.id}")
    elif definition is not None and definition.by_qpv:
        reasons.append(f"QPV manquant : l'indicateur {definition.id} est décliné par QPV")

    value = _number(raw_value) if raw_value else None
    if not raw_value:
        reasons.append("valeur manquante")
    elif value is None:
        reasons.append(f"valeur non numérique « {_shown(raw_value)} »")
    elif value < 0 and definition is not None and not definition.negative_allowed:
        reasons.append(f"valeur négative impossible pour l'indicateur {definition.id} ({_shown(raw_value)})")

    qualification = QUALIFICATIONS.get(folded(raw_qualification))
    if qualification is None:
        reasons.append(f"qualification inconnue « {_shown(raw_qualification)} » (provisoire, estimé ou définitif)")
    if comment and len(comment) > MAX_COMMENT:
        reasons.append(f"commentaire trop long ({len(comment)} caractères, {MAX_COMMENT} au plus)")
    if source and len(source) > MAX_SOURCE:
        reasons.append(f"source trop longue ({len(source)} caractères, {MAX_SOURCE} au plus)")

    if definition is not None and period is not None:
        key = (definition.id or 0, period, qpv_id)
        if key in seen:
            reasons.append(f"ligne en double : même indicateur, période et QPV qu'à la ligne {seen[key]}")
        else:
            seen[key] = line
    if reasons or definition is None or period is None or value is None or qualification is None:
        return reasons, None
    return [], Row(line=line, indicator_id=definition.id or 0, period=period, qpv_id=qpv_id, value=value,
                   qualification=qualification, comment=comment, source=source)
