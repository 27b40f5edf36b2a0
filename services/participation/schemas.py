"""API shapes of the participation service."""

from pydantic import BaseModel


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


class RegistryIn(BaseModel):
    """The part of a contract file this service owns."""

    organisations: list[OrganisationIn]
    qpv: list[QpvIn]


class RegistryReport(BaseModel):
    organisations_changed: list[str]
    qpv_changed: list[str]
