"""API shapes of the indicateurs service."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, field_validator

from kernel.ids import Cursor, Ref
from services.indicateurs.models import UNITS, CampaignStatus, Qualification, State
from services.indicateurs.periods import Periodicity

Unit = Literal[UNITS]  # type: ignore[valid-type]


def _blank_is_none(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


# --- definitions ---------------------------------------------------------------------------------------------

class DefinitionOut(BaseModel):
    id: int
    contract_id: str
    engagement_number: int
    engagement_title: str
    label: str
    uncertain: bool
    note: str | None
    unit: str
    periodicity: str
    target: float | None
    by_qpv: bool
    qpv: list[str]
    negative_allowed: bool
    responsible: list[str]
    computed: bool = Field(False, description="Vrai quand la plateforme calcule elle-même les valeurs de cet "
                                              "indicateur : personne ne les saisit ni ne les doit.")
    active: bool
    version: int
    updated_at: datetime
    updated_by_name: str | None


class DefinitionVersionOut(BaseModel):
    version: int
    label: str
    unit: str
    periodicity: str
    target: float | None
    by_qpv: bool
    qpv: list[str]
    negative_allowed: bool
    responsible: list[str]
    active: bool
    changed: list[str]
    actor_name: str
    at: datetime


class DefinitionDetail(DefinitionOut):
    history: list[DefinitionVersionOut] = Field(description="Versions de la définition, la plus récente d'abord.")


class DefinitionUpdate(BaseModel):
    """The secretariat's refinement of a definition. Only the fields sent change; `version` is the one read."""

    version: Cursor
    unit: Unit | None = None
    periodicity: Periodicity | None = None
    target: float | None = None
    by_qpv: bool | None = None
    qpv: list[str] | None = None
    negative_allowed: bool | None = None
    responsible: list[str] | None = Field(default=None, min_length=1)


# --- QPV -----------------------------------------------------------------------------------------------------

class QpvOut(BaseModel):
    id: str
    name: str
    code: str | None
    cities: list[str]


# --- submissions ---------------------------------------------------------------------------------------------

class SubmissionIn(BaseModel):
    """A value for a period (and a QPV when the indicator is broken down by QPV).

    `version` is the latest version of this value the writer saw (0 when it saw none): a first value when one
    already exists, or a correction of a version that is no longer the latest, gets a conflict.
    """

    indicator_id: Ref
    period: str = Field(max_length=10)
    qpv_id: str | None = Field(default=None, max_length=80)
    value: float = Field(allow_inf_nan=False)
    qualification: Qualification = Qualification.PROVISOIRE
    comment: str | None = Field(default=None, max_length=4000)
    source: str | None = Field(default=None, max_length=500)
    draft: bool = Field(default=False, description="Enregistrer en brouillon, sans soumettre au secrétariat.")
    version: Cursor = 0

    _blank = field_validator("comment", "source", "qpv_id")(_blank_is_none)


def _required_reason(value: str) -> str:
    if not value.strip():
        raise ValueError("le motif est obligatoire")
    return value.strip()


# A reason someone must give (returning a value, reopening a period): blank is refused.
Reason = Annotated[str, Field(max_length=2000), AfterValidator(_required_reason)]


class RejectIn(BaseModel):
    reason: Reason


class SubmissionOut(BaseModel):
    id: int
    indicator_id: Ref
    indicator_label: str
    engagement_number: int
    unit: str
    period: str
    qpv_id: str | None
    qpv_code: str | None
    qpv_name: str | None
    organisation_id: str
    version: int
    latest: bool = Field(description="Vrai pour la version en vigueur ; les précédentes restent consultables.")
    value: float
    qualification: Qualification
    comment: str | None
    source: str | None
    state: State
    state_label: str
    submitted_by_name: str
    created_at: datetime
    submitted_at: datetime | None
    reviewed_by_name: str | None
    reviewed_at: datetime | None
    reason: str | None
    import_id: int | None


class SubmissionDetail(SubmissionOut):
    history: list[SubmissionOut] = Field(description="Toutes les versions de cette valeur, la plus récente d'abord.")


# --- the validation queue ----------------------------------------------------------------------------------

class QueueItem(SubmissionOut):
    """A value waiting for the secretariat, beside the previous value of its series."""

    engagement_title: str
    previous_period: str | None = Field(description="Dernière période antérieure ayant une valeur approuvée "
                                                    "(même indicateur, QPV et organisation).")
    previous_value: float | None
    approved_value: float | None = Field(description="Valeur approuvée en place pour la même période, qu'une "
                                                    "correction remplacerait.")
    variation: float | None = Field(description="Écart relatif à la valeur précédente (0,5 = +50 %) ; absent sans "
                                                "valeur précédente non nulle.")
    large_variation: bool = Field(description="Écart d'au moins 50 % (ou depuis zéro) : à regarder de près.")
    own: bool = Field(description="Saisie par la personne qui consulte : elle ne peut pas la valider.")


class QueueChoices(BaseModel):
    """What the queue's filters offer: the organisations, engagements and periods of every value waiting."""

    organisations: list[str] = Field(description="Organisations ayant des valeurs en attente.")
    engagements: list[tuple[int, str]] = Field(description="Engagements (numéro, titre) ayant des valeurs en "
                                                           "attente.")
    periods: list[str] = Field(description="Périodes ayant des valeurs en attente, la plus récente d'abord.")


class QueueOut(BaseModel):
    items: list[QueueItem] = Field(description="Une page des valeurs qui répondent aux filtres.")
    total: int = Field(description="Valeurs en attente, tous filtres confondus.")
    matching: int = Field(description="Valeurs qui répondent aux filtres (toutes pages).")
    offset: int = Field(description="Rang de la première valeur de la page (à partir de 0).")
    limit: int = Field(description="Nombre de valeurs au plus par page.")
    choices: QueueChoices


class BulkApproval(BaseModel):
    ids: list[Ref] = Field(min_length=1, max_length=1000)


class BulkRefusal(BaseModel):
    id: int
    code: str
    message: str


class BulkOutcome(BaseModel):
    approved: list[int]
    refused: list[BulkRefusal]


# --- imports -------------------------------------------------------------------------------------------------

class ImportLine(BaseModel):
    """A value a file would record (shown in a preview before anything is written)."""

    line: int
    indicator_id: Ref
    indicator_label: str
    engagement_number: int
    unit: str
    period: str
    qpv_id: str | None
    qpv_name: str | None
    value: float
    kind: Literal["nouvelle", "correction"]
    previous_value: float | None = Field(description="Valeur en place qu'une correction remplace.")


class ImportReport(BaseModel):
    import_id: int | None = Field(description="Absent quand le fichier a seulement été vérifié (dry_run).")
    organisation_id: str
    lines: int = Field(default=0, description="Lignes lues après l'en-tête (lignes entièrement vides exclues).")
    skipped: int = Field(default=0, description="Lignes sans valeur, ignorées (les lignes du modèle non remplies).")
    rows: int = Field(description="Lignes portant une valeur valide.")
    recorded: int
    corrected: int
    unchanged: int
    dry_run: bool = False
    preview_id: int | None = Field(default=None, description="Aperçu à confirmer (POST /imports/previews/{id}/"
                                                              "confirm) ; seulement pour un aperçu.")
    values: list[ImportLine] = Field(default=[], description="Dans un aperçu : les valeurs à enregistrer (500 au "
                                                             "plus).")


# --- campaigns -----------------------------------------------------------------------------------------------

class CampaignIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    period: str = Field(max_length=10)
    closes_on: date


class CampaignClose(BaseModel):
    reason: str | None = Field(default=None, max_length=2000)

    _blank = field_validator("reason")(_blank_is_none)


class CampaignReopen(BaseModel):
    reason: Reason
    closes_on: date | None = Field(default=None, description="Nouvelle date de clôture (obligatoire si la "
                                                             "précédente est passée).")


class CampaignChangeOut(BaseModel):
    action: str
    automatic: bool
    actor_name: str
    reason: str | None
    closes_on: date | None
    at: datetime


class CampaignOut(BaseModel):
    id: int
    title: str
    period: str
    closes_on: date
    status: CampaignStatus
    locked: bool = Field(description="Vrai quand la période n'accepte plus de valeurs.")
    opened_at: datetime
    opened_by_name: str
    closed_at: datetime | None
    closed_by_name: str | None
    history: list[CampaignChangeOut] = []


class OwedValue(BaseModel):
    """A value an organisation owes: missing, still a draft, or returned for revision."""

    indicator_id: Ref
    indicator_label: str
    engagement_number: int
    unit: str
    period: str
    qpv_id: str | None
    qpv_name: str | None
    organisation_id: str
    status: Literal["manquant", "brouillon", "a_reprendre"]
    submission_id: int | None
    reason: str | None


class TodoOut(BaseModel):
    campaign_id: int
    period: str
    organisation_id: str
    locked: bool
    expected: int
    owed: list[OwedValue]


# --- completeness and series ---------------------------------------------------------------------------------

class MissingValue(BaseModel):
    organisation_id: str
    period: str
    qpv_id: str | None
    qpv_code: str | None
    status: Literal["manquant", "brouillon", "a_reprendre"]


class IndicatorCompleteness(BaseModel):
    indicator_id: Ref
    indicator_label: str
    engagement_number: int
    periodicity: str
    by_qpv: bool
    expected: int
    received: int
    complete: bool
    missing_organisations: list[str]
    missing: list[MissingValue]


class CompletenessOut(BaseModel):
    period: str
    organisation_id: str | None
    expected: int
    received: int
    rate: float = Field(description="Part des valeurs attendues reçues (soumises ou approuvées), entre 0 et 1.")
    indicators: list[IndicatorCompleteness]


class SeriesPoint(BaseModel):
    period: str
    qpv_id: str | None
    qpv_code: str | None
    qpv_name: str | None
    organisation_id: str
    value: float
    qualification: Qualification
    version: int
    approved_at: datetime | None


class SeriesOut(BaseModel):
    indicator_id: Ref
    indicator_label: str
    engagement_number: int
    unit: str
    periodicity: str
    by_qpv: bool
    target: float | None
    periods: list[str]
    points: list[SeriesPoint]


class LatestValues(BaseModel):
    """An indicator of an engagement with its most recent approved values (for the engagement page)."""

    indicator_id: Ref
    indicator_label: str
    unit: str
    periodicity: str
    by_qpv: bool
    target: float | None
    period: str | None = Field(description="Dernière période ayant une valeur approuvée (absente : aucune).")
    values: list[SeriesPoint]
