"""Routes of the inter-associatif's « appel à participation » and its member associations."""

from typing import Any

from fastapi import APIRouter

from kernel.app import RuntimeDep, SessionDep
from kernel.identity import IdentityDep
from services.participation.api.deps import SettingsDep
from services.participation.schemas import ApplicationConfirm, ApplicationDecision, ApplicationIn, VersionIn
from services.participation.service import applications
from services.participation.service.bodies import get_body

router = APIRouter(prefix="/api/v1", tags=["inter-associatif"])


@router.post("/applications", status_code=202)
async def submit(data: ApplicationIn, session: SessionDep, runtime: RuntimeDep, settings: SettingsDep,
                 _who: IdentityDep) -> dict[str, Any]:
    """An association applies (anyone, the gateway signing for a visitor): a confirmation link goes to its
    contact; the application counts once confirmed. The answer carries no personal data."""
    a = await applications.submit(session, runtime.outbox, settings, data)
    return {"id": a.id, "status": a.status, "confirm_hours": settings.application_confirm_hours}


@router.post("/applications/confirm")
async def confirm(data: ApplicationConfirm, session: SessionDep, runtime: RuntimeDep, settings: SettingsDep,
                  _who: IdentityDep) -> dict[str, Any]:
    """The contact confirms their address with the signed link's token."""
    a = await applications.confirm(session, runtime.outbox, settings, data.token)
    return {"id": a.id, "status": a.status, "association_name": a.association_name}


@router.get("/applications")
async def list_applications(session: SessionDep, who: IdentityDep, status: str | None = None) -> list[dict[str, Any]]:
    """Confirmed applications (coordinators of the inter-associatif and the secretariat)."""
    return [applications.application_out(a) for a in await applications.applications(session, who, status)]


@router.post("/applications/{application_id}/decision")
async def decide(application_id: str, data: ApplicationDecision, session: SessionDep, runtime: RuntimeDep,
                 settings: SettingsDep, who: IdentityDep) -> dict[str, Any]:
    a = await applications.decide(session, runtime.outbox, settings, who, application_id, data)
    return applications.application_out(a)


@router.post("/associations/{association_id}/end")
async def end(association_id: str, data: VersionIn, session: SessionDep, runtime: RuntimeDep,
              who: IdentityDep) -> dict[str, Any]:
    """An association leaves the inter-associatif (coordinators, secretariat)."""
    a = await applications.end_membership(session, runtime.outbox, who, association_id, data.version)
    return applications.application_out(a)


@router.get("/associations")
async def members(session: SessionDep, who: IdentityDep) -> dict[str, Any]:
    """The inter-associatif's member associations, for everyone; whether the caller may handle applications."""
    body = await get_body(session, applications.BODY_ID)
    rows = await applications.members(session)
    return {"body": {"id": body.id, "name": body.name, "description": body.description},
            "members": [applications.member_out(a) for a in rows], "active_count": len(rows),
            "may_decide": applications.may_decide(who, body)}
