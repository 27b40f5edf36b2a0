"""Tables of the gateway: people's accounts, their browser sessions and the login attempts (throttling)."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, SQLModel

from kernel.db import new_registry

registry = new_registry()
metadata = registry.metadata


def now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """SQLite gives back naive datetimes: every datetime the gateway stores is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _timestamp(*, nullable: bool = False, index: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


class Base(SQLModel, registry=registry):
    pass


class Account(Base, table=True):
    """A person who logs in: a referent of an organisation, the COPIL secretariat, an administrator…"""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex, primary_key=True, max_length=32)
    email: str = Field(max_length=254, unique=True)  # stored lower-case
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=200)
    organisation_id: str | None = Field(default=None, max_length=80, index=True)
    organisation_name: str | None = Field(default=None, max_length=300)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    created_at: datetime = Field(default_factory=now, sa_column=_timestamp())
    last_login_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))


class WebSession(Base, table=True):
    """A logged-in browser. The cookie holds a random token; only its SHA-256 digest is stored here."""

    __tablename__ = "web_session"
    id: str = Field(primary_key=True, max_length=64)
    account_id: str = Field(foreign_key="account.id", max_length=32, index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=now, sa_column=_timestamp())
    last_seen_at: datetime = Field(default_factory=now, sa_column=_timestamp())
    expires_at: datetime = Field(sa_column=_timestamp(index=True))
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=300)


class LoginAttempt(Base, table=True):
    """One try at logging in, kept a day: failures within the window throttle an e-mail or an address."""

    __tablename__ = "login_attempt"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    ip: str | None = Field(default=None, max_length=64, index=True)
    at: datetime = Field(default_factory=now, sa_column=_timestamp(index=True))
    outcome: str = Field(max_length=10)  # success | failure | refused (while throttled; not counted)


class LoginThrottle(Base, table=True):
    """The tries left to one e-mail or one client address in its current window. A try is taken by a
    conditional UPDATE (`used < limit`) before the password is checked, so parallel attempts cannot all slip
    in between a check and the recording of its failure."""

    __tablename__ = "login_throttle"
    key: str = Field(primary_key=True, max_length=300)  # "email:<address>" or "ip:<address>"
    window_start: datetime = Field(sa_column=_timestamp())
    used: int = 0


class PasswordToken(Base, table=True):
    """A single-use link to set a password (an invitation to a new account, or a reset). The link carries a
    random token; only its SHA-256 digest is stored, with its expiry and the moment it was used."""

    __tablename__ = "password_token"
    id: str = Field(default_factory=lambda: uuid.uuid4().hex, primary_key=True, max_length=32)
    digest: str = Field(max_length=64, unique=True)
    account_id: str = Field(foreign_key="account.id", max_length=32, index=True)
    purpose: str = Field(max_length=12)  # invitation | reset
    created_at: datetime = Field(default_factory=now, sa_column=_timestamp())
    expires_at: datetime = Field(sa_column=_timestamp())
    used_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
