"""Tables of the engagements service. A pilot's part is its own account of its work on an engagement."""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from kernel.app import kernel_tables
from kernel.db import new_registry

# Published in `labels` (the gateway shows them); the service's own modules import them from here.
from services.engagements.labels import STATUS_LABELS, Status  # noqa: F401

registry = new_registry()
metadata = registry.metadata


def now() -> datetime:
    return datetime.now(UTC)


class Base(SQLModel, registry=registry):
    pass


class Contract(Base, table=True):
    id: str = Field(primary_key=True, max_length=80)
    title: str
    territory: str
    version: str = Field(max_length=40)
    checksum: str = Field(max_length=64)
    qpv: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    loaded_at: datetime = Field(default_factory=now)


class Organisation(Base, table=True):
    """The pilot organisations as the contract names them (this service's own copy)."""

    id: str = Field(primary_key=True, max_length=80)
    name: str
    short_name: str | None = None
    kind: str = Field(max_length=40)


class Axis(Base, table=True):
    __table_args__ = (UniqueConstraint("contract_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(foreign_key="contract.id", max_length=80)
    number: int
    title: str


class Theme(Base, table=True):
    id: str = Field(primary_key=True, max_length=80)
    contract_id: str = Field(foreign_key="contract.id", max_length=80)
    axis_number: int
    position: int
    title: str
    objectives: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Engagement(Base, table=True):
    __table_args__ = (UniqueConstraint("contract_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(foreign_key="contract.id", max_length=80, index=True)
    number: int = Field(index=True)
    title: str
    axis_number: int
    theme_id: str = Field(foreign_key="theme.id", max_length=80)
    actions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    indicators: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    qpv: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class PilotPart(Base, table=True):
    """One pilot organisation's part of an engagement: its status, progress and comment, versioned."""

    __tablename__ = "pilot_part"
    __table_args__ = (UniqueConstraint("engagement_id", "organisation_id"),)
    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True)
    organisation_id: str = Field(foreign_key="organisation.id", max_length=80, index=True)
    uncertain: bool = False
    note: str | None = None
    active: bool = True  # False when a newer contract version no longer names this pilot (history is kept)
    status: Status = Field(default=Status.A_LANCER, sa_column=Column(String(20), nullable=False))
    progress: int = 0
    comment: str | None = None
    qpv: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    next_milestone: str | None = None
    next_milestone_date: date | None = None
    # Optional detail per action: [{"index": 0, "status": "en_cours", "comment": "..."}]
    actions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False,
                                                                                  server_default="[]"))
    version: int = 1
    updated_at: datetime | None = None
    updated_by_name: str | None = None


class ProgressChange(Base, table=True):
    """Who changed what, when, from what: the engagement's history, never rewritten."""

    __tablename__ = "progress_change"
    id: int | None = Field(default=None, primary_key=True)
    engagement_id: int = Field(foreign_key="engagement.id", index=True)
    organisation_id: str = Field(max_length=80)
    actor_user_id: str = Field(max_length=80)
    actor_name: str
    actor_organisation_id: str | None = Field(default=None, max_length=80)
    at: datetime = Field(default_factory=now)
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    comment: str | None = None
    version: int


kernel_tables(metadata)
