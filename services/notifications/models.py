"""Every table of the service: the activity feed's here, each aggregate's in its own module (imported below so
that `metadata` holds them all), and the kernel's outbox and inbox."""

from datetime import datetime

from sqlmodel import Field

from kernel.app import kernel_tables
from services.notifications.base import Base, metadata, now, registry

__all__ = ["Activity", "Base", "metadata", "now", "registry"]


class Activity(Base, table=True):
    """One line of the activity feed: an event this service received, kept for display."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=64, unique=True)
    event_type: str = Field(max_length=120, index=True)
    subject: str | None = Field(default=None, max_length=200)
    summary: str = Field(max_length=500)
    organisation_id: str | None = Field(default=None, max_length=80, index=True)
    occurred_at: datetime
    received_at: datetime = Field(default_factory=now)


kernel_tables(metadata)

# The aggregates' tables join the metadata when their modules load.
from services.notifications import (  # noqa: E402,F401,I001
    circulation, deliveries, digests, indicators, notices, people, preferences, reminders, webhooks,
)
