"""Events the indicateurs service publishes (the integrators' contract: change only by adding a new type).

Public (integrators): definitions, approved values (`value.approved`, each one whole: indicator, period, QPV
with its national code, value, unit, qualification, organisation, version, so that an integrator rebuilds the
approved series from the stream alone), campaigns. Internal (services only): every step of a value's life
(recorded, corrected, submitted, validated, rejected: values awaiting validation, comments, who acted) and imports.
The CloudEvents `subject` of value events is `indicator/<indicator_id>`.
"""

from datetime import date

from pydantic import Field

from kernel.events import EventPayload, event_type

RETIRED_SUBMISSION = ("Plus publié : portait des valeurs en attente de validation, les commentaires et le nom des "
                      "personnes. Les valeurs approuvées sont publiées par cdv.indicateurs.value.approved ; les "
                      "événements passés restent dans le flux.")


@event_type("cdv.indicateurs.definition.defined_v2",
            "Une définition d'indicateur est apparue ou a changé (libellé, unité, périodicité, cible, pilotes).")
class DefinitionDefined(EventPayload):
    indicator_id: int = Field(description="Identifiant de l'indicateur.")
    contract_id: str = Field(description="Identifiant du contrat chargé, ex. nantes-metropole-2019.")
    engagement_number: int = Field(description="Numéro de l'engagement que l'indicateur suit.")
    label: str = Field(description="Libellé de l'indicateur.")
    unit: str = Field(description="Unité des valeurs (ex. nombre, %, euros).")
    periodicity: str = Field(description="annuelle, semestrielle ou trimestrielle")
    target: float | None = Field(description="Valeur cible, si le contrat ou le secrétariat en fixe une.")
    by_qpv: bool = Field(description="Vrai quand les valeurs sont données par QPV.")
    responsible: list[str] = Field(description="Organisations chargées de renseigner l'indicateur.")
    active: bool = Field(description="Faux quand l'indicateur n'est plus suivi.")
    version: int = Field(description="Version de la définition (1, puis +1 par changement).")
    qpv: list[str] = Field(default=[], description="QPV où l'indicateur est renseigné (vide : tous).")
    negative_allowed: bool = Field(default=False, description="Une valeur négative a un sens (ex. une évolution).")
    changed: list[str] = Field(default=[], description="Champs modifiés par cette version.")
    computed: bool = Field(default=False, description="Vrai quand la plateforme calcule elle-même les valeurs "
                                                      "de l'indicateur : aucune organisation ne les saisit ni ne "
                                                      "les doit.")


@event_type("cdv.indicateurs.definition.defined",
            "Une définition d'indicateur est apparue ou a changé (libellé, unité, périodicité, cible, pilotes).",
            retired="Plus publié : portait le nom de la personne du secrétariat. Remplacé par "
                    "cdv.indicateurs.definition.defined_v2 (les mêmes champs sans actor_name).")
class DefinitionDefinedV1(DefinitionDefined):
    actor_name: str | None = Field(default=None, description="Qui a fait cette version (le chargement du contrat "
                                                             "ou une personne du secrétariat).")


class ValueFields(EventPayload):
    """What every value event says about the value (not published by itself)."""

    submission_id: int = Field(description="Identifiant de cette version de la valeur.")
    contract_id: str = Field(description="Identifiant du contrat chargé.")
    indicator_id: int = Field(description="Indicateur de la valeur.")
    indicator_label: str = Field(description="Libellé de l'indicateur.")
    engagement_number: int = Field(description="Numéro de l'engagement que l'indicateur suit.")
    period: str = Field(description="2020 (année), 2020-S1 (semestre) ou 2020-T1 (trimestre).")
    qpv_id: str | None = Field(description="QPV de la valeur quand l'indicateur est décliné par QPV.")
    qpv_code: str | None = Field(description="Code national du QPV, quand il est connu.")
    value: float = Field(description="La valeur, dans l'unité de l'indicateur.")
    unit: str = Field(description="Unité de la valeur.")
    qualification: str = Field(description="provisoire, estime ou definitif")
    source: str | None = Field(None, description="Source de la donnée (ex. « INSEE, recensement 2020 »).")
    organisation_id: str = Field(description="Organisation qui renseigne la valeur.")
    version: int = Field(description="Version de la valeur (1 pour la première saisie, +1 par correction).")


class SubmissionEvent(ValueFields):
    """A step of a value's life, in detail: internal (values awaiting validation, comments, who acted)."""

    comment: str | None = Field(None, description="Commentaire de l'organisation sur la valeur (interne).")
    state: str = Field(description="brouillon, soumis, approuve ou a_reprendre")
    actor_name: str = Field(description="Personne qui a agi.")
    actor_organisation_id: str | None = Field(description="Organisation de la personne qui a agi.")
    import_id: int | None = Field(default=None, description="Import CSV dont vient la valeur, le cas échéant.")


@event_type("cdv.indicateurs-internal.submission.recorded",
            "Une organisation a saisi une première valeur d'indicateur (brouillon ou soumise à validation).")
class SubmissionRecorded(SubmissionEvent):
    pass


@event_type("cdv.indicateurs-internal.submission.corrected",
            "Une organisation a corrigé une valeur : nouvelle version, les précédentes restent consultables.")
class SubmissionCorrected(SubmissionEvent):
    previous_version: int = Field(description="Version remplacée.")
    previous_value: float = Field(description="Valeur de la version remplacée.")
    previous_state: str = Field(description="État de la version remplacée.")


@event_type("cdv.indicateurs-internal.submission.submitted",
            "Un brouillon de valeur a été soumis à la validation du secrétariat.")
class SubmissionSubmitted(SubmissionEvent):
    pass


@event_type("cdv.indicateurs-internal.submission.validated", "Le secrétariat a approuvé une valeur.")
class SubmissionValidated(SubmissionEvent):
    pass


@event_type("cdv.indicateurs-internal.submission.rejected",
            "Le secrétariat a renvoyé une valeur à reprendre, avec un motif.")
class SubmissionRejected(SubmissionEvent):
    reason: str = Field(description="Motif du renvoi, à l'attention de l'organisation.")


@event_type("cdv.indicateurs.value.approved",
            "Le secrétariat a approuvé une valeur : la valeur publique de l'indicateur pour cette période, ce QPV et "
            "cette organisation (la plus haute version approuvée fait foi).")
class ValueApproved(ValueFields):
    @classmethod
    def of(cls, validated: SubmissionValidated) -> "ValueApproved":
        """The public projection of a validated value."""
        return cls(**validated.model_dump(include=set(ValueFields.model_fields)))


# The types that carried every step of a value before the split, kept documented for their past events.
@event_type("cdv.indicateurs.submission.recorded", SubmissionRecorded.__summary__, retired=RETIRED_SUBMISSION)
class SubmissionRecordedV1(SubmissionRecorded):
    pass


@event_type("cdv.indicateurs.submission.corrected", SubmissionCorrected.__summary__, retired=RETIRED_SUBMISSION)
class SubmissionCorrectedV1(SubmissionCorrected):
    pass


@event_type("cdv.indicateurs.submission.submitted", SubmissionSubmitted.__summary__, retired=RETIRED_SUBMISSION)
class SubmissionSubmittedV1(SubmissionSubmitted):
    pass


@event_type("cdv.indicateurs.submission.validated", SubmissionValidated.__summary__, retired=RETIRED_SUBMISSION)
class SubmissionValidatedV1(SubmissionValidated):
    pass


@event_type("cdv.indicateurs.submission.rejected", SubmissionRejected.__summary__, retired=RETIRED_SUBMISSION)
class SubmissionRejectedV1(SubmissionRejected):
    pass


@event_type("cdv.indicateurs-internal.import.completed",
            "Un fichier de valeurs (CSV ou .xlsx) a été importé en entier (chaque valeur a aussi son propre "
            "événement).")
class ImportCompleted(EventPayload):
    import_id: int = Field(description="Identifiant de l'import.")
    organisation_id: str = Field(description="Organisation dont les valeurs ont été importées.")
    actor_name: str = Field(description="Personne qui a importé.")
    filename: str | None = Field(description="Nom du fichier déposé.")
    rows: int = Field(description="Lignes lues.")
    recorded: int = Field(description="Premières saisies.")
    corrected: int = Field(description="Nouvelles versions de valeurs existantes.")
    unchanged: int = Field(description="Lignes identiques à la valeur en place (rien d'enregistré).")
    periods: list[str] = Field(description="Périodes concernées.")
    skipped: int = Field(default=0, description="Lignes sans valeur, ignorées (les lignes d'un modèle non "
                                                "remplies).")


@event_type("cdv.indicateurs.import.completed", ImportCompleted.__summary__,
            retired="Plus publié : portait le nom de la personne et du fichier, sur des valeurs pas encore "
                    "approuvées. Événement interne désormais ; rien ne le remplace pour les intégrateurs.")
class ImportCompletedV1(ImportCompleted):
    pass


class CampaignEvent(EventPayload):
    campaign_id: int = Field(description="Identifiant de la campagne.")
    title: str = Field(description="Intitulé de la campagne, ex. « Bilan 2026 ».")
    period: str = Field(description="Période collectée (ses semestres et trimestres compris).")
    closes_on: date = Field(description="Dernier jour de saisie.")


@event_type("cdv.indicateurs.campaign.opened_v2",
            "Le secrétariat a ouvert une campagne de collecte pour une période.")
class CampaignOpened(CampaignEvent):
    pass


@event_type("cdv.indicateurs.campaign.closed_v2",
            "Une campagne de collecte est close (date passée ou clôture explicite) : la période est verrouillée.")
class CampaignClosed(CampaignEvent):
    automatic: bool = Field(description="Vrai quand la clôture vient de la date passée.")


@event_type("cdv.indicateurs.campaign.reopened_v2",
            "Le secrétariat a rouvert une campagne close : la période accepte de nouveau des valeurs.")
class CampaignReopened(CampaignEvent):
    pass


RETIRED_CAMPAIGN = ("Plus publié : portait le nom de la personne du secrétariat (et le motif, interne). Remplacé "
                    "par le même type suffixé _v2.")
ACTOR_NAME = Field(description="Personne du secrétariat qui a agi.")


@event_type("cdv.indicateurs.campaign.opened", CampaignOpened.__summary__, retired=RETIRED_CAMPAIGN)
class CampaignOpenedV1(CampaignOpened):
    actor_name: str = ACTOR_NAME


@event_type("cdv.indicateurs.campaign.closed", CampaignClosed.__summary__, retired=RETIRED_CAMPAIGN)
class CampaignClosedV1(CampaignClosed):
    actor_name: str = ACTOR_NAME
    reason: str | None = Field(None, description="Motif d'une clôture explicite.")


@event_type("cdv.indicateurs.campaign.reopened", CampaignReopened.__summary__, retired=RETIRED_CAMPAIGN)
class CampaignReopenedV1(CampaignReopened):
    actor_name: str = ACTOR_NAME
    reason: str = Field(description="Motif de la réouverture.")
