"""Tables of the indicateurs service.

A *submission* row is one version of one value: an organisation's figure for an indicator, a period and (when
the indicator is broken down by QPV) a QPV. The versions of the same value share a `slot`; a correction adds a
version and never rewrites an older one (only its `latest` flag drops).
"""

from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, LargeBinary, String, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from kernel.app import kernel_tables
from kernel.db import new_registry

# Published in `labels` (the gateway shows them); the service's own modules import them from here.
from services.indicateurs.labels import QUALIFICATION_LABELS, STATE_LABELS, UNITS, Qualification, State  # noqa: F401

registry = new_registry()
metadata = registry.metadata


def now() -> datetime:
    return datetime.now(UTC)


class Base(SQLModel, registry=registry):
    pass


class CampaignStatus(StrEnum):
    OUVERTE = "ouverte"
    CLOSE = "close"


class IndicatorDefinition(Base, table=True):
    """An indicator of an engagement, built from the contract's labels (then refined by the secretariat)."""

    __tablename__ = "indicator_definition"
    __table_args__ = (UniqueConstraint("contract_id", "engagement_number", "label"),)
    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(max_length=80)
    engagement_number: int = Field(index=True)
    engagement_title: str
    label: str
    uncertain: bool = False
    note: str | None = None
    unit: str = Field(default="nombre", max_length=20)
    periodicity: str = Field(default="annuelle", max_length=20)
    target: float | None = None
    by_qpv: bool = False
    # QPV where the indicator is reported when broken down (empty: every QPV of the contract).
    qpv: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    negative_allowed: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    responsible: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # True once the secretariat named the responsible organisations: contract reloads then leave them alone.
    responsible_custom: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # True once the platform computed a value of it (`service/measures.py`): nobody owes it, nobody types it.
    computed: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    active: bool = True
    version: int = 1
    updated_at: datetime = Field(default_factory=now)
    updated_by_name: str | None = None


class DefinitionVersion(Base, table=True):
    """Each version of a definition as it was, with who made it and what changed: never rewritten."""

    __tablename__ = "definition_version"
    __table_args__ = (UniqueConstraint("indicator_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = Field(foreign_key="indicator_definition.id", index=True)
    version: int
    label: str
    unit: str = Field(max_length=20)
    periodicity: str = Field(max_length=20)
    target: float | None = None
    by_qpv: bool
    qpv: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    negative_allowed: bool
    responsible: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool
    changed: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    actor_user_id: str | None = Field(default=None, max_length=80)
    actor_name: str
    at: datetime = Field(default_factory=now)


class Qpv(Base, table=True):
    """This service's copy of the priority neighbourhoods, from `cdv.participation.qpv.registered`."""

    id: str = Field(primary_key=True, max_length=80)
    name: str
    code: str | None = Field(default=None, max_length=20, description="Code national du QPV")
    cities: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=now)


class Organisation(Base, table=True):
    """This service's copy of the organisations, from `cdv.participation.organisation.registered`."""

    id: str = Field(primary_key=True, max_length=80)
    name: str
    short_name: str | None = None
    kind: str = Field(max_length=40)


class ImportRun(Base, table=True):
    """A CSV file an organisation imported: who, when, how many values."""

    __tablename__ = "import_run"
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: str = Field(max_length=80, index=True)
    actor_user_id: str = Field(max_length=80)
    actor_name: str
    filename: str | None = None
    at: datetime = Field(default_factory=now)
    rows: int = 0
    recorded: int = 0
    corrected: int = 0
    unchanged: int = 0
    skipped: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # lines without a value


class ImportPreview(Base, table=True):
    """A file checked and shown to its referent before it is recorded; kept until confirmed (or a day old)."""

    __tablename__ = "import_preview"
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: str = Field(max_length=80)
    actor_user_id: str = Field(max_length=80, index=True)
    filename: str | None = None
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=now)


class Submission(Base, table=True):
    """One version of an organisation's value for an indicator, a period and possibly a QPV."""

    __table_args__ = (UniqueConstraint("slot", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    # "<indicator_id>/<period>/<qpv_id or ->/<organisation_id>": the value whose versions these are.
    slot: str = Field(max_length=200)  # looked up through the (slot, version) unique index
    indicator_id: int = Field(foreign_key="indicator_definition.id", index=True)
    period: str = Field(max_length=10, index=True)
    qpv_id: str | None = Field(default=None, max_length=80)
    organisation_id: str = Field(max_length=80, index=True)
    version: int
    latest: bool = True
    value: float
    qualification: str = Field(sa_column=Column(String(20), nullable=False))
    comment: str | None = None
    source: str | None = None
    state: str = Field(sa_column=Column(String(20), nullable=False))
    submitted_by_user_id: str = Field(max_length=80)  # who entered this version (its author)
    submitted_by_name: str
    # Who sent it to validation: its author, or another referent who submitted the author's draft (four eyes).
    sent_by_user_id: str | None = Field(default=None, max_length=80)
    created_at: datetime = Field(default_factory=now)
    submitted_at: datetime | None = None
    reviewed_by_name: str | None = None
    reviewed_at: datetime | None = None
    reason: str | None = None
    import_id: int | None = Field(default=None, foreign_key="import_run.id", index=True)


def slot_key(indicator_id: int, period: str, qpv_id: str | None, organisation_id: str) -> str:
    return f"{indicator_id}/{period}/{qpv_id or '-'}/{organisation_id}"


class Campaign(Base, table=True):
    """A collection window for a period; once closed (date passed or explicit close) the period is locked."""

    id: int | None = Field(default=None, primary_key=True)
    title: str
    period: str = Field(max_length=10, unique=True)
    closes_on: date
    status: str = Field(default=CampaignStatus.OUVERTE, sa_column=Column(String(20), nullable=False))
    opened_at: datetime = Field(default_factory=now)
    opened_by_name: str
    closed_at: datetime | None = None
    closed_by_name: str | None = None
    version: int = 1


class CampaignChange(Base, table=True):
    """Opening, closing and reopening of a campaign: who, when, why."""

    __tablename__ = "campaign_change"
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    action: str = Field(max_length=20)  # ouverture, cloture, reouverture
    automatic: bool = False
    actor_user_id: str | None = Field(default=None, max_length=80)
    actor_name: str
    reason: str | None = None
    closes_on: date | None = None
    at: datetime = Field(default_factory=now)


kernel_tables(metadata)


class ComputedMeasure(Base, table=True):
    """A value participation computed (`measure.computed`), kept as received: recorded as a value once its
    indicator's definition exists, even when the measure arrived first (the two come from different streams)."""

    __tablename__ = "computed_measure"
    id: int | None = Field(default=None, primary_key=True)
    engagement_number: int = Field(index=True)
    indicator_label: str
    measured_on: date
    qpv_id: str | None = Field(default=None, max_length=80)
    value: float
    basis: str
    received_at: datetime = Field(default_factory=now)
