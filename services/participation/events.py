"""Events the participation service publishes."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from kernel.events import EventPayload, event_type


@event_type("cdv.participation.organisation.registered",
            "Une organisation (signataire, pilote ou instance participative) est apparue ou a changé.")
class OrganisationRegistered(EventPayload):
    organisation_id: str = Field(description="Identifiant de l'organisation, ex. ville-nantes.")
    name: str = Field(description="Nom de l'organisation.")
    short_name: str | None = Field(description="Nom court ou sigle, s'il y en a un.")
    kind: str = Field(description="etat, collectivite, organisme-public, bailleur, association, "
                                  "instance-participative ou autre")
    signatory: bool = Field(description="Vrai pour un signataire du contrat.")


@event_type("cdv.participation.qpv.registered", "Un quartier prioritaire (QPV) est apparu ou a changé.")
class QpvRegistered(EventPayload):
    qpv_id: str = Field(description="Identifiant du QPV, ex. grand-bellevue.")
    name: str = Field(description="Nom du quartier.")
    cities: list[str] = Field(description="Communes où il se trouve.")
    code: str | None = Field(description="Code national du QPV, quand il est connu.")
    conseil_citoyen: bool | None = Field(description="Vrai quand le quartier a un conseil citoyen (inconnu : null).")


# --- governance: bodies, members, meetings, agendas, minutes, decisions ------------------------------------------
# Public events follow the public view: organisations and bodies, never a private person's name or address
# (a member appears by an opaque id, and by name only if they agreed). Personal data goes on the internal
# stream (`cdv.participation-internal.…`), which services read and integrators do not.


class MeetingRef(BaseModel):
    """What any recipient needs to know about a meeting, carried by every meeting event."""

    meeting_id: str = Field(description="Identifiant de la réunion.")
    body_id: str = Field(description="Instance qui se réunit.")
    body_name: str = Field(description="Nom de l'instance.")
    body_kind: str = Field(description="copil, gtc, groupe-thematique, interbailleurs, inter-associatif, "
                                       "conseil-citoyen ou rdv-politique-de-la-ville")
    title: str = Field(description="Intitulé de la réunion.")
    starts_at: datetime = Field(description="Début, avec le décalage horaire de Paris (ex. 2027-03-12T09:30:00+01:00).")
    ends_at: datetime = Field(description="Fin, avec le décalage horaire de Paris.")
    timezone: str = Field("Europe/Paris", description="Fuseau de la réunion (nom IANA).")
    place: str | None = Field(None, description="Lieu, s'il est connu.")
    video_url: str | None = Field(None, description="Lien de visioconférence, s'il y en a un.")
    url: str = Field(description="Page de la réunion dans la plateforme (lien absolu).")
    sequence: int = Field(ge=0, description="Numéro de révision de la réunion (SEQUENCE iCalendar) : augmente à "
                                            "chaque publication, révision, déplacement ou annulation.")


class AgendaDocument(BaseModel):
    title: str = Field(description="Titre du document.")
    url: str = Field(description="Lien absolu : fichier déposé ou lien externe.")
    public: bool = Field(True, description="Vrai quand le document est public (sinon : membres seulement).")


class AgendaItemOut(BaseModel):
    item_id: str = Field(description="Identifiant du point.")
    position: int = Field(ge=1, description="Rang du point dans l'ordre du jour (1 pour le premier).")
    title: str = Field(description="Intitulé du point.")
    theme: str | None = Field(None, description="Thématique du contrat abordée, s'il y en a une.")
    engagements: list[int] = Field([], description="Numéros des engagements abordés.")
    presenter_organisation_id: str | None = Field(None, description="Organisation qui présente le point.")
    presenter_organisation_name: str | None = Field(None, description="Nom de cette organisation.")
    duration_minutes: int | None = Field(None, description="Durée prévue, en minutes.")
    documents: list[AgendaDocument] = Field([], description="Documents joints au point.")
    description: str | None = Field(None, description="Présentation du point, si le secrétariat en donne une.")


class AgendaChange(BaseModel):
    """One difference between two versions of an agenda."""

    kind: Literal["added", "removed", "moved", "changed", "document_added", "document_removed"] = Field(
        description="Nature du changement.")
    item_id: str = Field(description="Point concerné.")
    title: str = Field(description="Intitulé du point.")
    detail: str = Field(description="En français, ex. « passe de la position 3 à la position 1 ».")


@event_type("cdv.participation.meeting.scheduled", "Une réunion d'une instance est programmée.")
class MeetingScheduled(EventPayload):
    meeting: MeetingRef = Field(description="La réunion concernée.")
    agenda_due_on: date = Field(description="Date à laquelle l'ordre du jour doit être diffusé (délai de l'instance).")


@event_type("cdv.participation.meeting.moved", "Une réunion programmée change de date, d'heure ou de lieu.")
class MeetingMoved(EventPayload):
    meeting: MeetingRef = Field(description="La réunion concernée.")
    previous_starts_at: datetime = Field(description="Début prévu auparavant.")
    previous_place: str | None = Field(None, description="Lieu prévu auparavant.")
    agenda_due_on: date = Field(description="Date à laquelle l'ordre du jour doit être diffusé (délai de l'instance).")


@event_type("cdv.participation.meeting.agenda_published",
            "L'ordre du jour d'une réunion est publié (version figée et numérotée) : à diffuser aux membres.")
class AgendaPublished(EventPayload):
    meeting: MeetingRef = Field(description="La réunion concernée.")
    version: int = Field(ge=1, description="Version de l'ordre du jour (1 à la première publication).")
    items: list[AgendaItemOut] = Field(description="Les points, dans l'ordre.")
    documents: list[AgendaDocument] = Field(default=[], description="Documents de la réunion hors points.")
    pack_url: str | None = Field(None, description="Dossier « depuis la dernière réunion » (PDF), s'il existe.")
    on_time: bool = Field(description="Publié au moins le délai requis avant la réunion.")
    late_reason: str | None = Field(None, description="Raison donnée pour une publication tardive.")
    published_at: datetime = Field(description="Moment de la publication.")


@event_type("cdv.participation.meeting.agenda_revised",
            "Une nouvelle version d'un ordre du jour déjà publié, avec ses différences : à diffuser aux membres.")
class AgendaRevised(EventPayload):
    meeting: MeetingRef = Field(description="La réunion concernée.")
    version: int = Field(ge=2, description="Nouvelle version de l'ordre du jour.")
    previous_version: int = Field(ge=1, description="Version qu'elle remplace.")
    items: list[AgendaItemOut] = Field(description="Les points, dans l'ordre.")
    documents: list[AgendaDocument] = Field([], description="Documents de la réunion hors points.")
    changes: list[AgendaChange] = Field(description="Différences avec la version précédente.")
    pack_url: str | None = Field(None, description="Dossier « depuis la dernière réunion » (PDF), s'il existe.")
    on_time: bool = Field(description="Publié au moins le délai requis avant la réunion.")
    late_reason: str | None = Field(None, description="Raison donnée pour une publication tardive.")
    published_at: datetime = Field(description="Moment de la publication.")


@event_type("cdv.participation.meeting.cancelled", "Une réunion est annulée : à diffuser aux membres.")
class MeetingCancelled(EventPayload):
    meeting: MeetingRef = Field(description="La réunion concernée.")
    reason: str = Field(description="Raison de l'annulation, telle qu'annoncée aux membres.")
    agenda_was_published: bool = Field(description="Vrai quand un ordre du jour avait déjà été diffusé.")


@event_type("cdv.participation.meeting.minutes_published", "Le compte rendu d'une réunion est publié.")
class MinutesPublished(EventPayload):
    meeting: MeetingRef = Field(description="La réunion concernée.")
    minutes_url: str = Field(description="Lien absolu du compte rendu.")
    decision_ids: list[str] = Field(description="Décisions inscrites au registre par cette réunion.")
    present_organisations: list[str] = Field(description="Organisations représentées (présentes ou représentées).")


@event_type("cdv.participation.agenda_item.proposed", "Un membre propose un point à l'ordre du jour d'une réunion.")
class AgendaItemProposed(EventPayload):
    meeting: MeetingRef = Field(description="La réunion concernée.")
    proposal_id: str = Field(description="Identifiant de la proposition.")
    title: str = Field(description="Intitulé du point proposé.")
    proposer_organisation_id: str | None = Field(None, description="Organisation de la personne qui propose.")
    proposer_member_id: str = Field(description="Identifiant opaque du membre qui propose.")


@event_type("cdv.participation.agenda_item.decided", "Le secrétariat accepte ou refuse un point proposé.")
class AgendaItemDecided(EventPayload):
    meeting: MeetingRef = Field(description="La réunion concernée.")
    proposal_id: str = Field(description="Identifiant de la proposition.")
    title: str = Field(description="Intitulé du point proposé.")
    accepted: bool = Field(description="Vrai quand le point est retenu.")
    reason: str | None = Field(None, description="Raison du refus (ou commentaire d'acceptation).")
    proposer_member_id: str = Field(description="Identifiant opaque du membre qui a proposé.")


class DecisionFields(BaseModel):
    decision_id: str = Field(description="Identifiant de la décision.")
    meeting_id: str = Field(description="Réunion qui l'a prise.")
    body_id: str = Field(description="Instance qui l'a prise.")
    text: str = Field(description="Texte de la décision.")
    engagements: list[int] = Field([], description="Numéros des engagements concernés.")
    responsible_organisation_id: str | None = Field(None, description="Organisation chargée de la mettre en œuvre.")
    due_on: date | None = Field(None, description="Échéance, s'il y en a une.")
    status: Literal["a_faire", "en_cours", "fait", "abandonne"] = Field(description="État de son suivi.")


@event_type("cdv.participation.decision.recorded", "Une décision publique est inscrite au registre.")
class DecisionRecorded(EventPayload, DecisionFields):
    pass


@event_type("cdv.participation.decision.follow_up_updated", "Le suivi d'une décision publique change.")
class DecisionFollowUpUpdated(EventPayload, DecisionFields):
    previous_status: str = Field(description="État du suivi avant ce changement.")
    comment: str | None = Field(None, description="Commentaire public de suivi de la décision.")


@event_type("cdv.participation.membership.changed",
            "Un siège d'une instance change (arrivée, changement, départ). Le membre est désigné par un "
            "identifiant opaque ; son nom seulement s'il a accepté qu'il soit public.")
class MembershipChanged(EventPayload):
    membership_id: str = Field(description="Identifiant du siège.")
    body_id: str = Field(description="Instance du siège.")
    member_id: str = Field(description="Identifiant opaque de la personne.")
    organisation_id: str | None = Field(description="Organisation ou instance qu'elle représente.")
    seat: Literal["titulaire", "suppleant"] = Field(description="Titulaire ou suppléant.")
    starts_on: date = Field(description="Début du mandat.")
    ends_on: date | None = Field(None, description="Fin du mandat, si elle est connue.")
    active: bool = Field(description="Vrai tant que le siège est occupé.")
    public_name: str | None = Field(None, description="Nom affiché publiquement, si la personne l'a accepté.")


# --- internal stream: personal data for services only -------------------------------------------------------------

@event_type("cdv.participation-internal.person.changed",
            "Coordonnées d'une personne membre d'une instance (interne : jamais lisible par les intégrateurs).")
class PersonChanged(EventPayload):
    member_id: str
    name: str = Field(description="Nom complet ; « Personne anonymisée » après suppression.")
    email: str | None = Field(description="Adresse de courriel ; absente après anonymisation.")
    user_id: int | None = Field(None, description="Compte de la plateforme, si la personne en a un.")
    anonymised: bool = False
    account_id: str | None = Field(None, description="Identifiant du compte de la plateforme (texte), si la "
                                                     "personne en a un ; remplit l'office de `user_id`, les "
                                                     "comptes n'ayant pas d'identifiant numérique.")


@event_type("cdv.participation-internal.decision.recorded",
            "Une décision interne (non publique) est inscrite au registre (interne).")
class InternalDecisionRecorded(EventPayload, DecisionFields):
    pass


@event_type("cdv.participation-internal.decision.follow_up_updated",
            "Le suivi d'une décision interne change (interne).")
class InternalDecisionFollowUpUpdated(EventPayload, DecisionFields):
    previous_status: str
    comment: str | None = None
