"""The appel à projets' pure rules (no database, no network): an association's number (RNA or SIREN), amounts
typed in French, and the file format of a funder's yearly list with the checks of a whole file.

File format (CSV in UTF-8 or Windows-1252, separator `;` or `,`, or an .xlsx workbook: its sheet « Projets », else
the first one; read by `kernel.spreadsheets.read_lines`). First line: the header, columns in any order (case and
accents ignored):

=================== ======== =========================================================================================
column              required content
=================== ======== =========================================================================================
association         yes      name of the carrying association
rna_siren           yes      RNA number (W + 9 digits, e.g. W442001234) or SIREN (9 digits, Luhn key checked)
titre               yes      project title (300 characters at most)
resume              no       summary (4,000 characters at most)
qpv                 yes      QPV ids or national codes, separated by `,` or `|` (e.g. `grand-bellevue|malakoff`)
themes              no       themes of the contract (ids or titles), separated by `|`
engagements         no       engagement numbers, separated by `,` or `|`
montant_demande     yes      amount asked, whole euros (`12 500`, `12500`, `12 500,00`)
decision            yes      `accordé` or `refusé`
montant_accorde     if granted amount granted by this funder, whole euros, more than 0
date_decision       yes      `2025-03-31` or `31/03/2025`
date_versement      no       date of a payment by this funder (needs `montant_verse`)
montant_verse       no       amount of that payment, whole euros, at most the amount granted
cpo                 no       `non` (default), `nouvelle` (or `oui`) or `en cours`
=================== ======== =========================================================================================

A line is one project of the funder's yearly list: the project is found in the call by its association number and
its title (case and accents ignored) and created if new. Every line is checked before anything is written; if one
is bad, nothing is (`{line, reason}` in French per bad line, the header being line 1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from kernel import spreadsheets
from kernel.french import folded

SHEET = "Projets"
COLUMNS = ("association", "rna_siren", "titre", "resume", "qpv", "themes", "engagements", "montant_demande",
           "decision", "montant_accorde", "date_decision", "date_versement", "montant_verse", "cpo")
REQUIRED = ("association", "rna_siren", "titre", "qpv", "montant_demande", "decision", "date_decision")
ALIASES = {"rna": "rna_siren", "siren": "rna_siren", "rna/siren": "rna_siren", "rna ou siren": "rna_siren",
           "theme": "themes", "engagement": "engagements", "titre du projet": "titre"}
DECISIONS = {"accorde": "accorde", "accordee": "accorde", "refuse": "refuse", "refusee": "refuse"}
CPO = {"": "non", "non": "non", "oui": "nouvelle", "nouvelle": "nouvelle", "en cours": "en_cours",
       "en_cours": "en_cours"}
SHOWN = 60
RNA = re.compile(r"W\d{9}")
SIREN = re.compile(r"\d{9}")


def plain(text: str) -> str:
    """A header, a decision or a title as compared: folded, an underscore read as a space."""
    return folded(text.replace("_", " "))


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def association_number(raw: str) -> tuple[str | None, str | None]:
    """The number normalised (no spaces, upper case), or why it is refused, in French."""
    value = re.sub(r"[\s.\u00a0\u202f]", "", raw or "").upper()
    if not value:
        return None, "numéro RNA ou SIREN manquant"
    if RNA.fullmatch(value):
        return value, None
    if SIREN.fullmatch(value):
        if luhn_ok(value):
            return value, None
        return None, f"SIREN « {_shown(raw)} » invalide (clé de contrôle fausse)"
    return None, (f"numéro « {_shown(raw)} » invalide : RNA (W suivi de 9 chiffres) ou SIREN (9 chiffres) "
                  "attendu")


def euros(raw: str) -> int | None:
    """Whole euros from « 12 500 », « 12500 », « 12 500,00 € »; None if not a whole, non-negative amount."""
    text = re.sub(r"[\s\u00a0\u202f€]", "", raw or "")
    match = re.fullmatch(r"(\d+)(?:[.,](\d{1,2}))?", text)
    if not match or (match[2] and int(match[2]) != 0):
        return None
    return int(match[1])


def a_date(raw: str) -> date | None:
    text = (raw or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _shown(text: str) -> str:
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"


def _split(raw: str) -> list[str]:
    return [p.strip() for p in re.split(r"[|,;]", raw or "") if p.strip()]


@dataclass(frozen=True)
class Row:
    """A valid line: one project of the funder's list, with this funder's decision and perhaps a payment."""

    line: int
    association_name: str
    association_id: str
    title: str
    summary: str | None
    qpv: list[str]
    themes: list[str]
    engagements: list[int]
    amount_asked: int
    decision: str
    amount_granted: int
    decided_on: date
    paid_on: date | None
    amount_paid: int | None
    cpo: str


@dataclass
class Checked:
    rows: list[Row] = field(default_factory=list)
    errors: list[dict[str, object]] = field(default_factory=list)


@dataclass(frozen=True)
class Context:
    qpv: dict[str, str]  # id or national code (upper case) -> QPV id
    themes: dict[str, str]  # plain id or title -> theme id (empty: the catalogue is not known yet, any id taken)
    engagements: set[int]  # empty: not known yet, any number taken
    year: int


def _header(header: list[str]) -> tuple[dict[str, int] | None, str | None]:
    names = [ALIASES.get(plain(h), plain(h).replace(" ", "_")) for h in header]
    problems = [f"colonne inconnue « {_shown(h)} »" for h, n in zip(header, names, strict=True)
                if n and n not in COLUMNS]
    problems += [f"colonne « {c} » absente" for c in REQUIRED if c not in names]
    problems += [f"colonne « {c} » en double" for c in COLUMNS if names.count(c) > 1]
    if problems:
        return None, f"en-tête invalide : {', '.join(problems)} (attendu : {';'.join(COLUMNS)})"
    return {n: i for i, n in enumerate(names) if n in COLUMNS}, None


def check_file(content: bytes, context: Context) -> Checked:
    """Reads and checks a funder's whole yearly list; its valid rows, or one error per bad line."""
    result = Checked()
    lines, workbook, stopped = spreadsheets.read_lines(content, SHEET)
    while lines and not any(f.strip() for f in lines[0][1]):
        lines.pop(0)
    if not lines:
        result.errors.append(stopped or {"line": 1, "reason": "fichier vide : il faut une ligne d'en-tête puis "
                                                              "une ligne par projet"})
        return result
    (header_line, header), rows = lines[0], lines[1:]
    while header and not header[-1].strip():
        header.pop()  # a trailing separator, or a sheet wider than its header
    index, problem = _header(header)
    if index is None:
        result.errors.append({"line": header_line, "reason": problem})
        return result
    seen: dict[tuple[str, str], int] = {}
    for line, fields in rows:
        if not any(f.strip() for f in fields):
            continue
        if any(f.strip() for f in fields[len(header):]):
            result.errors.append({"line": line, "reason": "cellules remplies hors des colonnes de l'en-tête"})
            continue
        if not workbook and len(fields) < len(header):
            result.errors.append({"line": line, "reason": f"nombre de colonnes incorrect : {len(fields)} au lieu "
                                                          f"de {len(header)}"})
            continue
        fields = fields + [""] * (len(header) - len(fields))
        cells = {name: fields[i].strip() for name, i in index.items()}
        reasons, row = _check_line(line, cells, context, seen)
        if reasons:
            result.errors.append({"line": line, "reason": " ; ".join(reasons)})
        elif row is not None:
            result.rows.append(row)
    if stopped:
        result.errors.append(stopped)
    if not result.rows and not result.errors:
        result.errors.append({"line": header_line + 1, "reason": "aucun projet : le fichier n'a que son en-tête"})
    return result


def _check_line(line: int, c: dict[str, str], context: Context,
                seen: dict[tuple[str, str], int]) -> tuple[list[str], Row | None]:
    reasons: list[str] = []
    name, title, summary = c["association"], c["titre"], c.get("resume") or None
    if not name:
        reasons.append("association manquante")
    elif len(name) > 300:
        reasons.append("nom d'association trop long (300 caractères au plus)")
    number, why = association_number(c["rna_siren"])
    if why:
        reasons.append(why)
    if not title:
        reasons.append("titre manquant")
    elif len(title) > 300:
        reasons.append("titre trop long (300 caractères au plus)")
    if summary and len(summary) > 4000:
        reasons.append("résumé trop long (4 000 caractères au plus)")
    qpv: list[str] = []
    for raw in _split(c["qpv"]):
        found = context.qpv.get(raw) or context.qpv.get(raw.upper())
        if found is None:
            reasons.append(f"QPV inconnu « {_shown(raw)} »")
        elif found not in qpv:
            qpv.append(found)
    if not c["qpv"]:
        reasons.append("QPV manquant")
    themes: list[str] = []
    for raw in [p.strip() for p in (c.get("themes") or "").split("|") if p.strip()]:
        found = context.themes.get(plain(raw)) if context.themes else raw
        if found is None:
            reasons.append(f"thème inconnu « {_shown(raw)} »")
        elif found not in themes:
            themes.append(found)
    engagements: list[int] = []
    for raw in _split(c.get("engagements") or ""):
        if not raw.isdigit() or int(raw) < 1 or (context.engagements and int(raw) not in context.engagements):
            reasons.append(f"engagement inconnu « {_shown(raw)} »")
        elif int(raw) not in engagements:
            engagements.append(int(raw))
    asked = euros(c["montant_demande"])
    if asked is None:
        reasons.append(f"montant demandé « {_shown(c['montant_demande'])} » invalide (euros entiers attendus)")
    decision = DECISIONS.get(plain(c["decision"]))
    if decision is None:
        reasons.append(f"décision « {_shown(c['decision'])} » inconnue (accordé ou refusé)")
    granted = euros(c.get("montant_accorde") or "0")
    if granted is None:
        reasons.append(f"montant accordé « {_shown(c.get('montant_accorde', ''))} » invalide (euros entiers attendus)")
    elif decision == "accorde" and granted == 0:
        reasons.append("montant accordé manquant pour un projet accordé")
    elif decision == "refuse" and granted:
        reasons.append("montant accordé pour un projet refusé")
    decided_on = a_date(c["date_decision"])
    if decided_on is None:
        reasons.append(f"date de décision « {_shown(c['date_decision'])} » invalide (2025-03-31 ou 31/03/2025)")
    elif not context.year - 1 <= decided_on.year <= context.year + 1:
        reasons.append(f"date de décision {decided_on:%d/%m/%Y} hors de l'appel {context.year}")
    paid_on = a_date(c["date_versement"]) if c.get("date_versement") else None
    paid = euros(c["montant_verse"]) if c.get("montant_verse") else None
    if c.get("date_versement") and paid_on is None:
        reasons.append(f"date de versement « {_shown(c['date_versement'])} » invalide")
    if c.get("montant_verse") and not paid:
        reasons.append(f"montant versé « {_shown(c['montant_verse'])} » invalide (euros entiers, plus de 0)")
    if bool(c.get("date_versement")) != bool(c.get("montant_verse")):
        reasons.append("un versement demande sa date et son montant")
    if (paid or paid_on) and decision == "refuse":
        reasons.append("versement pour un projet refusé")
    if paid and granted is not None and paid > granted:
        reasons.append(f"montant versé ({paid} €) supérieur au montant accordé ({granted} €)")
    if paid_on and decided_on and paid_on < decided_on:
        reasons.append("versement antérieur à la décision")
    cpo = CPO.get(plain(c.get("cpo") or ""))
    if cpo is None:
        reasons.append(f"CPO « {_shown(c.get('cpo', ''))} » inconnue (non, nouvelle ou en cours)")
    if number and title:
        key = (number, plain(title))
        if key in seen:
            reasons.append(f"ligne en double : même association et même titre qu'à la ligne {seen[key]}")
        else:
            seen[key] = line
    if reasons or number is None or asked is None or decision is None or granted is None or decided_on is None \
            or cpo is None:
        return reasons, None
    return [], Row(line=line, association_name=name, association_id=number, title=title, summary=summary, qpv=qpv,
                   themes=themes, engagements=engagements, amount_asked=asked, decision=decision,
                   amount_granted=granted, decided_on=decided_on, paid_on=paid_on, amount_paid=paid, cpo=cpo)
