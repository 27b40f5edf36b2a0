"""The contract file (YAML or JSON), as pydantic models: the source of the published JSON Schema."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Slug = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)
OrganisationKind = Literal["etat", "collectivite", "organisme-public", "bailleur", "association",
                           "instance-participative", "autre"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContractInfo(Strict):
    id: str = Slug
    title: str = Field(min_length=1)
    territory: str = Field(min_length=1)
    version: str = Field(min_length=1, max_length=40, description="Libellé de version (un nouvel avenant = une "
                                                                    "nouvelle version)")
    source: str | None = None


class OrganisationDef(Strict):
    id: str = Slug
    name: str = Field(min_length=1)
    short_name: str | None = None
    kind: OrganisationKind
    signatory: bool = False
    aliases: list[str] = Field(default_factory=list, description="Autres graphies rencontrées dans le texte")


class QpvDef(Strict):
    id: str = Slug
    name: str = Field(min_length=1)
    cities: list[str] = Field(default_factory=list)
    code: str | None = Field(default=None, pattern=r"^Q[NP]\d{3}\w+$", description="Code national du QPV")
    conseil_citoyen: bool | None = None
    named: bool = Field(default=True, description="Faux pour un QPV que le texte compte sans le nommer : son nom "
                                                  "est provisoire jusqu'à ce que le secrétariat le donne")


class ThemeDef(Strict):
    id: str = Slug
    title: str = Field(min_length=1)
    objectives: list[str] = Field(default_factory=list, description="« Rappel des objectifs du contrat de ville »")


class AxisDef(Strict):
    number: int = Field(ge=1)
    title: str = Field(min_length=1)
    themes: list[ThemeDef] = Field(min_length=1)


class PilotDef(Strict):
    organisation: str = Field(min_length=1, description="Identifiant, nom ou graphie connue d'une organisation")
    uncertain: bool = Field(default=False, description="Rattachement incertain à la lecture du texte signé")
    note: str | None = None


class IndicatorDef(Strict):
    label: str = Field(min_length=1)
    uncertain: bool = False
    note: str | None = None


class EngagementDef(Strict):
    number: int = Field(ge=1)
    title: str = Field(min_length=1)
    axis: int = Field(ge=1)
    theme: str
    actions: list[str] = Field(default_factory=list)
    pilots: list[PilotDef] = Field(min_length=1)
    qpv: list[str] = Field(default_factory=list)
    indicators: list[IndicatorDef] = Field(default_factory=list)


BodyKind = Literal["copil", "gtc", "groupe-thematique", "interbailleurs", "inter-associatif", "conseil-citoyen",
                   "rdv-politique-de-la-ville"]


class BodyDef(Strict):
    """A governance body of the contract (COPIL, GTC, thematic group, conseil citoyen…)."""

    id: str = Slug
    name: str = Field(min_length=1)
    kind: BodyKind
    description: str | None = None
    organisation: str | None = Field(default=None, description="Organisation que l'instance est aussi (ex. "
                                                                "l'inter-associatif), par identifiant ou graphie")
    qpv: str | None = Field(default=None, description="Quartier d'un conseil citoyen")
    engagements: list[int] = Field(default_factory=list, description="Engagements qui la prévoient")
    themes: list[str] = Field(default_factory=list, description="Thèmes suivis (groupe thématique)")
    uncertain: bool = Field(default=False, description="Ce que le texte signé ne dit pas (ex. le nom d'un groupe)")
    note: str | None = None


class ContractFile(Strict):
    """A contrat de ville: its axes, themes, numbered engagements, organisations and QPV."""

    format_version: Literal[1]
    contract: ContractInfo
    organisations: list[OrganisationDef] = Field(min_length=1)
    qpv: list[QpvDef] = Field(default_factory=list)
    axes: list[AxisDef] = Field(min_length=1)
    engagements: list[EngagementDef] = Field(min_length=1)
    bodies: list[BodyDef] = Field(default_factory=list, description="Instances de gouvernance du contrat")
