"""Routes of the conseils citoyens: their public list and pages, the secretariat's profile, each member's choice
of how they appear, the rencontres inter-conseils, the coverage of the QPV."""

from typing import Any

from fastapi import APIRouter

from kernel.app import RuntimeDep, SessionDep
from kernel.identity import IdentityDep
from services.participation.api.deps import SettingsDep
from services.participation.schemas import ConseilIn, DisplayIn, InterConseilIn
from services.participation.service import conseils
from services.participation.service.bodies import get_body, list_bodies
from services.participation.service.common import require_secretariat
from services.participation.service.meetings import list_meetings, meeting_out
from services.participation.service.registry import list_qpv

router = APIRouter(prefix="/api/v1", tags=["conseils citoyens"])


async def _qpv_names(session: SessionDep) -> dict[str, str]:
    return {q.id: q.name for q in await list_qpv(session)}


@router.get("/conseils-citoyens")
async def list_conseils(session: SessionDep, settings: SettingsDep, who: IdentityDep) -> dict[str, Any]:
    """Every conseil citoyen (public: members counted, or by first name and initial when they chose it), the
    rencontres inter-conseils, whose turn it is to host, and the coverage of the QPV."""
    names = await _qpv_names(session)
    items = [await conseils.conseil_out(session, who, b, names) for b in await list_bodies(session)
             if b.kind == conseils.KIND]
    host = await conseils.next_host(session)
    return {"conseils": items, "coverage": await conseils.coverage(session),
            "rencontres": [meeting_out(m, b, settings) | {"may_open": may_open}
                           for m, b, may_open in await conseils.rencontres(session, who)],
            "next_host": {"id": host.id, "name": host.name} if host else None}


@router.get("/conseils-citoyens/{body_id}")
async def conseil(body_id: str, session: SessionDep, settings: SettingsDep, who: IdentityDep) -> dict[str, Any]:
    """One conseil citoyen as the caller may see it, with its meetings and the rencontres inter-conseils."""
    body = await conseils.get_conseil(session, body_id)
    out = await conseils.conseil_out(session, who, body, await _qpv_names(session))
    out["meetings"] = [meeting_out(m, b, settings) for m, b in await list_meetings(session, who, body_id=body_id)]
    out["rencontres"] = [meeting_out(m, b, settings) | {"may_open": may_open}
                         for m, b, may_open in await conseils.rencontres(session, who)]
    return out


@router.put("/conseils-citoyens/{body_id}")
async def update_conseil(body_id: str, data: ConseilIn, session: SessionDep, runtime: RuntimeDep,
                         who: IdentityDep) -> dict[str, Any]:
    """The secretariat keeps the conseil's profile (creation date, contact, activities)."""
    profile = await conseils.update_conseil(session, runtime.outbox, who, body_id, data)
    return {"body_id": profile.body_id, "version": profile.version}


@router.put("/memberships/{membership_id}/display")
async def set_display(membership_id: str, data: DisplayIn, session: SessionDep, runtime: RuntimeDep,
                      who: IdentityDep) -> dict[str, Any]:
    """A conseil member chooses how they appear publicly: counted only, or first name and initial."""
    row = await conseils.set_display(session, runtime.outbox, who, membership_id, data)
    return {"membership_id": row.membership_id, "display": row.display}


@router.post("/inter-conseils", status_code=201)
async def schedule_inter_conseils(data: InterConseilIn, session: SessionDep, runtime: RuntimeDep,
                                  settings: SettingsDep, who: IdentityDep) -> dict[str, Any]:
    """The secretariat schedules a rencontre inter-conseils hosted by one conseil."""
    meeting = await conseils.schedule_inter_conseils(session, runtime.outbox, settings, who, data)
    return meeting_out(meeting, await get_body(session, meeting.body_id), settings)


@router.get("/conseils-citoyens-coverage")
async def coverage(session: SessionDep, _who: IdentityDep) -> dict[str, Any]:
    """How many QPV have a conseil citoyen (the value recorded for engagement 47)."""
    return await conseils.coverage(session)


@router.post("/conseils-citoyens-coverage")
async def record_coverage(session: SessionDep, runtime: RuntimeDep, who: IdentityDep) -> dict[str, Any]:
    """The secretariat sends the coverage again to the indicators (it is sent by itself when the registry
    changes)."""
    require_secretariat(who, "transmettre le taux de couverture")
    found = await conseils.record_coverage(session, runtime.outbox)
    await session.commit()
    return found
