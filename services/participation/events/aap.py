"""Events of the appel à projets (engagement 49), published by participation."""

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from kernel.events import EventPayload, event_type

# --- appel à projets (engagement 49): the yearly call, projects, funders' decisions and payments --------------------
# Public events follow the public view: a call, and a project once a funder grants it (associations are legal
# persons, not private ones). A project still pending or refused is not public: it is announced on the internal
# stream only.

class Envelope(BaseModel):
    funder_id: str = Field(description="Organisation du contrat qui finance (État, Métropole, Villes, Département, "
                                        "CAF…).")
    funder_name: str = Field(description="Nom du financeur.")
    amount: int = Field(ge=0, description="Enveloppe de l'appel pour ce financeur, en euros.")


class Priority(BaseModel):
    text: str = Field(description="Priorité de l'appel, en clair.")
    themes: list[str] = Field(default=[], description="Thèmes du contrat visés (identifiants).")
    engagements: list[int] = Field(default=[], description="Engagements du contrat visés (numéros).")


@event_type("cdv.participation.aap_call.defined",
            "Un appel à projets du contrat de ville est ouvert ou modifié (dates, enveloppes, priorités).")
class AapCallDefined(EventPayload):
    year: int = Field(description="Année de l'appel (une par an).")
    title: str = Field(description="Intitulé de l'appel.")
    opens_on: date = Field(description="Ouverture du dépôt des projets.")
    closes_on: date = Field(description="Date limite de dépôt.")
    decisions_by: date | None = Field(None, description="Date prévue des décisions des financeurs.")
    envelopes: list[Envelope] = Field(description="Enveloppe de chaque financeur.")
    priorities: list[Priority] = Field(description="Priorités de l'appel, liées aux thèmes et engagements.")
    version: int = Field(ge=1, description="Version de l'appel (1 à l'ouverture, +1 par modification).")


class FundedProject(BaseModel):
    """What the public may know of a funded project (no private person: the carrying association only)."""

    project_id: str = Field(description="Identifiant stable du projet.")
    call_year: int = Field(description="Année de l'appel à projets.")
    association_name: str = Field(description="Association qui porte le projet.")
    association_id: str = Field(description="Numéro RNA (W + 9 chiffres) ou SIREN (9 chiffres) de l'association.")
    title: str = Field(description="Titre du projet.")
    summary: str | None = Field(None, description="Résumé du projet.")
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
    project: FundedProject = Field(description="Le projet financé, tel que le public le voit.")
    funder_id: str = Field(description="Organisation du contrat qui finance.")
    funder_name: str = Field(description="Nom du financeur.")
    amount_granted: int = Field(ge=0, description="Montant accordé par ce financeur, en euros.")
    decided_on: date = Field(description="Date de la décision du financeur.")
    project_granted_total: int = Field(ge=0, description="Total accordé au projet, tous financeurs confondus.")
    correction: bool = Field(description="Vrai quand une décision déjà publiée est corrigée.")


@event_type("cdv.participation.funding.withdrawn",
            "Une subvention publiée est retirée (décision corrigée en refus avant tout versement) : le projet n'est "
            "plus public s'il n'a plus d'autre financement.")
class FundingWithdrawn(EventPayload):
    project_id: str = Field(description="Identifiant du projet.")
    call_year: int = Field(description="Année de l'appel à projets.")
    funder_id: str = Field(description="Organisation qui retire sa subvention.")
    project_still_funded: bool = Field(description="Vrai si un autre financeur finance encore le projet.")


@event_type("cdv.participation.funding.paid", "Un financeur verse tout ou partie d'une subvention accordée.")
class FundingPaid(EventPayload):
    payment_id: str = Field(description="Identifiant du versement.")
    project_id: str = Field(description="Identifiant du projet.")
    call_year: int = Field(description="Année de l'appel à projets.")
    funder_id: str = Field(description="Organisation qui verse.")
    funder_name: str = Field(description="Nom du financeur.")
    amount: int = Field(gt=0, description="Montant versé, en euros.")
    paid_on: date = Field(description="Date du versement.")
    decided_on: date = Field(description="Date de la décision du financeur.")
    days_after_decision: int = Field(ge=0, description="Jours entre la décision et ce versement.")
    paid_total: int = Field(ge=0, description="Total versé par ce financeur pour ce projet, ce versement compris.")
    amount_granted: int = Field(ge=0, description="Montant accordé par ce financeur, en euros.")


@event_type("cdv.participation.aap_project.published",
            "La description publique d'un projet financé change (titre, résumé, quartiers, thèmes…).")
class AapProjectPublished(EventPayload):
    project: FundedProject = Field(description="Le projet financé, tel que le public le voit.")
    version: int = Field(ge=1, description="Version de la description du projet.")


@event_type("cdv.participation-internal.aap_project.recorded",
            "Un projet est déposé à l'appel à projets ou modifié, qu'il soit financé ou non (interne).")
class AapProjectRecorded(EventPayload):
    project: FundedProject = Field(description="Le projet déposé.")
    status: Literal["depose", "accorde", "refuse"] = Field(description="Statut du projet.")
    version: int = Field(ge=1, description="Version du projet.")


@event_type("cdv.participation-internal.funding.refused",
            "Un financeur refuse de financer un projet (interne : les projets refusés ne sont pas publics).")
class FundingRefused(EventPayload):
    project_id: str = Field(description="Identifiant du projet.")
    call_year: int = Field(description="Année de l'appel à projets.")
    funder_id: str = Field(description="Organisation qui refuse.")
    decided_on: date = Field(description="Date de la décision.")
    status: Literal["depose", "accorde", "refuse"] = Field(description="Statut du projet après cette décision.")
