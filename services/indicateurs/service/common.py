"""What the aggregates of indicateurs share: the clock, who may do what, reading a period from a request.

The clock is read through this module (`common.today()`), so a test can move the date for every aggregate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from kernel import french
from kernel.errors import Forbidden, Invalid
from kernel.identity import Identity
from services.indicateurs.models import State
from services.indicateurs.periods import Period, PeriodError, parse

RECEIVED = (State.SOUMIS, State.APPROUVE)  # a value in one of these states is no longer owed
CHUNK = 1000  # rows per statement in bulk writes (well under SQLite's bound-parameter limit)


def today() -> date:
    """The date in Nantes (campaigns close at the end of their closing day, local time)."""
    return french.today()


def now() -> datetime:
    return datetime.now(UTC)


def sentence(text: str) -> str:
    """A reason as a sentence: capital first letter, final full stop."""
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def parse_period(text: str) -> Period:
    """A period from a request, or a 422 on the field `period` with the French reason."""
    try:
        return parse(text)
    except PeriodError as exc:
        raise Invalid(sentence(str(exc)), field="period") from exc


def require_secretariat(identity: Identity, action: str) -> None:
    if not identity.is_secretariat:
        raise Forbidden(f"Seul le secrétariat peut {action}.")


def may_read(identity: Identity, organisation_id: str) -> bool:
    """The secretariat reads everything; a referent, its own organisation's values and imports."""
    return identity.is_secretariat or identity.organisation_id == organisation_id
