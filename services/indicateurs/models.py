"""Tables of the indicateurs service."""

from datetime import UTC, datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from kernel.app import kernel_tables
from kernel.db import new_registry

registry = new_registry()
metadata = registry.metadata


class Base(SQLModel, registry=registry):
    pass


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
    unit: str = Field(default="nombre", max_length=20)
    periodicity: str = Field(default="annuelle", max_length=20)
    target: float | None = None
    by_qpv: bool = False
    responsible: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    version: int = 1
    updated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


kernel_tables(metadata)
