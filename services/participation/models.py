"""Tables of the participation service: the registry of organisations and priority neighbourhoods (QPV)."""

from datetime import UTC, datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from kernel.app import kernel_tables
from kernel.db import new_registry

registry = new_registry()
metadata = registry.metadata


class Base(SQLModel, registry=registry):
    pass


class Organisation(Base, table=True):
    """A signatory, a pilot or a participative body (conseil citoyen, inter-associatif, interbailleurs)."""

    id: str = Field(primary_key=True, max_length=80)
    name: str
    short_name: str | None = None
    kind: str = Field(max_length=40, index=True)
    signatory: bool = False
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class Qpv(Base, table=True):
    """A priority neighbourhood (quartier prioritaire de la politique de la ville)."""

    id: str = Field(primary_key=True, max_length=80)
    name: str
    cities: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    code: str | None = Field(default=None, max_length=20, description="Code national du QPV")
    conseil_citoyen: bool | None = None


kernel_tables(metadata)
