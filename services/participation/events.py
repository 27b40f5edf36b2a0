"""Events the participation service publishes."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from kernel.events import EventPayload, event_type


@event_type("cdv.participation.organisation.registered",
            "Une organisation (signataire, pilote ou instance participative) est apparue ou a changé.")
class OrganisationRegistered(EventPayload):
    organisation_id: str
    name: str
    short_name: str | None
    kind: str = Field(description="etat, collectivite, organisme-public, bailleur, association, "
                                  "instance-participative ou autre")
    signatory: bool


@event_type("cdv.participation.qpv.registered", "Un quartier prioritaire (QPV) est apparu ou a changé.")
class QpvRegistered(EventPayload):
    qpv_id: str
    name: str
    cities: list[str]
    code: str | None = Field(description="Code national du QPV, quand il est connu.")
    conseil_citoyen: bool | None


@event_type("cdv.participation.measure.computed",
            "Une valeur d'indicateur calculée par la plateforme à partir de ses propres données (ex. la couverture "
            "des QPV par les conseils citoyens) : indicateurs l'enregistre comme valeur approuvée.")
class MeasureComputed(EventPayload):
    engagement_number: int = Field(description="Numéro de l'engagement dont l'indicateur relève.")
    indicator_label: str = Field(description="Libellé de l'indicateur, tel que le contrat l'écrit.")
    on: date = Field(description="Date à laquelle la mesure vaut : l'indicateur la range dans sa période.")
    qpv_id: str | None = Field(None, description="QPV de la valeur, si l'indicateur est décliné par QPV.")
    value: float = Field(description="La valeur calculée.")
    basis: str = Field(description="Comment elle a été calculée, en français (ex. « 8 conseils citoyens pour "
                                   "15 QPV »).")


# --- governance: bodies, members, meetings, agendas, minutes, decisions ------------------------------------------
# Public events follow the public view: organisations and bodies, never a private person's name or address
# (a member appears by an opaque id, and by name only if they agreed). Personal data goes on the internal
# stream (`cdv.participation-internal.…`), which services read and integrators do not.


class MeetingRef(BaseModel):
    """What any recipient needs to know about a meeting, carried by every meeting event."""

    meeting_id: str
    body_id: str
    body_name: str
    body_kind: str = Field(description="copil, gtc, groupe-thematique, interbailleurs, inter-associatif, "
                                       "conseil-citoyen ou rdv-politique-de-la-ville")
    title: str
    starts_at: datetime = Field(description="Début, avec le décalage horaire de Paris (ex. 2027-03-12T09:30:00+01:00).")
    ends_at: datetime
    timezone: str = Field("Europe/Paris", description="Fuseau de la réunion (nom IANA).")
    place: str | None = None
    video_url: str | None = None
    url: str = Field(description="Page de la réunion dans la plateforme (lien absolu).")
    sequence: int = Field(ge=0, description="Numéro de révision de la réunion (SEQUENCE iCalendar) : augmente à "
                                            "chaque publication, révision, déplacement ou annulation.")


class AgendaDocument(BaseModel):
    title: str
    url: str = Field(description="Lien absolu : fichier déposé ou lien externe.")
    public: bool = True


class AgendaItemOut(BaseModel):
    item_id: str
    position: int = Field(ge=1)
    title: str
    theme: str | None = None
    engagements: list[int] = []
    presenter_organisation_id: str | None = None
    presenter_organisation_name: str | None = None
    duration_minutes: int | None = None
    documents: list[AgendaDocument] = []
    description: str | None = Field(None, description="Présentation du point, si le secrétariat en donne une.")


class AgendaChange(BaseModel):
    """One difference between two versions of an agenda."""

    kind: Literal["added", "removed", "moved", "changed", "document_added", "document_removed"]
    item_id: str
    title: str
    detail: str = Field(description="En français, ex. « passe de la position 3 à la position 1 ».")


@event_type("cdv.participation.meeting.scheduled", "Une réunion d'une instance est programmée.")
class MeetingScheduled(EventPayload):
    meeting: MeetingRef
    agenda_due_on: date = Field(description="Date à laquelle l'ordre du jour doit être diffusé (délai de l'instance).")


@event_type("cdv.participation.meeting.moved", "Une réunion programmée change de date, d'heure ou de lieu.")
class MeetingMoved(EventPayload):
    meeting: MeetingRef
    previous_starts_at: datetime
    previous_place: str | None = None
    agenda_due_on: date


@event_type("cdv.participation.meeting.agenda_published",
            "L'ordre du jour d'une réunion est publié (version figée et numérotée) : à diffuser aux membres.")
class AgendaPublished(EventPayload):
    meeting: MeetingRef
    version: int = Field(ge=1)
    items: list[AgendaItemOut]
    documents: list[AgendaDocument] = Field(default=[], description="Documents de la réunion hors points.")
    pack_url: str | None = Field(None, description="Dossier « depuis la dernière réunion » (PDF), s'il existe.")
    on_time: bool = Field(description="Publié au moins le délai requis avant la réunion.")
    late_reason: str | None = Field(None, description="Raison donnée pour une publication tardive.")
    published_at: datetime


@event_type("cdv.participation.meeting.agenda_revised",
            "Une nouvelle version d'un ordre du jour déjà publié, avec ses différences : à diffuser aux membres.")
class AgendaRevised(EventPayload):
    meeting: MeetingRef
    version: int = Field(ge=2)
    previous_version: int = Field(ge=1)
    items: list[AgendaItemOut]
    documents: list[AgendaDocument] = []
    changes: list[AgendaChange]
    pack_url: str | None = None
    on_time: bool
    late_reason: str | None = None
    published_at: datetime


@event_type("cdv.participation.meeting.cancelled", "Une réunion est annulée : à diffuser aux membres.")
class MeetingCancelled(EventPayload):
    meeting: MeetingRef
    reason: str
    agenda_was_published: bool


@event_type("cdv.participation.meeting.minutes_published", "Le compte rendu d'une réunion est publié.")
class MinutesPublished(EventPayload):
    meeting: MeetingRef
    minutes_url: str
    decision_ids: list[str]
    present_organisations: list[str] = Field(description="Organisations représentées (présentes ou représentées).")


@event_type("cdv.participation.agenda_item.proposed", "Un membre propose un point à l'ordre du jour d'une réunion.")
class AgendaItemProposed(EventPayload):
    meeting: MeetingRef
    proposal_id: str
    title: str
    proposer_organisation_id: str | None = None
    proposer_member_id: str = Field(description="Identifiant opaque du membre qui propose.")


@event_type("cdv.participation.agenda_item.decided", "Le secrétariat accepte ou refuse un point proposé.")
class AgendaItemDecided(EventPayload):
    meeting: MeetingRef
    proposal_id: str
    title: str
    accepted: bool
    reason: str | None = Field(None, description="Raison du refus (ou commentaire d'acceptation).")
    proposer_member_id: str


class DecisionFields(BaseModel):
    decision_id: str
    meeting_id: str
    body_id: str
    text: str
    engagements: list[int] = []
    responsible_organisation_id: str | None = None
    due_on: date | None = None
    status: Literal["a_faire", "en_cours", "fait", "abandonne"]


@event_type("cdv.participation.decision.recorded", "Une décision publique est inscrite au registre.")
class DecisionRecorded(EventPayload, DecisionFields):
    pass


@event_type("cdv.participation.decision.follow_up_updated", "Le suivi d'une décision publique change.")
class DecisionFollowUpUpdated(EventPayload, DecisionFields):
    previous_status: str
    comment: str | None = None


@event_type("cdv.participation.membership.changed",
            "Un siège d'une instance change (arrivée, changement, départ). Le membre est désigné par un "
            "identifiant opaque ; son nom seulement s'il a accepté qu'il soit public.")
class MembershipChanged(EventPayload):
    membership_id: str
    body_id: str
    member_id: str = Field(description="Identifiant opaque de la personne.")
    organisation_id: str | None = Field(description="Organisation ou instance qu'elle représente.")
    seat: Literal["titulaire", "suppleant"]
    starts_on: date
    ends_on: date | None = None
    active: bool
    public_name: str | None = Field(None, description="Nom affiché publiquement, si la personne l'a accepté.")


# --- residents: conseils citoyens and their opinions ----------------------------------------------------------------
# A resident appears only as a count, or by first name and initial if they chose it; never by full name or address.


@event_type("cdv.participation.conseil_citoyen.changed",
            "La fiche d'un conseil citoyen change (quartier, date de création, activités) ou ses membres changent "
            "(nombre, membres qui ont choisi d'apparaître par leur prénom et initiale).")
class ConseilCitoyenChanged(EventPayload):
    body_id: str = Field(description="Identifiant de l'instance (le conseil citoyen).")
    name: str = Field(description="Nom du conseil citoyen.")
    qpv_id: str | None = Field(None, description="Quartier prioritaire du conseil.")
    created_on: date | None = Field(None, description="Date de création du conseil, si elle est connue.")
    activities: list[str] = Field(default=[], description="Codes des thèmes d'activité (cadre-de-vie, education, "
                                                          "proprete, tranquillite, jardins-partages…).")
    members_count: int = Field(ge=0, description="Nombre de membres actuels.")
    members_shown: list[str] = Field(default=[], description="Membres qui ont choisi d'être affichés, par prénom et "
                                                             "initiale (« Alice D. ») ; les autres sont seulement "
                                                             "comptés.")


class OpinionTarget(BaseModel):
    """What an opinion is about: an engagement, or an item of a COPIL agenda."""

    engagement_number: int | None = Field(None, description="Engagement visé, le cas échéant.")
    meeting_id: str | None = Field(None, description="Réunion du COPIL dont un point est visé, le cas échéant.")
    item_id: str | None = Field(None, description="Point de l'ordre du jour visé, le cas échéant.")
    item_title: str | None = Field(None, description="Titre du point visé.")


@event_type("cdv.participation.opinion.published",
            "Un conseil citoyen (ou l'inter-associatif) publie un avis sur un engagement ou sur un point de l'ordre "
            "du jour d'un COPIL ; les organisations pilotes lui doivent une réponse avant l'échéance.")
class OpinionPublished(EventPayload):
    opinion_id: str = Field(description="Identifiant de l'avis.")
    body_id: str = Field(description="Instance qui publie l'avis.")
    body_name: str = Field(description="Nom de l'instance qui publie l'avis.")
    body_kind: str = Field(description="conseil-citoyen ou inter-associatif.")
    target: OpinionTarget = Field(description="Ce sur quoi porte l'avis.")
    qpv_id: str | None = Field(None, description="Quartier prioritaire concerné.")
    text: str = Field(description="Texte de l'avis.")
    attachments: int = Field(0, ge=0, description="Nombre de pièces jointes au moment de la publication.")
    answer_organisation_ids: list[str] = Field(description="Organisations qui doivent répondre (pilotes).")
    due_on: date = Field(description="Date limite de la réponse.")
    published_at: datetime = Field(description="Date et heure de publication.")
    url: str = Field(description="Page publique de l'avis (lien absolu).")


@event_type("cdv.participation.opinion.answered",
            "Une organisation pilote répond à l'avis d'un conseil citoyen (ou de l'inter-associatif) ; la réponse "
            "est publiée sous l'avis.")
class OpinionAnswered(EventPayload):
    opinion_id: str = Field(description="Identifiant de l'avis.")
    body_id: str = Field(description="Instance qui avait publié l'avis.")
    body_name: str = Field(description="Nom de cette instance.")
    target: OpinionTarget = Field(description="Ce sur quoi portait l'avis.")
    organisation_id: str | None = Field(description="Organisation qui répond (absente si le secrétariat répond).")
    answer: str = Field(description="Texte de la réponse.")
    due_on: date = Field(description="Date limite de la réponse.")
    on_time: bool = Field(description="La réponse est arrivée au plus tard à l'échéance.")
    answered_at: datetime = Field(description="Date et heure de la réponse.")
    url: str = Field(description="Page publique de l'avis (lien absolu).")


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
