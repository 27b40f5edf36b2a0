"""API shapes of the indicateurs service."""

from pydantic import BaseModel


class DefinitionOut(BaseModel):
    id: int
    engagement_number: int
    engagement_title: str
    label: str
    uncertain: bool
    unit: str
    periodicity: str
    target: float | None
    by_qpv: bool
    responsible: list[str]
    version: int
