"""What every aggregate of participation shares: ids, Paris time, the caller's rights, French text checks."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from kernel.errors import Forbidden, Invalid
from kernel.identity import Identity

PARIS_TZ = "Europe/Paris"
PARIS = ZoneInfo(PARIS_TZ)


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """An instant to store: in UTC, since the database keeps the wall clock as given (a naive one is taken as UTC,
    as every instant this service stores is)."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def today_paris(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(PARIS).date()


def localize(local: datetime, zone: str = PARIS_TZ) -> datetime:
    """A wall-clock time in its zone (the offset of that day: 9:30 stays 9:30 across a daylight-saving change)."""
    return local.replace(tzinfo=ZoneInfo(zone))


def require_secretariat(who: Identity, what: str) -> None:
    """Only the COPIL secretariat (or an administrator) may do `what` (French infinitive phrase)."""
    if not who.is_secretariat:
        raise Forbidden(f"Seul le secrétariat du COPIL peut {what}.")


def clean(text: str | None, field: str, label: str, *, required: bool = False, max_length: int = 4000) -> str | None:
    """Trimmed text or None; a clear French error for a missing or too long value."""
    value = (text or "").strip()
    if not value:
        if required:
            raise Invalid(f"{label} : champ obligatoire.", field=field)
        return None
    if len(value) > max_length:
        raise Invalid(f"{label} : {max_length} caractères au plus.", field=field)
    return value


PUBLIC_USER = "public"


def is_public(who: Identity) -> bool:
    """The gateway calls for a visitor without an account under this user id."""
    return who.user_id == PUBLIC_USER
