"""Events the participation service publishes."""

from pydantic import Field

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
