"""The participation service's table registry: every aggregate module of `service/` declares its tables on `Base`.

Importing `services.participation.service` registers them all (the app and the migrations do).
"""

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime
from sqlmodel import SQLModel

from kernel.app import kernel_tables
from kernel.db import new_registry

registry = new_registry()
metadata = registry.metadata


class Base(SQLModel, registry=registry):
    pass


def now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """SQLite gives back naive datetimes: every instant this service stores is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def timestamp(*, nullable: bool = False, index: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


kernel_tables(metadata)
