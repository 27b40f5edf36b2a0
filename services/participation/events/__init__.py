"""Events the participation service publishes (the appel à projets' in `events.aap`)."""

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
    named: bool = Field(default=True, description="Faux pour un QPV que le contrat compte sans le nommer "
                                                  "(son nom est provisoire jusqu'à ce que le secrétariat le donne).")


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


# --- inter-associatif: the appel à participation and its members ---------------------------------------------------
# Public events name associations (legal persons, with their consent to publication), never their contact person.

@event_type("cdv.participation.application.submitted",
            "Une association a candidaté à l'inter-associatif (« appel à participation ») et confirmé son adresse : "
            "la candidature attend une décision. Sans donnée personnelle.")
class ApplicationSubmitted(EventPayload):
    application_id: str = Field(description="Identifiant opaque de la candidature.")
    body_id: str = Field(description="L'instance visée (l'inter-associatif).")
    qpv_id: str = Field(description="Quartier prioritaire où l'association agit.")
    identifier_kind: Literal["rna", "siren"] = Field(description="Numéro donné : RNA (W + 9 chiffres) ou SIREN.")
    submitted_at: datetime = Field(description="Moment où l'adresse a été confirmée (la candidature compte).")


@event_type("cdv.participation.application.decided",
            "Les coordinateurs de l'inter-associatif ou le secrétariat acceptent ou refusent une candidature. "
            "Le nom de l'association n'est publié que si elle est acceptée ; la raison d'un refus reste interne.")
class ApplicationDecided(EventPayload):
    application_id: str = Field(description="Identifiant opaque de la candidature.")
    body_id: str = Field(description="L'instance visée (l'inter-associatif).")
    qpv_id: str = Field(description="Quartier prioritaire où l'association agit.")
    accepted: bool = Field(description="Vrai si l'association devient membre.")
    association_name: str | None = Field(None, description="Nom de l'association, si elle est acceptée.")
    decided_at: datetime = Field(description="Moment de la décision.")


@event_type("cdv.participation.association.membership_changed",
            "Une association entre dans l'inter-associatif ou le quitte ; porte le nombre d'associations actives.")
class AssociationMembershipChanged(EventPayload):
    association_id: str = Field(description="Identifiant opaque de l'association membre (celui de sa candidature).")
    body_id: str = Field(description="L'instance (l'inter-associatif).")
    name: str = Field(description="Nom de l'association.")
    rna: str | None = Field(None, description="Numéro RNA (W suivi de 9 chiffres), s'il est connu.")
    siren: str | None = Field(None, description="Numéro SIREN (9 chiffres), s'il est connu.")
    qpv_id: str = Field(description="Quartier prioritaire où l'association agit.")
    purpose: str = Field(description="Objet de l'association, tel qu'elle l'a décrit.")
    active: bool = Field(description="Vrai si l'association est membre à ce jour.")
    member_since: date | None = Field(None, description="Date d'entrée dans l'inter-associatif.")
    member_until: date | None = Field(None, description="Date de sortie, si elle est sortie.")
    active_count: int = Field(ge=0, description="Nombre d'associations actives dans l'inter-associatif après ce "
                                                "changement.")
    demo: bool = Field(False, description="Donnée fictive de démonstration.")


# --- mandats citoyens: evaluations by residents, recommendations and the answers owed -----------------------------

@event_type("cdv.participation.mandate.opened",
            "Le secrétariat ouvre un mandat citoyen sur un objet d'évaluation (engagements 5 et 48). Les membres "
            "du mandat n'y figurent pas.")
class MandateOpened(EventPayload):
    mandate_id: str = Field(description="Identifiant opaque du mandat.")
    title: str = Field(description="Objet d'évaluation, en quelques mots.")
    description: str | None = Field(None, description="Ce que le mandat évalue et comment.")
    engagements: list[int] = Field(description="Numéros des engagements concernés.")
    qpv_ids: list[str] = Field(description="Quartiers prioritaires concernés.")
    starts_on: date = Field(description="Début du mandat.")
    ends_on: date | None = Field(None, description="Fin prévue du mandat.")
    status: Literal["ouvert", "en_cours", "termine"] = Field(description="État du mandat.")
    url: str = Field(description="Page publique du mandat (lien absolu).")


@event_type("cdv.participation.mandate.status_changed", "L'état ou le calendrier d'un mandat citoyen change.")
class MandateStatusChanged(EventPayload):
    mandate_id: str = Field(description="Identifiant opaque du mandat.")
    previous_status: str = Field(description="État précédent.")
    status: Literal["ouvert", "en_cours", "termine"] = Field(description="Nouvel état.")
    ends_on: date | None = Field(None, description="Fin prévue du mandat.")


@event_type("cdv.participation.finding.published", "Les membres d'un mandat citoyen publient un constat.")
class FindingPublished(EventPayload):
    finding_id: str = Field(description="Identifiant opaque du constat.")
    mandate_id: str = Field(description="Le mandat qui le publie.")
    text: str = Field(description="Le constat.")
    published_at: datetime = Field(description="Moment de la publication.")


@event_type("cdv.participation.recommendation.published",
            "Les membres d'un mandat citoyen publient une préconisation : l'organisation nommée doit y répondre "
            "avant l'échéance.")
class RecommendationPublished(EventPayload):
    recommendation_id: str = Field(description="Identifiant opaque de la préconisation.")
    mandate_id: str = Field(description="Le mandat qui la publie.")
    mandate_title: str = Field(description="Objet du mandat.")
    text: str = Field(description="La préconisation.")
    organisation_id: str = Field(description="L'organisation qui doit répondre.")
    due_on: date = Field(description="Date à laquelle la réponse est attendue.")
    engagements: list[int] = Field(description="Engagements du mandat.")
    url: str = Field(description="Page publique du mandat (lien absolu).")


@event_type("cdv.participation.recommendation.answered",
            "L'organisation nommée répond à une préconisation d'un mandat citoyen ; la réponse est publiée à côté.")
class RecommendationAnswered(EventPayload):
    recommendation_id: str = Field(description="Identifiant opaque de la préconisation.")
    mandate_id: str = Field(description="Le mandat qui l'a publiée.")
    organisation_id: str = Field(description="L'organisation qui répond.")
    answer: Literal["acceptee", "partielle", "refusee"] = Field(
        description="acceptee, partielle (acceptée en partie) ou refusee.")
    text: str = Field(description="Le texte de la réponse.")
    due_on: date = Field(description="Échéance de la réponse.")
    answered_at: datetime = Field(description="Moment de la réponse.")
    on_time: bool = Field(description="Vrai si la réponse est arrivée au plus tard à l'échéance.")


# --- internal: what the applicant is sent (their name and address) ------------------------------------------------

@event_type("cdv.participation-internal.application.confirmation_requested",
            "Une candidature à l'inter-associatif attend la confirmation de l'adresse de son contact : le lien "
            "signé à lui envoyer (interne).")
class ApplicationConfirmationRequested(EventPayload):
    application_id: str = Field(description="Identifiant opaque de la candidature.")
    association_name: str = Field(description="Nom de l'association.")
    contact_name: str = Field(description="Nom de la personne à contacter.")
    email: str = Field(description="Adresse de courriel à confirmer.")
    link: str = Field(description="Lien signé de confirmation (absolu).")
    expires_at: datetime = Field(description="Fin de validité du lien.")


@event_type("cdv.participation-internal.application.answered",
            "La décision sur une candidature, à envoyer à son contact (interne).")
class ApplicationAnswered(EventPayload):
    application_id: str = Field(description="Identifiant opaque de la candidature.")
    association_name: str = Field(description="Nom de l'association.")
    contact_name: str = Field(description="Nom de la personne à contacter.")
    email: str = Field(description="Adresse du contact.")
    accepted: bool = Field(description="Vrai si l'association est acceptée.")
    reason: str | None = Field(None, description="Raison donnée par les coordinateurs ou le secrétariat.")
    url: str = Field(description="Page publique de l'inter-associatif (lien absolu).")
# --- news and resources (the « espace ressources » of engagement 47) ---------------------------------------------

@event_type("cdv.participation.news.published",
            "Le secrétariat publie une actualité ou une ressource sur le portail public (ou la modifie).")
class NewsPublished(EventPayload):
    news_id: str = Field(description="Identifiant stable de l'actualité ou de la ressource.")
    kind: Literal["actualite", "ressource"] = Field(description="Actualité (datée) ou ressource (document, lien).")
    title: str = Field(description="Titre.")
    summary: str | None = Field(None, description="Chapeau, en une ou deux phrases.")
    url: str | None = Field(None, description="Lien du document d'une ressource, s'il y en a un.")
    published_at: datetime = Field(description="Date de publication (UTC).")


@event_type("cdv.participation.news.withdrawn", "Le secrétariat retire une actualité ou une ressource du portail.")
class NewsWithdrawn(EventPayload):
    news_id: str = Field(description="Identifiant de l'actualité ou de la ressource retirée.")


# The appel à projets' events live in their own module; importing it registers them with the others.
from services.participation.events import aap  # noqa: E402,F401
