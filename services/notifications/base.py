"""The service's table registry, apart from `models` so that aggregate modules can define their tables on it
and `models` can import them all (migrations read `models.metadata`)."""

from datetime import UTC, datetime

from sqlmodel import SQLModel

from kernel.db import new_registry

registry = new_registry()
metadata = registry.metadata


def now() -> datetime:
    return datetime.now(UTC)


class Base(SQLModel, registry=registry):
    pass
