"""What the governance pages share: calls made for the viewer or, without an account, for the public; a
service's refusal as the notice shown beside its form; reading dates, times and engagement numbers."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Any

from fastapi import Depends

from gateway.cache import PUBLIC
from gateway.clients import ServiceCalls, ServiceError
from gateway.deps import ClientsDep, OptionalViewer
from gateway.forms import Notice, Refusal, iso_date, refusal

NOTHING_DONE = "Rien n'a été enregistré."
# The services' field names, as the person knows them (in the message of a request the service could not read).
FIELD_NAMES = {"title": "Titre", "starts_at": "Début", "ends_at": "Fin", "text": "Texte", "reason": "Raison",
               "name": "Nom", "email": "Adresse e-mail", "comment": "Commentaire", "url": "Adresse",
               "duration_minutes": "Durée", "engagements": "Engagements", "due_on": "Échéance",
               "late_reason": "Raison du retard", "body_id": "Instance", "lines": "Présences"}


async def public_calls(viewer: OptionalViewer, clients: ClientsDep) -> ServiceCalls:
    """Calls for the viewer, or for the public when nobody is logged in."""
    return clients.on_behalf_of(viewer.identity if viewer else PUBLIC)


AnyCalls = Annotated[ServiceCalls, Depends(public_calls)]


def refused(exc: ServiceError, place: str) -> Refusal:
    """The outcome shown at `place` after participation said no (`gateway.forms.refusal`): the service's own
    message, or, for a request it could not read, the first field at fault named in French."""
    return refusal(exc, place=place, invalid=_first_field_error(exc.body), fallback="Cette action a été refusée.",
                   nothing_done=NOTHING_DONE)


def _first_field_error(body: Any) -> str | None:
    errors = body.get("errors") if isinstance(body, dict) else None
    if not errors:
        return None  # a domain refusal: its message says it
    field = str(errors[0].get("field", ""))
    return f"{FIELD_NAMES.get(field.split('.')[0], field)} : {errors[0].get('message')}. {NOTHING_DONE}"


class NotNumbers(ValueError):
    """A list of engagement numbers with something else in it: the French message names it."""


def numbers(value: str, label: str = "Engagements liés") -> list[int]:
    """"12, 47" (or "n° 12 ; 47") -> [12, 47]; anything that is not a number is refused (`NotNumbers`), the form's
    `label` and the token named. Whether the engagements exist is the service's to say."""
    tokens = re.split(r"[\s,;]+", re.sub(r"n\s*°", " ", value, flags=re.IGNORECASE))
    for token in tokens:
        if token and not (token.isascii() and token.isdigit()):
            raise NotNumbers(f"{label} : « {token} » n'est pas un numéro d'engagement. {NOTHING_DONE}")
    return [int(t) for t in tokens if t]


def _hour(typed: str) -> time | None:
    """A time field's value (09:30, or 9 alone as 9:00 wherever the field has no picker), or None."""
    try:
        return time.fromisoformat(typed if len(typed) > 2 else f"{typed.zfill(2)}:00")
    except ValueError:
        return None


def wrong_hours(values: dict[str, str]) -> str | None:
    """What is wrong with the start and end times as typed, in French (the service would speak of a date-time)."""
    for key, label in (("start", "Heure de début"), ("end", "Heure de fin")):
        hour = values.get(key) or ""
        if hour and _hour(hour) is None:
            return f"{label} : « {hour} » n'est pas une heure (HH:MM, par exemple 09:30). {NOTHING_DONE}"
    return None


async def post_meeting(calls: ServiceCalls, path: str, body: dict[str, Any], values: dict[str, str],
                   place: str) -> tuple[dict[str, Any], Refusal | None]:
    """Posts a meeting typed in a form (`values`, with its start and end hours): the meeting created, or (`{}` and)
    why not, said at `place`. The hours are checked here first (the service would speak of a date-time, not of
    the hour typed)."""
    if wrong := wrong_hours(values):
        return {}, Refusal(422, Notice("error", wrong, place))
    try:
        return await calls.post("participation", path, body), None
    except ServiceError as exc:
        return {}, refused(exc, place)


def local_datetime(day: str, hour: str) -> str | None:
    """A date field (or a date typed as 31/03/2027) and a time field as the ISO wall-clock time the service
    expects; the pages check the hour first (`wrong_hours`)."""
    day = iso_date(day) or ""
    parsed = _hour(hour or "09:00")
    if not day:
        return None
    return f"{day}T{parsed.isoformat()}" if parsed else f"{day}T{hour}"  # else the service says what is wrong


def names(orgs: list[dict[str, Any]]) -> dict[str, str]:
    return {o["id"]: o["name"] for o in orgs}
