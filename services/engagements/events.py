"""Events the engagements service publishes (the integrators' contract: change only by adding a new type)."""

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from kernel.events import EventPayload, event_type


class ActionState(BaseModel):
    """A pilot's status for one action of the engagement, when it reports at that level of detail."""

    index: int = Field(ge=0, description="Rang de l'action dans l'engagement (0 pour la première).")
    status: str
    comment: str | None = None


class PartState(BaseModel):
    status: str
    progress: int = Field(ge=0, le=100)
    comment: str | None = None
    qpv: list[str] = []
    next_milestone: str | None = None
    next_milestone_date: date | None = None
    actions: list[ActionState] = Field(default=[], description="Détail par action, si le pilote le donne.")


@event_type("cdv.engagements.engagement.progress_updated",
            "Un pilote a mis à jour sa part d'un engagement (statut, avancement, commentaire, QPV, jalon).")
class ProgressUpdated(EventPayload):
    contract_id: str
    engagement_number: int = Field(description="Numéro de l'engagement dans le contrat (1 à 50 à Nantes).")
    title: str
    organisation_id: str = Field(description="Organisation pilote dont la part a changé.")
    organisation_name: str
    actor_organisation_id: str | None = Field(description="Organisation de la personne qui a agi.")
    actor_name: str
    version: int = Field(description="Version de la part après le changement.")
    before: PartState
    after: PartState
    changed: list[str] = Field(description="Champs modifiés.")
    consolidated_status: str = Field(description="Statut consolidé de l'engagement après le changement.")


@event_type("cdv.engagements.engagement.defined",
            "Un engagement est apparu ou a changé dans le contrat chargé (titre, thème, pilotes, indicateurs).")
class EngagementDefined(EventPayload):
    contract_id: str
    contract_version: str
    engagement_number: int
    title: str
    axis_number: int
    theme_id: str
    theme_title: str
    pilots: list[str]
    indicators: list[dict[str, Any]]
    qpv: list[str]


@event_type("cdv.engagements.contract.loaded",
            "Une version du contrat a été chargée : ce qui a été ajouté ou modifié.")
class ContractLoaded(EventPayload):
    contract_id: str
    title: str
    version: str
    engagements: int
    added: list[int]
    changed: list[int]
