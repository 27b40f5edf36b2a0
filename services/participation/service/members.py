"""Seats in bodies: a person, the organisation (or body) they represent, titulaire or suppléant, dates.

Every seat change is announced (`membership.changed`) so notifications can circulate agendas to the members."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Field, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Invalid, NotFound
from kernel.identity import Identity
from kernel.outbox import Outbox
from kernel.rows import get_or_404
from services.participation.events import MembershipChanged
from services.participation.models import Base, now, timestamp
from services.participation.schemas import MembershipEnd, MembershipIn
from services.participation.service.bodies import Body, get_body
from services.participation.service.common import new_id, require_secretariat, today_paris
from services.participation.service.people import Person, create_person, get_person, person_out, persons_of
from services.participation.service.registry import Organisation


class Membership(Base, table=True):
    id: str = Field(primary_key=True, max_length=32)
    body_id: str = Field(foreign_key="body.id", max_length=80, index=True)
    person_id: str = Field(foreign_key="person.id", max_length=32, index=True)
    organisation_id: str | None = Field(default=None, max_length=80)  # an organisation or a body they represent
    seat: str = Field(max_length=20)
    starts_on: date
    ends_on: date | None = None
    created_at: datetime = Field(default_factory=now, sa_column=timestamp())

    def active_on(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or self.ends_on >= day)


async def _announce(session: AsyncSession, outbox: Outbox, seat: Membership, person: Person) -> None:
    await outbox.record(session, MembershipChanged(
        membership_id=seat.id, body_id=seat.body_id, member_id=seat.person_id, organisation_id=seat.organisation_id,
        seat=seat.seat, starts_on=seat.starts_on, ends_on=seat.ends_on,  # type: ignore[arg-type]
        active=seat.active_on(today_paris()) and not person.anonymised,
        public_name=person.name if person.public_name and not person.anonymised else None),
        subject=f"membership/{seat.id}")
    from services.participation.service.conseils import announce  # a conseil citoyen re-announces its count

    await announce(session, outbox, seat.body_id)


async def _check_represented(session: AsyncSession, organisation_id: str | None) -> None:
    if organisation_id and await session.get(Organisation, organisation_id) is None \
            and await session.get(Body, organisation_id) is None:
        raise Invalid(f"Organisation ou instance inconnue : « {organisation_id} ».", field="organisation_id")


async def add_member(session: AsyncSession, outbox: Outbox, who: Identity, body_id: str,
                     data: MembershipIn) -> Membership:
    """The secretariat gives a seat to a person (a new one, or one already known)."""
    require_secretariat(who, "gérer les membres des instances")
    await get_body(session, body_id)
    await _check_represented(session, data.organisation_id)
    if data.person_id:
        person = await get_person(session, data.person_id)
        if person.anonymised:
            raise Invalid("Cette personne a été anonymisée : elle ne peut plus siéger.", field="person_id")
    elif data.person is not None:
        person = await create_person(session, outbox, data.person, person_id=new_id())
    else:
        raise Invalid("Indiquez la personne : choisissez-la ou saisissez son nom.", field="person")
    starts_on = data.starts_on or today_paris()
    if data.ends_on and data.ends_on < starts_on:
        raise Invalid("La fin du mandat ne peut précéder son début.", field="ends_on")
    seat = Membership(id=new_id(), body_id=body_id, person_id=person.id, organisation_id=data.organisation_id,
                      seat=data.seat, starts_on=starts_on, ends_on=data.ends_on)
    session.add(seat)
    await session.flush()
    await _announce(session, outbox, seat, person)
    await session.commit()
    return seat


async def end_membership(session: AsyncSession, outbox: Outbox, who: Identity, membership_id: str,
                         data: MembershipEnd) -> Membership:
    """The secretariat ends a seat (today by default); it stays in the body's history."""
    require_secretariat(who, "gérer les membres des instances")
    seat = await get_or_404(session, Membership, membership_id, "Siège inconnu.")
    ends_on = data.ends_on or today_paris()
    if ends_on < seat.starts_on:
        raise Invalid("La fin du mandat ne peut précéder son début.", field="ends_on")
    seat.ends_on = ends_on
    session.add(seat)
    await _announce(session, outbox, seat, await get_person(session, seat.person_id))
    await session.commit()
    return seat


async def end_all_seats(session: AsyncSession, outbox: Outbox, person: Person) -> None:
    """Ends a person's current seats (on anonymisation: yesterday was their last day); not committed."""
    last_day = today_paris() - timedelta(days=1)
    for seat in (await session.exec(select(Membership).where(Membership.person_id == person.id))).all():
        if seat.ends_on is None or seat.ends_on > last_day:
            seat.ends_on = max(last_day, seat.starts_on)
            session.add(seat)
            await _announce(session, outbox, seat, person)


async def seats_of_body(session: AsyncSession, body_id: str) -> list[tuple[Membership, Person]]:
    rows = (await session.exec(select(Membership, Person).join(Person, Person.id == Membership.person_id)
                               .where(Membership.body_id == body_id))).all()
    return sorted(rows, key=lambda r: (r[1].anonymised or not r[0].active_on(today_paris()), r[0].seat, r[1].name))


async def active_members(session: AsyncSession, body_id: str,
                         day: date | None = None) -> list[tuple[Membership, Person]]:
    day = day or today_paris()
    return [(m, p) for m, p in await seats_of_body(session, body_id) if m.active_on(day) and not p.anonymised]


async def member_seats(session: AsyncSession, who: Identity) -> list[Membership]:
    """The caller's current seats, in every body."""
    people = [p.id for p in await persons_of(session, who)]
    if not people:
        return []
    seats = (await session.exec(select(Membership).where(Membership.person_id.in_(people)))).all()  # type: ignore[attr-defined]
    return [s for s in seats if s.active_on(today_paris())]


async def is_member(session: AsyncSession, who: Identity, body_id: str) -> bool:
    return any(s.body_id == body_id for s in await member_seats(session, who))


async def member_id_in(session: AsyncSession, who: Identity, body_id: str) -> str:
    """The caller's person id in a body, or NotFound-like refusal handled by callers."""
    for seat in await member_seats(session, who):
        if seat.body_id == body_id:
            return seat.person_id
    raise NotFound("Vous ne siégez pas dans cette instance.")


def seat_out(seat: Membership, person: Person, *, private: bool, insider: bool = False) -> dict:
    return {"id": seat.id, "body_id": seat.body_id, "person": person_out(person, private=private, insider=insider),
            "organisation_id": seat.organisation_id, "seat": seat.seat, "starts_on": seat.starts_on,
            "ends_on": seat.ends_on, "active": seat.active_on(today_paris()) and not person.anonymised}
