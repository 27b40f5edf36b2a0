from datetime import UTC, datetime

from sqlmodel import Field, SQLModel

from kernel.app import kernel_tables
from kernel.db import new_registry

registry = new_registry()
metadata = registry.metadata


class Base(SQLModel, registry=registry):
    pass


class Activity(Base, table=True):
    """One line of the activity feed: an event this service received, kept for display."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=64, unique=True)
    event_type: str = Field(max_length=120, index=True)
    subject: str | None = Field(default=None, max_length=200)
    summary: str = Field(max_length=500)
    organisation_id: str | None = Field(default=None, max_length=80, index=True)
    occurred_at: datetime
    received_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


kernel_tables(metadata)

# Aggregate modules keep their own tables; importing them here puts those tables in this metadata (migrations).
from services.notifications import webhooks as webhooks  # noqa: E402
