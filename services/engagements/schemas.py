"""API shapes of the engagements service."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from kernel.ids import Cursor, Ref
from services.engagements.models import Status


class ActionUpdate(BaseModel):
    index: Cursor
    status: Status
    comment: str | None = Field(default=None, max_length=1000)


class OrganisationIn(BaseModel):
    id: str
    name: str
    short_name: str | None = None
    kind: str


class ThemeIn(BaseModel):
    id: str
    title: str
    objectives: list[str] = []


class AxisIn(BaseModel):
    number: Ref
    title: str
    themes: list[ThemeIn]


class PilotIn(BaseModel):
    organisation: str
    uncertain: bool = False
    note: str | None = None


class EngagementIn(BaseModel):
    number: Ref
    title: str
    axis: Ref
    theme: str
    actions: list[str] = []
    pilots: list[PilotIn] = Field(min_length=1)
    qpv: list[str] = []
    indicators: list[dict[str, Any]] = []


class QpvIn(BaseModel):
    id: str
    name: str


class CatalogueIn(BaseModel):
    """The part of a contract file this service owns."""

    id: str
    title: str
    territory: str
    version: str
    organisations: list[OrganisationIn]
    qpv: list[QpvIn] = []
    axes: list[AxisIn]
    engagements: list[EngagementIn]


class LoadReport(BaseModel):
    contract_id: str
    version: str
    added: list[int]
    changed: list[int]
    unchanged: int


class PartUpdate(BaseModel):
    """A pilot's new account of its part. `version` is the one the writer read (optimistic concurrency)."""

    version: Cursor
    status: Status
    progress: int = Field(ge=0, le=100)
    comment: str | None = Field(default=None, max_length=4000)
    qpv: list[str] = []
    next_milestone: str | None = Field(default=None, max_length=300)
    next_milestone_date: date | None = None
    actions: list[ActionUpdate] = Field(default=[], description="Détail par action (facultatif)")

    @field_validator("comment", "next_milestone")
    @classmethod
    def blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


class PartOut(BaseModel):
    organisation_id: str
    organisation_name: str
    uncertain: bool
    note: str | None
    active: bool
    status: Status
    status_label: str
    progress: int
    comment: str | None
    qpv: list[str]
    next_milestone: str | None
    next_milestone_date: date | None
    actions: list[dict[str, Any]]
    version: int
    updated_at: datetime | None
    updated_by_name: str | None


class ChangeOut(BaseModel):
    organisation_id: str
    actor_name: str
    actor_organisation_id: str | None
    at: datetime
    changes: dict[str, Any]
    comment: str | None
    version: int


class EngagementSummary(BaseModel):
    number: int
    title: str
    axis_number: int
    axis_title: str
    theme_id: str
    theme_title: str
    pilots: list[str]
    pilot_names: list[str]
    status: Status
    status_label: str
    progress: int
    qpv: list[str]
    last_update: datetime | None


class EngagementWithParts(EngagementSummary):
    """An engagement with its contents and every pilot's part (what a list of editable cards needs)."""

    contract_id: str
    objectives: list[str]
    actions: list[str]
    indicators: list[dict[str, Any]]
    parts: list[PartOut]


class EngagementDetail(EngagementWithParts):
    history: list[ChangeOut] = Field(description="Les dernières modifications des parts, de la plus récente à la "
                                                 "plus ancienne (au plus `history` demandées).")
    history_total: int = Field(0, description="Nombre de modifications enregistrées en tout.")


class AxisOut(BaseModel):
    number: int
    title: str
    themes: list[ThemeIn]


class PublicPart(BaseModel):
    """A pilot's part as the public sees it: no comment, no note, no person's name."""

    organisation_id: str
    organisation_name: str
    status: Status
    status_label: str
    progress: int
    qpv: list[str]
    updated_at: datetime | None = Field(description="Date de la dernière mise à jour de la part par son pilote.")


class PublicEngagement(BaseModel):
    """An engagement as the public sees it (the portal, the open data)."""

    number: int
    title: str
    axis_number: int
    axis_title: str
    theme_id: str
    theme_title: str
    status: Status
    status_label: str
    progress: int
    qpv: list[str]
    last_update: datetime | None
    objectives: list[str]
    actions: list[str]
    indicators: list[str] = Field(description="Libellés des indicateurs, tels que dans le contrat.")
    pilots: list[PublicPart]
