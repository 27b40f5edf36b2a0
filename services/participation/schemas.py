"""API shapes of the participation service (requests; answers are built by each aggregate)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from kernel.ids import Cursor, Ref

BodyKind = Literal["copil", "gtc", "groupe-thematique", "interbailleurs", "inter-associatif", "conseil-citoyen",
                   "rdv-politique-de-la-ville"]
Seat = Literal["titulaire", "suppleant"]
FollowUpStatus = Literal["a_faire", "en_cours", "fait", "abandonne"]
Presence = Literal["present", "excuse", "represente", "absent"]


class OrganisationIn(BaseModel):
    id: str
    name: str
    short_name: str | None = None
    kind: str
    signatory: bool = False
    aliases: list[str] = []


class QpvIn(BaseModel):
    id: str
    name: str
    cities: list[str] = []
    code: str | None = None
    conseil_citoyen: bool | None = None
    named: bool = True


class QpvUpdate(BaseModel):
    """What the secretariat enters for a QPV: its name, its national code (empty: not known yet), its cities."""

    name: str = Field(max_length=200)
    code: str | None = Field(default=None, max_length=20)
    cities: list[str] | None = None


class BodyIn(BaseModel):
    """A governance body as the contract file names it."""

    id: str
    name: str
    kind: BodyKind
    description: str | None = None
    organisation: str | None = None
    qpv: str | None = None
    engagements: list[Ref] = []
    themes: list[str] = []
    uncertain: bool = False
    note: str | None = None


class RegistryIn(BaseModel):
    """The part of a contract file this service owns."""

    organisations: list[OrganisationIn]
    qpv: list[QpvIn]
    bodies: list[BodyIn] = []


class RegistryReport(BaseModel):
    organisations_changed: list[str]
    qpv_changed: list[str]
    bodies_changed: list[str] = []


class BodyRename(BaseModel):
    name: str = Field(min_length=1, max_length=300)
    description: str | None = Field(None, max_length=4000)


class PersonIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(None, max_length=254)
    account_id: str | None = Field(None, max_length=64)
    public_name: bool = Field(False, description="La personne accepte que son nom soit affiché publiquement.")


class MembershipIn(BaseModel):
    """A seat: an existing person (`person_id`) or a new one (`person`)."""

    person_id: str | None = None
    person: PersonIn | None = None
    organisation_id: str | None = None
    seat: Seat = "titulaire"
    starts_on: date | None = None
    ends_on: date | None = None


class MembershipEnd(BaseModel):
    ends_on: date | None = None


class MeetingIn(BaseModel):
    body_id: str
    title: str = Field(min_length=1, max_length=300)
    starts_at: datetime = Field(description="Heure locale de Paris, sans décalage (ex. 2027-03-30T09:30).")
    ends_at: datetime | None = None
    place: str | None = Field(None, max_length=500)
    video_url: str | None = Field(None, max_length=1000)
    proposals_until: date | None = None


class MeetingMove(BaseModel):
    starts_at: datetime
    ends_at: datetime | None = None
    place: str | None = Field(None, max_length=500)
    video_url: str | None = Field(None, max_length=1000)
    reason: str | None = Field(None, max_length=2000)


class MeetingCancel(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class CutOffIn(BaseModel):
    proposals_until: date | None
    draft_rev: Cursor


class ItemIn(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    theme: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=4000)
    engagements: list[Ref] = []
    presenter_organisation_id: str | None = None
    duration_minutes: int | None = Field(None, ge=1, le=600)
    draft_rev: Cursor


class ItemMove(BaseModel):
    position: Ref
    draft_rev: Cursor


class DraftRev(BaseModel):
    draft_rev: Cursor


class LinkIn(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    url: str = Field(min_length=1, max_length=2000)
    item_id: str | None = None
    public: bool = True
    draft_rev: Cursor


class PublishIn(BaseModel):
    draft_rev: Cursor
    late_reason: str | None = Field(None, max_length=2000)


class ProposalIn(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    description: str | None = Field(None, max_length=4000)
    engagements: list[Ref] = []


class ProposalDecision(BaseModel):
    accepted: bool
    reason: str | None = Field(None, max_length=2000)
    version: Cursor


class ContributionIn(BaseModel):
    body_id: str
    text: str = Field(min_length=1, max_length=8000)
    version: Cursor = 0


class AttendanceLine(BaseModel):
    person_id: str
    status: Presence
    represented_by: str | None = Field(None, max_length=200)


class AttendanceIn(BaseModel):
    lines: list[AttendanceLine]


class MinutesIn(BaseModel):
    text: str = Field(min_length=1, max_length=100_000)
    publish: bool = False


class DecisionIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    engagements: list[Ref] = []
    responsible_organisation_id: str | None = None
    due_on: date | None = None
    internal: bool = False


class FollowUpIn(BaseModel):
    status: FollowUpStatus
    comment: str = Field(min_length=1, max_length=4000)
    version: Cursor


# --- inter-associatif and mandats citoyens ------------------------------------------------------------------------
# Hard caps refuse absurd payloads; the service checks the real limits with French messages.

class ApplicationIn(BaseModel):
    """An association's application to the inter-associatif (public form, no account)."""

    association_name: str | None = Field(None, max_length=2000)
    identifier: str | None = Field(None, max_length=200, description="Numéro RNA (W + 9 chiffres) ou SIREN.")
    qpv_id: str | None = Field(None, max_length=200)
    purpose: str | None = Field(None, max_length=20000)
    contact_name: str | None = Field(None, max_length=2000)
    contact_email: str | None = Field(None, max_length=2000)
    consent: bool = False
    client_address: str | None = Field(None, max_length=100, description="Adresse du client (limite de débit).")


class ApplicationConfirm(BaseModel):
    token: str = Field(max_length=500)


class ApplicationDecision(BaseModel):
    accepted: bool
    reason: str | None = Field(None, max_length=20000)
    version: Cursor


class VersionIn(BaseModel):
    version: Cursor


MandateStatus = Literal["ouvert", "en_cours", "termine"]
Answer = Literal["acceptee", "partielle", "refusee"]


class MandateIn(BaseModel):
    title: str = Field(max_length=2000)
    description: str | None = Field(None, max_length=40000)
    engagements: list[Ref] = []
    qpv_ids: list[str] = []
    starts_on: date | None = None
    ends_on: date | None = None


class MandateUpdate(BaseModel):
    status: MandateStatus
    ends_on: date | None = None
    version: Cursor


class MandateMemberIn(BaseModel):
    """A resident joining a mandate: someone already known, or a new person."""

    person_id: str | None = None
    person: PersonIn | None = None


class FindingIn(BaseModel):
    text: str = Field(max_length=40000)


class RecommendationIn(BaseModel):
    text: str = Field(max_length=40000)
    organisation_id: str = Field(max_length=80)
    due_on: date | None = None


class AnswerIn(BaseModel):
    answer: Answer
    text: str = Field(max_length=40000)
    version: Cursor
class NewsIn(BaseModel):
    """An actualité (a dated text) or a ressource (a document reached by its link) of the public portal."""

    kind: Literal["actualite", "ressource"] = "actualite"
    title: str = Field(max_length=200)
    summary: str | None = Field(default=None, max_length=500)
    body: str | None = Field(default=None, max_length=20000)
    url: str | None = Field(default=None, max_length=2000)
Display = Literal["compte", "prenom"]


class ConseilIn(BaseModel):
    """A conseil citoyen's public profile, as the secretariat keeps it."""

    created_on: date | None = None
    contact: str | None = Field(None, max_length=500, description="Contact public du conseil (adresse, courriel "
                                                                  "ou téléphone de la structure, jamais d'un "
                                                                  "habitant sans son accord).")
    activities: list[str] = Field(default=[], description="Codes des thèmes d'activité.")
    activities_text: str | None = Field(None, max_length=4000)
    version: Cursor = 0


class DisplayIn(BaseModel):
    display: Display


class InterConseilIn(BaseModel):
    """A « rencontre inter-conseils », hosted by one conseil citoyen."""

    host_body_id: str
    title: str = Field("Rencontre inter-conseils", min_length=1, max_length=300)
    starts_at: datetime = Field(description="Heure locale de Paris, sans décalage.")
    ends_at: datetime | None = None
    place: str | None = Field(None, max_length=500)


class OpinionIn(BaseModel):
    """An opinion of a conseil citoyen (or of the inter-associatif): on an engagement or on a COPIL agenda item."""

    body_id: str
    engagement_number: Ref | None = None
    meeting_id: str | None = None
    item_id: str | None = None
    qpv_id: str | None = None
    text: str = Field(min_length=1, max_length=8000)


class OpinionAnswerIn(BaseModel):
    text: str = Field(min_length=1, max_length=8000)
    version: Cursor


class OpinionRulesIn(BaseModel):
    answer_days: int = Field(ge=1, le=365, description="Jours laissés aux pilotes pour répondre à un avis.")
# --- appel à projets ----------------------------------------------------------------------------------------------

CpoKind = Literal["non", "nouvelle", "en_cours"]


class EnvelopeIn(BaseModel):
    funder_id: str
    amount: int = Field(ge=0, le=1_000_000_000)


class PriorityIn(BaseModel):
    text: str
    themes: list[str] = []
    engagements: list[Ref] = []


class AapCallIn(BaseModel):
    title: str
    opens_on: date
    closes_on: date
    decisions_by: date | None = None
    envelopes: list[EnvelopeIn] = []
    priorities: list[PriorityIn] = []
    version: Cursor | None = Field(None, description="Version lue, pour modifier un appel existant.")


class AapProjectIn(BaseModel):
    association_name: str
    association_id: str = Field(description="RNA (W + 9 chiffres) ou SIREN (9 chiffres).")
    title: str
    summary: str | None = None
    qpv: list[str] = []
    themes: list[str] = []
    engagements: list[Ref] = []
    amount_asked: int = Field(ge=0, le=1_000_000_000)
    cpo: CpoKind = "non"
    demo: bool = False
    version: Cursor | None = Field(None, description="Version lue, pour modifier un projet existant.")


class FundingDecisionIn(BaseModel):
    decision: Literal["accorde", "refuse"]
    amount_granted: int = Field(0, ge=0, le=1_000_000_000)
    decided_on: date
    version: Cursor | None = Field(None, description="Version lue de la décision de ce financeur, pour la corriger.")


class PaymentIn(BaseModel):
    paid_on: date
    amount: int = Field(gt=0, le=1_000_000_000)
