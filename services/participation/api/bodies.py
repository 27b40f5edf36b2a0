"""Routes of bodies, people and seats, and of the caller's own bodies ("mes instances")."""

from typing import Any

from fastapi import APIRouter
from sqlmodel import select

from kernel.app import RuntimeDep, SessionDep
from kernel.identity import IdentityDep
from services.participation.api.deps import SettingsDep
from services.participation.schemas import BodyRename, MembershipEnd, MembershipIn, PersonIn
from services.participation.service import agendas, bodies, members, people
from services.participation.service.common import is_public, require_secretariat, today_paris
from services.participation.service.meetings import list_meetings, meeting_out

router = APIRouter(prefix="/api/v1", tags=["instances"])


@router.get("/bodies")
async def list_bodies(session: SessionDep, who: IdentityDep) -> list[dict[str, Any]]:
    """The governance bodies, with how many people currently sit in each."""
    out = []
    for body in await bodies.list_bodies(session):
        active = await members.active_members(session, body.id)
        out.append(bodies.body_out(body) | {"members_count": len(active),
                                            "organisations": sorted({m.organisation_id for m, _ in active
                                                                     if m.organisation_id})})
    return out


@router.get("/bodies/{body_id}")
async def body_detail(body_id: str, session: SessionDep, who: IdentityDep) -> dict[str, Any]:
    """A body and its seats: names for the secretariat and members (or when the person agreed), addresses for
    the secretariat only; past seats only for insiders."""
    body = await bodies.get_body(session, body_id)
    member = await members.is_member(session, who, body_id)
    insider = who.is_secretariat or member
    seats = [members.seat_out(m, p, private=who.is_secretariat, insider=insider)
             for m, p in await members.seats_of_body(session, body_id) if insider or m.active_on(today_paris())]
    return bodies.body_out(body) | {"seats": seats, "is_member": member}


@router.patch("/bodies/{body_id}")
async def rename_body(body_id: str, change: BodyRename, session: SessionDep, who: IdentityDep) -> dict[str, Any]:
    """The secretariat renames a body (a thematic group the contract does not name, for instance)."""
    return bodies.body_out(await bodies.rename_body(session, who, body_id, change))


@router.post("/bodies/{body_id}/members", status_code=201)
async def add_member(body_id: str, data: MembershipIn, session: SessionDep, runtime: RuntimeDep,
                     who: IdentityDep) -> dict[str, Any]:
    """The secretariat gives a seat to a person (new or known)."""
    seat = await members.add_member(session, runtime.outbox, who, body_id, data)
    return members.seat_out(seat, await people.get_person(session, seat.person_id), private=True)


@router.post("/memberships/{membership_id}/end")
async def end_membership(membership_id: str, data: MembershipEnd, session: SessionDep, runtime: RuntimeDep,
                         who: IdentityDep) -> dict[str, Any]:
    """The secretariat ends a seat; it stays in the body's history."""
    seat = await members.end_membership(session, runtime.outbox, who, membership_id, data)
    return members.seat_out(seat, await people.get_person(session, seat.person_id), private=True)


@router.get("/people")
async def list_people(session: SessionDep, who: IdentityDep) -> list[dict[str, Any]]:
    """Everyone who sits or sat in a body (secretariat only: this is personal data)."""
    require_secretariat(who, "consulter la liste des personnes")
    rows = (await session.exec(select(people.Person).order_by(people.Person.name))).all()
    return [people.person_out(p, private=True) for p in rows]


@router.patch("/people/{person_id}")
async def update_person(person_id: str, data: PersonIn, session: SessionDep, runtime: RuntimeDep,
                        who: IdentityDep) -> dict[str, Any]:
    return people.person_out(await people.update_person(session, runtime.outbox, who, person_id, data), private=True)


@router.delete("/people/{person_id}")
async def remove_person(person_id: str, session: SessionDep, runtime: RuntimeDep, who: IdentityDep) -> dict[str, Any]:
    """Removes a person: anonymised, their seats ended; the bodies' history stays readable."""
    return people.person_out(await people.anonymise_person(session, runtime.outbox, who, person_id), private=True)


@router.get("/me")
async def my_bodies(session: SessionDep, runtime: RuntimeDep, settings: SettingsDep,
                    who: IdentityDep) -> dict[str, Any]:
    """The caller's seats and the upcoming meetings of their bodies (links their account to their records)."""
    if is_public(who):
        return {"seats": [], "meetings": []}
    await people.link_account(session, runtime.outbox, who)
    seats = await members.member_seats(session, who)
    names = {b.id: b for b in await bodies.list_bodies(session)}
    body_ids = {s.body_id for s in seats}
    meetings = [meeting_out(m, b, settings) for m, b in await list_meetings(session, who, since=today_paris())
                if b.id in body_ids]
    return {"seats": [{"id": s.id, "body_id": s.body_id, "body_name": names[s.body_id].name,
                       "body_kind": names[s.body_id].kind, "seat": s.seat, "organisation_id": s.organisation_id,
                       "starts_on": s.starts_on, "person_id": s.person_id} for s in seats],
            "meetings": meetings}


@router.get("/lead-time-stats")
async def lead_time_stats(session: SessionDep, settings: SettingsDep, _who: IdentityDep) -> list[dict[str, Any]]:
    """Share of meetings whose agenda went out on time, per body and year."""
    return await agendas.lead_time_stats(session, settings)
