"""Events the indicateurs service publishes."""

from pydantic import Field

from kernel.events import EventPayload, event_type


@event_type("cdv.indicateurs.definition.defined",
            "Une définition d'indicateur est apparue ou a changé (libellé, unité, périodicité, cible, pilotes).")
class DefinitionDefined(EventPayload):
    indicator_id: int
    contract_id: str
    engagement_number: int
    label: str
    unit: str
    periodicity: str = Field(description="annuelle, semestrielle ou trimestrielle")
    target: float | None
    by_qpv: bool
    responsible: list[str] = Field(description="Organisations chargées de renseigner l'indicateur.")
    active: bool
    version: int
