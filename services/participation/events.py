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


# --- appel à projets (engagement 49): the yearly call, projects, funders' decisions and payments --------------------
# Public events follow the public view: a call, and a project once a funder grants it (associations are legal
# persons, not private ones). A project still pending or refused is not public: it is announced on the internal
# stream only.

class Envelope(BaseModel):
    funder_id: str = Field(description="Organisation du contrat qui finance (État, Métropole, Villes, Département, "
                                        "CAF…).")
    funder_name: str
    amount: int = Field(ge=0, description="Enveloppe de l'appel pour ce financeur, en euros.")


class Priority(BaseModel):
    text: str = Field(description="Priorité de l'appel, en clair.")
    themes: list[str] = Field(default=[], description="Thèmes du contrat visés (identifiants).")
    engagements: list[int] = Field(default=[], description="Engagements du contrat visés (numéros).")


@event_type("cdv.participation.aap_call.defined",
            "Un appel à projets du contrat de ville est ouvert ou modifié (dates, enveloppes, priorités).")
class AapCallDefined(EventPayload):
    year: int = Field(description="Année de l'appel (une par an).")
    title: str
    opens_on: date = Field(description="Ouverture du dépôt des projets.")
    closes_on: date = Field(description="Date limite de dépôt.")
    decisions_by: date | None = Field(None, description="Date prévue des décisions des financeurs.")
    envelopes: list[Envelope]
    priorities: list[Priority]
    version: int = Field(ge=1)


class FundedProject(BaseModel):
    """What the public may know of a funded project (no private person: the carrying association only)."""

    project_id: str
    call_year: int
    association_name: str
    association_id: str = Field(description="Numéro RNA (W + 9 chiffres) ou SIREN (9 chiffres) de l'association.")
    title: str
    summary: str | None = None
    qpv: list[str] = Field(description="Quartiers (identifiants de QPV) où le projet se déroule.")
    themes: list[str] = Field(description="Thèmes du contrat servis (identifiants).")
    engagements: list[int] = Field(description="Engagements du contrat servis (numéros).")
    amount_asked: int = Field(ge=0, description="Montant demandé, en euros.")
    cpo: Literal["non", "nouvelle", "en_cours"] = Field(
        description="Convention pluriannuelle d'objectifs : non (annuel), nouvelle (signée cette année) ou "
                    "en_cours (une CPO des années précédentes).")


@event_type("cdv.participation.funding.granted",
            "Un financeur accorde une subvention à un projet de l'appel à projets (ou corrige le montant accordé) : "
            "le projet devient public.")
class FundingGranted(EventPayload):
    project: FundedProject
    funder_id: str
    funder_name: str
    amount_granted: int = Field(ge=0, description="Montant accordé par ce financeur, en euros.")
    decided_on: date = Field(description="Date de la décision du financeur.")
    project_granted_total: int = Field(ge=0, description="Total accordé au projet, tous financeurs confondus.")
    correction: bool = Field(description="Vrai quand une décision déjà publiée est corrigée.")


@event_type("cdv.participation.funding.withdrawn",
            "Une subvention publiée est retirée (décision corrigée en refus avant tout versement) : le projet n'est "
            "plus public s'il n'a plus d'autre financement.")
class FundingWithdrawn(EventPayload):
    project_id: str
    call_year: int
    funder_id: str
    project_still_funded: bool


@event_type("cdv.participation.funding.paid", "Un financeur verse tout ou partie d'une subvention accordée.")
class FundingPaid(EventPayload):
    payment_id: str
    project_id: str
    call_year: int
    funder_id: str
    funder_name: str
    amount: int = Field(gt=0, description="Montant versé, en euros.")
    paid_on: date
    decided_on: date
    days_after_decision: int = Field(ge=0, description="Jours entre la décision et ce versement.")
    paid_total: int = Field(ge=0, description="Total versé par ce financeur pour ce projet, ce versement compris.")
    amount_granted: int = Field(ge=0)


@event_type("cdv.participation.aap_project.published",
            "La description publique d'un projet financé change (titre, résumé, quartiers, thèmes…).")
class AapProjectPublished(EventPayload):
    project: FundedProject
    version: int = Field(ge=1)


@event_type("cdv.participation-internal.aap_project.recorded",
            "Un projet est déposé à l'appel à projets ou modifié, qu'il soit financé ou non (interne).")
class AapProjectRecorded(EventPayload):
    project: FundedProject
    status: Literal["depose", "accorde", "refuse"]
    version: int = Field(ge=1)


@event_type("cdv.participation-internal.funding.refused",
            "Un financeur refuse de financer un projet (interne : les projets refusés ne sont pas publics).")
class FundingRefused(EventPayload):
    project_id: str
    call_year: int
    funder_id: str
    decided_on: date
    status: Literal["depose", "accorde", "refuse"] = Field(description="Statut du projet après cette décision.")
