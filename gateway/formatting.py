"""How the pages write dates, numbers, units and periods in French. Pure functions; `rendering.py` registers
them as template filters, and the pages call them for the messages they compose."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from gateway.labels import STATUSES
from kernel.french import PARIS, day_fr, folded, moment, number_fr
from services.indicateurs.periods import PeriodError, Periodicity, parse

# --- dates ---------------------------------------------------------------------------------------------------

def local_datetime(value: Any) -> datetime | None:
    """A service's date-time (ISO, UTC) in Nantes' local time, without a time zone (for a spreadsheet's cell)."""
    value = moment(value)
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(PARIS).replace(tzinfo=None, microsecond=0)


def iso_local(value: Any) -> str:
    """Machine-readable value for <time datetime="…">."""
    value = moment(value)
    return value.isoformat() if isinstance(value, date) else ""


# --- numbers -------------------------------------------------------------------------------------------------

_SINGULAR = {"personnes": "personne", "ménages": "ménage", "logements": "logement", "places": "place",
             "jours": "jour", "heures": "heure"}


def with_unit(value: Any, unit: str | None) -> str:
    """A value followed by its unit: « 12,5 % », « 1 200 € », « 35 personnes », « 120 » (nombre)."""
    text = number_fr(value)
    if text == "" or not unit or unit == "nombre":
        return text
    if unit == "%":
        return f"{text}\u202f%"
    if unit == "euros":
        return f"{text}\u00a0€"
    try:
        one = abs(float(value)) < 2
    except (TypeError, ValueError):
        one = False
    return f"{text}\u00a0{_SINGULAR.get(unit, unit) if one else unit}"


def parse_number(text: str) -> float | None:
    """A number typed the French way (« 1 234,5 ») or the English way (« 1234.5 »); None if it is not one."""
    cleaned = text.strip().replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    cleaned = cleaned.replace("−", "-")
    try:
        number = float(cleaned)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


# --- periods (their grammar is the indicateurs service's published `periods` module) ------------------------

def period_fr(text: str) -> str:
    """2020 → « 2020 » ; 2020-S1 → « 1er semestre 2020 » ; 2020-T3 → « 3e trimestre 2020 »."""
    try:
        period = parse(text or "")
    except PeriodError:
        return text or ""
    if period.periodicity is Periodicity.ANNUELLE:
        return text
    length = period.last_month - period.first_month + 1
    index = (period.first_month - 1) // length + 1
    rank = "1er" if index == 1 else f"{index}e"
    return f"{rank} {'semestre' if period.periodicity is Periodicity.SEMESTRIELLE else 'trimestre'} {period.year}"


def period_short(text: str) -> str:
    """A chart axis label: « 2020 », « 2020 S1 », « 2020 T3 »."""
    return (text or "").replace("-", " ")


# --- a change in an engagement part's history ----------------------------------------------------------------

def change_value(field: str, value: Any, qpv_names: Mapping[str, str] | None = None) -> str:
    """One side of a history change, in words."""
    if value in (None, "", []):
        return "non renseigné"
    if field == "status":
        return STATUSES.get(value, str(value))
    if field == "progress":
        return f"{value} %"
    if field == "qpv":
        names = qpv_names or {}
        return ", ".join(names.get(q, q) for q in value)
    if field == "next_milestone_date":
        return day_fr(value)
    if field == "actions":
        return " ; ".join(f"action {a['index'] + 1} : {STATUSES.get(a['status'], a['status'])}"
                          + (f" ({a['comment']})" if a.get("comment") else "") for a in value)
    return str(value)


# --- an organisation's name after « de » and « à » ------------------------------------------------------------

# The article a name takes when it starts with a common noun or an acronym read as a word (« la Ville de Nantes »,
# « l'État », « le PLIE »); a proper name takes none (« Nantes Métropole », « Pôle emploi », « Vilogia »).
ARTICLES = {
    "etat": "l'", "ville": "la", "commune": "la", "mairie": "la", "metropole": "la", "region": "la",
    "departement": "le", "conseil": "le", "conseils": "les", "prefecture": "la", "sous-prefecture": "la",
    "direction": "la", "agence": "l'", "caisse": "la", "banque": "la", "office": "l'", "union": "l'",
    "association": "l'", "federation": "la", "maison": "la", "mission": "la", "centre": "le", "service": "le",
    "syndicat": "le", "groupe": "le", "plan": "le", "communaute": "la", "inter-associatif": "l'",
    "inter-bailleurs": "l'", "interbailleurs": "l'", "amenageurs": "les", "bailleurs": "les",
    "atdec": "l'", "plie": "le", "urml": "l'", "caf": "la", "cpam": "la", "ars": "l'", "anru": "l'",
    "ddsp": "la", "ddcs": "la", "dsden": "la", "ddtm": "la", "drac": "la", "copil": "le", "gtc": "le", "gtt": "le",
    "groupe-thematique": "le", "rdv": "le",
}
_VOWELS = "aeiouyh"  # a mute h: « d'Harmonie Habitat », « d'Habitat 44 »


def _article(name: str) -> str:
    first = folded(name.strip().split(" ", 1)[0].rstrip(",;:"))
    return ARTICLES.get(first, "")


def of_org(name: str | None) -> str:
    """« de la Ville de Nantes », « de l'État – DDSP », « du Conseil départemental », « de Pôle emploi »,
    « d'Harmonie Habitat », « des Aménageurs »."""
    name = (name or "").strip()
    article = _article(name)
    if article == "le":
        return f"du {name}"
    if article == "les":
        return f"des {name}"
    if article:
        return f"de {article}{'' if article.endswith(chr(39)) else ' '}{name}"
    return f"d'{name}" if folded(name[:1]) in _VOWELS and name[:1].isalpha() else f"de {name}"


def to_org(name: str | None) -> str:
    """« à la Ville de Nantes », « à l'État – DDSP », « au Conseil départemental », « à Pôle emploi »."""
    name = (name or "").strip()
    article = _article(name)
    if article == "le":
        return f"au {name}"
    if article == "les":
        return f"aux {name}"
    if article:
        return f"à {article}{'' if article.endswith(chr(39)) else ' '}{name}"
    return f"à {name}"


def choices(items: Any, value: str | int, text: str, limit: int | None = None) -> list[tuple[Any, str]]:
    """The (value, text) pairs of a filter's options: `value` is a key of each item (a dict key or a tuple index),
    `text` a format string over the item (`"{number}. {title}"`, `"n° {0} — {1}"`), cut at `limit` characters."""
    pairs = []
    for item in items:
        label = text.format(**item) if isinstance(item, Mapping) else text.format(*item)
        if limit and len(label) > limit:
            label = label[:limit].rsplit(" ", 1)[0] + "…"
        pairs.append((item[value], label))
    return pairs
