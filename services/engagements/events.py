"""Events the engagements service publishes (the integrators' contract: change only by adding a new type).

A progress update is published twice: in detail on the internal stream (who acted, the pilots' comments: for
the services, e.g. the COPIL pack) and as its public projection (`progress_updated_v2`) for integrators.
"""

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from kernel.events import EventPayload, event_type


class ActionState(BaseModel):
    """A pilot's status for one action of the engagement, when it reports at that level of detail."""

    index: int = Field(ge=0, description="Rang de l'action dans l'engagement (0 pour la première).")
    status: str = Field(description="Statut de l'action : non_demarre, en_cours, realise, abandonne, bloque…")
    comment: str | None = Field(None, description="Commentaire du pilote sur l'action (interne).")


class PartState(BaseModel):
    """A pilot's part of an engagement, as the pilot reports it (with its comments: internal)."""

    status: str = Field(description="Statut de la part : non_demarre, en_cours, realise, abandonne, bloque…")
    progress: int = Field(ge=0, le=100, description="Avancement en pourcentage (0 à 100).")
    comment: str | None = Field(None, description="Commentaire du pilote (interne).")
    qpv: list[str] = Field([], description="QPV où la part s'applique (identifiants), vide : tous.")
    next_milestone: str | None = Field(None, description="Prochain jalon annoncé.")
    next_milestone_date: date | None = Field(None, description="Date du prochain jalon.")
    actions: list[ActionState] = Field(default=[], description="Détail par action, si le pilote le donne.")


class ProgressFields(EventPayload):
    contract_id: str = Field(description="Identifiant du contrat chargé, ex. nantes-metropole-2019.")
    engagement_number: int = Field(description="Numéro de l'engagement dans le contrat (1 à 50 à Nantes).")
    title: str = Field(description="Intitulé de l'engagement.")
    organisation_id: str = Field(description="Organisation pilote dont la part a changé.")
    organisation_name: str = Field(description="Nom de cette organisation.")
    actor_organisation_id: str | None = Field(description="Organisation de la personne qui a agi (le pilote ou "
                                                          "le secrétariat).")
    version: int = Field(description="Version de la part après le changement.")
    changed: list[str] = Field(description="Champs modifiés.")
    consolidated_status: str = Field(description="Statut consolidé de l'engagement après le changement.")


@event_type("cdv.engagements-internal.engagement.progress_updated",
            "Un pilote a mis à jour sa part d'un engagement, en détail : qui, commentaires (interne).")
class ProgressUpdated(ProgressFields):
    actor_name: str = Field(description="Personne qui a agi.")
    before: PartState = Field(description="La part avant le changement.")
    after: PartState = Field(description="La part après le changement.")


@event_type("cdv.engagements.engagement.progress_updated",
            "Un pilote a mis à jour sa part d'un engagement (statut, avancement, commentaire, QPV, jalon).",
            retired="Plus publié : portait le nom de la personne et les commentaires des pilotes. Remplacé par "
                    "cdv.engagements.engagement.progress_updated_v2 ; les événements passés restent dans le flux.")
class ProgressUpdatedV1(ProgressUpdated):
    pass


class PublicActionState(BaseModel):
    """An action's status, without the pilot's comment."""

    index: int = Field(ge=0, description="Rang de l'action dans l'engagement (0 pour la première).")
    status: str = Field(description="Statut de l'action : non_demarre, en_cours, realise, abandonne, bloque…")


class PublicPartState(BaseModel):
    """A pilot's part of an engagement, as the public sees it (no comment)."""

    status: str = Field(description="Statut de la part : non_demarre, en_cours, realise, abandonne, bloque…")
    progress: int = Field(ge=0, le=100, description="Avancement en pourcentage (0 à 100).")
    qpv: list[str] = Field([], description="QPV où la part s'applique (identifiants), vide : tous.")
    next_milestone: str | None = Field(None, description="Prochain jalon annoncé.")
    next_milestone_date: date | None = Field(None, description="Date du prochain jalon.")
    actions: list[PublicActionState] = Field(default=[], description="Statut par action, si le pilote le donne.")

    @classmethod
    def of(cls, state: PartState) -> "PublicPartState":
        return cls.model_validate(state.model_dump(exclude={"comment"}) | {
            "actions": [a.model_dump(exclude={"comment"}) for a in state.actions]})


@event_type("cdv.engagements.engagement.progress_updated_v2",
            "Un pilote a mis à jour sa part d'un engagement (statut, avancement, QPV, jalon, actions) ; sans nom de "
            "personne ni commentaire.")
class ProgressUpdatedV2(ProgressFields):
    before: PublicPartState = Field(description="La part avant le changement.")
    after: PublicPartState = Field(description="La part après le changement.")

    @classmethod
    def of(cls, detail: ProgressUpdated) -> "ProgressUpdatedV2":
        """The public projection of a detailed progress update."""
        fields = detail.model_dump(include=set(ProgressFields.model_fields))
        return cls(**fields, before=PublicPartState.of(detail.before), after=PublicPartState.of(detail.after))


@event_type("cdv.engagements.engagement.defined",
            "Un engagement est apparu ou a changé dans le contrat chargé (titre, thème, pilotes, indicateurs).")
class EngagementDefined(EventPayload):
    contract_id: str = Field(description="Identifiant du contrat chargé, ex. nantes-metropole-2019.")
    contract_version: str = Field(description="Version du contrat chargé (ex. avenant-2019).")
    engagement_number: int = Field(description="Numéro de l'engagement dans le contrat.")
    title: str = Field(description="Intitulé de l'engagement.")
    axis_number: int = Field(description="Numéro de l'axe du contrat (1 à 5 à Nantes).")
    theme_id: str = Field(description="Identifiant de la thématique.")
    theme_title: str = Field(description="Intitulé de la thématique.")
    pilots: list[str] = Field(description="Organisations pilotes (identifiants).")
    indicators: list[dict[str, Any]] = Field(description="Indicateurs tels que libellés au contrat : label "
                                                         "(libellé), et unit, periodicity, target… s'il les donne.")
    qpv: list[str] = Field(description="QPV concernés (identifiants), vide : tous.")


@event_type("cdv.engagements.contract.loaded",
            "Une version du contrat a été chargée : ce qui a été ajouté ou modifié.")
class ContractLoaded(EventPayload):
    contract_id: str = Field(description="Identifiant du contrat chargé.")
    title: str = Field(description="Titre du contrat.")
    version: str = Field(description="Version chargée.")
    engagements: int = Field(description="Nombre d'engagements du contrat.")
    added: list[int] = Field(description="Numéros des engagements ajoutés par ce chargement.")
    changed: list[int] = Field(description="Numéros des engagements modifiés par ce chargement.")
