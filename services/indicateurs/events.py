"""Events the indicateurs service publishes (the integrators' contract: change only by adding a new type).

Every submission event carries the whole value as it stands after the change (indicator, period, QPV with its
national code, value, unit, qualification, state, organisation, version), so an integrator can rebuild the
series from the stream alone. The CloudEvents `subject` is `indicator/<indicator_id>`.
"""

from datetime import date

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
    qpv: list[str] = Field(default=[], description="QPV où l'indicateur est renseigné (vide : tous).")
    negative_allowed: bool = Field(default=False, description="Une valeur négative a un sens (ex. une évolution).")
    changed: list[str] = Field(default=[], description="Champs modifiés par cette version.")
    actor_name: str | None = Field(default=None, description="Qui a fait cette version (le chargement du contrat "
                                                             "ou une personne du secrétariat).")


class SubmissionEvent(EventPayload):
    """What every submission event says about the value (not published by itself)."""

    submission_id: int = Field(description="Identifiant de cette version de la valeur.")
    contract_id: str
    indicator_id: int
    indicator_label: str
    engagement_number: int
    period: str = Field(description="2020 (année), 2020-S1 (semestre) ou 2020-T1 (trimestre).")
    qpv_id: str | None = Field(description="QPV de la valeur quand l'indicateur est décliné par QPV.")
    qpv_code: str | None = Field(description="Code national du QPV, quand il est connu.")
    value: float
    unit: str
    qualification: str = Field(description="provisoire, estime ou definitif")
    comment: str | None = None
    source: str | None = None
    state: str = Field(description="brouillon, soumis, approuve ou a_reprendre")
    organisation_id: str = Field(description="Organisation qui renseigne la valeur.")
    actor_name: str = Field(description="Personne qui a agi.")
    actor_organisation_id: str | None
    version: int = Field(description="Version de la valeur (1 pour la première saisie, +1 par correction).")
    import_id: int | None = Field(default=None, description="Import CSV dont vient la valeur, le cas échéant.")


@event_type("cdv.indicateurs.submission.recorded",
            "Une organisation a saisi une première valeur d'indicateur (brouillon ou soumise à validation).")
class SubmissionRecorded(SubmissionEvent):
    pass


@event_type("cdv.indicateurs.submission.corrected",
            "Une organisation a corrigé une valeur : nouvelle version, les précédentes restent consultables.")
class SubmissionCorrected(SubmissionEvent):
    previous_version: int
    previous_value: float
    previous_state: str


@event_type("cdv.indicateurs.submission.submitted",
            "Un brouillon de valeur a été soumis à la validation du secrétariat.")
class SubmissionSubmitted(SubmissionEvent):
    pass


@event_type("cdv.indicateurs.submission.validated", "Le secrétariat a approuvé une valeur.")
class SubmissionValidated(SubmissionEvent):
    pass


@event_type("cdv.indicateurs.submission.rejected",
            "Le secrétariat a renvoyé une valeur à reprendre, avec un motif.")
class SubmissionRejected(SubmissionEvent):
    reason: str = Field(description="Motif du renvoi, à l'attention de l'organisation.")


@event_type("cdv.indicateurs.import.completed",
            "Un fichier de valeurs (CSV ou .xlsx) a été importé en entier (chaque valeur a aussi son propre "
            "événement).")
class ImportCompleted(EventPayload):
    import_id: int
    organisation_id: str
    actor_name: str
    filename: str | None
    rows: int
    recorded: int = Field(description="Premières saisies.")
    corrected: int = Field(description="Nouvelles versions de valeurs existantes.")
    unchanged: int = Field(description="Lignes identiques à la valeur en place (rien d'enregistré).")
    periods: list[str]
    skipped: int = Field(default=0, description="Lignes sans valeur, ignorées (les lignes d'un modèle non "
                                                "remplies).")


class CampaignEvent(EventPayload):
    campaign_id: int
    title: str
    period: str = Field(description="Période collectée (ses semestres et trimestres compris).")
    closes_on: date = Field(description="Dernier jour de saisie.")
    actor_name: str


@event_type("cdv.indicateurs.campaign.opened",
            "Le secrétariat a ouvert une campagne de collecte pour une période.")
class CampaignOpened(CampaignEvent):
    pass


@event_type("cdv.indicateurs.campaign.closed",
            "Une campagne de collecte est close (date passée ou clôture explicite) : la période est verrouillée.")
class CampaignClosed(CampaignEvent):
    automatic: bool = Field(description="Vrai quand la clôture vient de la date passée.")
    reason: str | None = None


@event_type("cdv.indicateurs.campaign.reopened",
            "Le secrétariat a rouvert une campagne close : la période accepte de nouveau des valeurs.")
class CampaignReopened(CampaignEvent):
    reason: str
