"""Dates, times and numbers written the French way, in Paris time: shared by the gateway's pages, the mails of
notifications and participation's meeting packs, so that a date reads the same everywhere. And French text folded
for comparison, the same in the pages' sorting and search and in the services' spreadsheet imports.

A naive date-time means UTC (that is how the services store them); an ISO string is read first.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


def moment(value: Any) -> Any:
    """A date or date-time from its ISO text (anything else is returned as it is)."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return value
    return value


def today() -> date:
    """The day in Paris: when an answer owed becomes overdue, what is upcoming (the machine's UTC day is still
    the day before between midnight and 1 or 2 in the morning)."""
    return datetime.now(PARIS).date()


def in_paris(value: datetime) -> datetime:
    """The time in Paris (a naive value means UTC)."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(PARIS)


def day_fr(value: Any) -> str:
    """12 mars 2025, 1er avril 2025."""
    value = moment(value)
    if isinstance(value, datetime):
        value = in_paris(value).date()
    if not isinstance(value, date):
        return str(value or "")
    return f"{'1er' if value.day == 1 else value.day} {MONTHS[value.month - 1]} {value.year}"


def time_fr(value: Any) -> str:
    """9 h 30 (heure de Paris)."""
    value = moment(value)
    if not isinstance(value, datetime):
        return ""
    local = in_paris(value)
    return f"{local.hour} h {local.minute:02d}"


def datetime_fr(value: Any) -> str:
    """12 mars 2025 à 14 h 05 (heure de Paris)."""
    value = moment(value)
    if not isinstance(value, datetime):
        return day_fr(value)
    return f"{day_fr(value)} à {time_fr(value)}"


def number_fr(value: Any) -> str:
    """1 234,5 (narrow no-break space between thousands, decimal comma, no trailing zeros)."""
    if value is None or value == "":
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if number.is_integer():
        text = f"{int(number):,}"
    else:
        text = f"{number:,.6f}".rstrip("0").rstrip(".")
    return text.replace(",", "\u202f").replace(".", ",").replace("-", "−")


def folded(text: str) -> str:
    """How French text is compared and sorted: case, accents and extra spaces ignored (« État » among the E,
    « Qualification » the same header as « qualification »)."""
    decomposed = unicodedata.normalize("NFKD", " ".join(text.lower().split()))
    return "".join(c for c in decomposed if not unicodedata.combining(c))
