"""A request's invalid fields are answered in French, whatever their type: pydantic's own English text
(« Input should be a valid datetime… ») never reaches a page or an API client."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from uuid import UUID

import pytest
from pydantic import AnyHttpUrl, BaseModel, Field, ValidationError

from kernel.errors import french_message


class Everything(BaseModel):
    starts_at: datetime
    day: date
    hour: time
    amount: Decimal
    token: UUID
    link: AnyHttpUrl
    count: int
    ratio: float
    done: bool


GOOD = {"starts_at": "2027-01-15T09:30", "day": "2027-01-15", "hour": "09:30", "amount": "1.5",
        "token": "12345678-1234-5678-1234-567812345678", "link": "https://exemple.fr", "count": 1, "ratio": 1.0,
        "done": True}


@pytest.mark.parametrize(("field", "bad"), [
    ("starts_at", "2027-01-15T25:99"), ("starts_at", "demain"), ("starts_at", 2.5e20), ("day", "15/13/2027"),
    ("hour", "25h"), ("amount", "un"), ("token", "x"), ("link", "ftp:/x"), ("count", "deux"), ("ratio", "x"),
    ("done", "peut-être"), ("starts_at", None),
])
def test_an_invalid_value_of_any_type_is_explained_in_french(field: str, bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Everything(**{**GOOD, field: bad})
    [error] = caught.value.errors()
    message = french_message(error)
    assert message and "Input" not in message and "should" not in message, (error["type"], message)


class Named(BaseModel):
    title: str = Field(min_length=1)
    code: str = Field(min_length=3)
    pilots: list[str] = Field(min_length=1)


@pytest.mark.parametrize(("field", "bad", "said"), [
    ("title", "", "champ obligatoire"), ("code", "ab", "texte trop court (3 caractères au moins)"),
    ("pilots", [], "au moins un élément attendu"),
])
def test_an_empty_required_text_or_list_is_said_plainly(field: str, bad: object, said: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Named(**{"title": "COPIL", "code": "abc", "pilots": ["caf"], field: bad})
    [error] = caught.value.errors()
    assert french_message(error) == said
