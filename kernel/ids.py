"""Integer ids and numbers in paths and query strings, bounded to what the databases hold.

`/engagements/` followed by fifty nines is a valid Python int but not a database one (SQLite raises
`OverflowError`, PostgreSQL "integer out of range"): such an id cannot name anything, so it is refused before
any query, as not found (404 `{code: not_found}` from a service, the « Page introuvable » page from the gateway).
Every integer parameter of a route is an `Id` (or bounded like `limit`), every integer of a request's body a `Ref` or a
`Cursor` (a 422 naming the field); `tests/gateway/test_route_ids.py` walks the routes and the bodies of every app so
that a new one cannot forget it.
"""

from __future__ import annotations

from typing import Annotated, Any

from annotated_types import Interval
from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER, the narrowest id column of the services
OUT_OF_RANGE = "id_out_of_range"


def _bounded(value: Any) -> Any:
    """An int (or its digits) between 1 and MAX_ID; other text is left to int's own validation (422)."""
    number = value
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        number = int(value.strip()) if len(value.strip()) <= 20 else MAX_ID + 1  # no huge int parsed
    if isinstance(number, int) and not isinstance(number, bool) and not 1 <= number <= MAX_ID:
        raise PydanticCustomError(OUT_OF_RANGE, "identifiant inexistant (entier de 1 à {max} attendu)",
                                  {"max": MAX_ID})
    return value


Id = Annotated[int, BeforeValidator(_bounded),
               WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_ID})]
"""An id or a number that names a row: 1 to MAX_ID, otherwise not found."""


def names_nothing(errors: list[Any]) -> bool:
    """Whether a request's validation errors include an id that cannot exist (answered as not found)."""
    return any(e.get("type") == OUT_OF_RANGE for e in errors)


Cursor = Annotated[int, Interval(ge=0, le=MAX_ID)]
"""A position or a revision (0 allowed): past the bounds, a 422 like any invalid value."""

Ref = Annotated[int, Interval(ge=1, le=MAX_ID)]
"""An id or a number named in a request's body: past the bounds, a 422 naming the field (the address is right,
the body is not)."""
