"""What every form of the pages shares: the outcome shown next to the form after an attempt (`Notice`), the one
way a service's refusal becomes that outcome (`refusal`), and reading what was typed.

The services validate and decide; a refusal comes back as 403 (not allowed), 409 (changed meanwhile, with the
version now stored when the service sends it), 422 (a field at fault: request validation
`{errors: [{field, type, ctx…}]}`, or a domain refusal `{code, message, field}`). The page keeps what was typed
and says, in French, what happened and where.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from starlette.datastructures import FormData

from gateway.clients import ServiceError
from kernel.french import datetime_fr

Kind = Literal["success", "error", "conflict", "refused"]
REFUSALS = (403, 409, 413, 422)  # what a form answers in place; anything else is an error page
STALE_FORM = "Le formulaire est incomplet ou périmé : rechargez la page, puis recommencez."
_FRENCH_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


@dataclass(frozen=True)
class Notice:
    """The outcome of a form, shown where the form is, focused and announced.

    `place` names the form's spot on a page with several forms ("" where the page, or the card, has one); a
    conflict also carries the version now stored (`current`) and what the person sent (`tried`), shown side by
    side.
    """

    kind: Kind
    text: str
    place: str = ""
    current: dict[str, Any] | None = None
    tried: Any = None

    def at(self, place: str) -> Notice:
        """The same outcome shown elsewhere (its form is gone from the page, or another spot is meant)."""
        return replace(self, place=place)


# --- field errors --------------------------------------------------------------------------------------------

FieldMessage = Callable[[str, dict[str, Any]], str]


@dataclass(frozen=True)
class Fields:
    """A form's fields as a service names them, and what to tell the person about each one in French."""

    names: Mapping[str, str]  # the service's field -> the form's field
    message: FieldMessage  # (the form's field, the service's error detail) -> French message
    fallback: str  # when the refusal points at no field

    def errors(self, body: Any) -> dict[str, str]:
        """{form field: French message} from a 422 answer; `_form` holds what fits no field."""
        errors: dict[str, str] = {}
        if isinstance(body, dict) and "errors" not in body:  # a domain refusal: {code, message, field}
            errors[self.names.get(str(body.get("field") or ""), "_form")] = body.get("message") or self.fallback
            return errors
        details = body.get("errors") if isinstance(body, dict) else None
        for error in details if isinstance(details, list) else []:
            name = self.names.get(str(error.get("field", "")).split(".")[0])
            if name:
                errors.setdefault(name, self.message(name, error))
            else:
                errors.setdefault("_form", STALE_FORM)
        return errors or {"_form": self.fallback}


def too_long(what: str, error: dict[str, Any]) -> str:
    """« Le commentaire ne doit pas dépasser 4 000 caractères. » from a `string_too_long` detail."""
    limit = f"{int((error.get('ctx') or {}).get('max_length', 0)):,}".replace(",", "\u202f")
    return f"{what} ne doit pas dépasser {limit} caractères."


# --- a service's refusal -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Refusal:
    """What a form shows after a service said no: the status to answer with, the notice, errors by field."""

    status_code: int
    notice: Notice
    errors: dict[str, str] = field(default_factory=dict)


def refusal(exc: ServiceError, *, place: str = "", fields: Fields | None = None, invalid: str | None = None,
            refused: str | None = None, conflict: str | None = None,
            changed: Callable[[dict[str, Any]], str] | None = None, tried: Any = None,
            fallback: str = "Action refusée.", nothing_done: str = "Rien n'a été enregistré.") -> Refusal:
    """The outcome of a form the service refused (403, 409, 413, 422); any other error is raised again.

    By default the notice says the service's own reason (or `fallback`) and `nothing_done`. A form may say
    instead: `invalid`, its summary of a 422 whose fields each get their message from `fields`; `refused` for a
    403; `conflict` for a 409; `changed(current)` for a 409 carrying the version now stored, which the notice
    then shows beside `tried`.
    """
    if exc.status_code not in REFUSALS:
        raise exc
    default = f"{exc.message or fallback} {nothing_done}"
    if exc.status_code == 403:
        return Refusal(403, Notice("refused", refused or default, place))
    if exc.status_code == 409:
        current = exc.body.get("current") if isinstance(exc.body, dict) else None
        if changed is not None and isinstance(current, dict):
            return Refusal(409, Notice("conflict", changed(current), place, current=current, tried=tried))
        return Refusal(409, Notice("conflict", conflict or default, place))
    errors = fields.errors(exc.body) if fields is not None and exc.status_code == 422 else {}
    return Refusal(exc.status_code, Notice("error", invalid or default, place), errors)


def changed_meanwhile(current: dict[str, Any], what: str, attempt: str) -> str:
    """The conflict of an edit made from a stale version: who changed `what`, when, and what to do now."""
    who = ""
    if current.get("updated_by_name"):
        when = f", le {datetime_fr(current['updated_at'])}" if current.get("updated_at") else ""
        who = f" ({current['updated_by_name']}{when})"
    return (f"Quelqu'un a modifié {what} entre-temps{who} : {attempt} n'a pas été enregistrée. Le formulaire "
            "montre maintenant la version actuelle ; reprenez votre modification à partir d'elle.")


# --- reading what was typed ----------------------------------------------------------------------------------

def text(form: FormData, name: str) -> str:
    """A field's text, trimmed ("" when absent, or a file)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def texts(form: FormData, name: str) -> list[str]:
    """Every non-empty value of a repeated field (checkboxes, multiple selects)."""
    return [v for v in form.getlist(name) if isinstance(v, str) and v]


def iso_date(typed: str) -> str | None:
    """A date typed as 31/03/2027 (no date picker) turned into 2027-03-31; anything else as typed, for the service
    to judge; None when empty."""
    if not typed:
        return None
    if m := _FRENCH_DATE.match(typed):
        return f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}"
    return typed


def form_version(typed: str) -> int | str:
    """The version the form was read at: a number, or what came (the service refuses it)."""
    return int(typed) if typed.isdigit() else typed
