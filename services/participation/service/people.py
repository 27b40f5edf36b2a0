"""People who sit in bodies. Only what the job needs: a name, an e-mail to receive agendas, the platform account
if they have one, and whether their name may be shown publicly. Removing a person anonymises them: their seats
stay in the body's history under "Personne anonymisée"."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Field, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Invalid
from kernel.identity import Identity
from kernel.outbox import Outbox
from kernel.rows import get_or_404
from services.participation.events import PersonChanged
from services.participation.models import Base, now, timestamp
from services.participation.schemas import PersonIn
from services.participation.service.common import clean, require_secretariat

ANONYMOUS_NAME = "Personne anonymisée"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Person(Base, table=True):
    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=254, index=True)  # lower-case
    account_id: str | None = Field(default=None, max_length=64, index=True)  # the gateway account, if any
    public_name: bool = False  # agreed that their name be shown publicly
    anonymised: bool = False
    created_at: datetime = Field(default_factory=now, sa_column=timestamp())
    updated_at: datetime = Field(default_factory=now, sa_column=timestamp())


def _email(value: str | None) -> str | None:
    email = clean(value, "email", "Adresse e-mail", max_length=254)
    if email is None:
        return None
    if not EMAIL.match(email):
        raise Invalid(f"Adresse e-mail invalide : « {email} ».", field="email")
    return email.lower()


async def _announce(session: AsyncSession, outbox: Outbox, person: Person) -> None:
    await outbox.record(session, PersonChanged(member_id=person.id, name=person.name, email=person.email,
                                               account_id=person.account_id, anonymised=person.anonymised),
                        subject=f"person/{person.id}")


async def create_person(session: AsyncSession, outbox: Outbox, data: PersonIn, *, person_id: str) -> Person:
    """A new person (not committed: the seat that needs them commits both)."""
    name = clean(data.name, "name", "Nom", required=True, max_length=200)
    email = _email(data.email)
    if email is not None:
        taken = (await session.exec(select(Person).where(Person.email == email))).first()
        if taken is not None:
            raise Invalid(f"Une personne a déjà l'adresse « {email} » ({taken.name}) : choisissez-la dans la "
                          "liste plutôt que de la créer de nouveau.", field="email", person_id=taken.id)
    person = Person(id=person_id, name=name or "", email=email, account_id=data.account_id,
                    public_name=data.public_name)
    session.add(person)
    await _announce(session, outbox, person)
    return person


async def get_person(session: AsyncSession, person_id: str) -> Person:
    return await get_or_404(session, Person, person_id, "Personne inconnue.")


async def update_person(session: AsyncSession, outbox: Outbox, who: Identity, person_id: str,
                        data: PersonIn) -> Person:
    """The secretariat corrects a person's name, address, account or public-name choice."""
    require_secretariat(who, "modifier les coordonnées d'un membre")
    person = await get_person(session, person_id)
    if person.anonymised:
        raise Invalid("Cette personne a été anonymisée : ses coordonnées ne peuvent plus être modifiées.")
    email = _email(data.email)
    if email and email != person.email:
        taken = (await session.exec(select(Person).where(Person.email == email, Person.id != person_id))).first()
        if taken is not None:
            raise Invalid(f"Une autre personne a déjà l'adresse « {email} » ({taken.name}).", field="email")
    person.name = clean(data.name, "name", "Nom", required=True, max_length=200) or person.name
    person.email, person.account_id, person.public_name = email, data.account_id, data.public_name
    person.updated_at = now()
    session.add(person)
    await _announce(session, outbox, person)
    await session.commit()
    return person


async def anonymise_person(session: AsyncSession, outbox: Outbox, who: Identity, person_id: str) -> Person:
    """Removes a person: their seats end and stay in the history, without their name or address."""
    from services.participation.service.members import end_all_seats  # seats belong to bodies

    require_secretariat(who, "retirer une personne")
    person = await get_person(session, person_id)
    if person.anonymised:
        return person
    person.name, person.email, person.account_id = ANONYMOUS_NAME, None, None
    person.public_name, person.anonymised, person.updated_at = False, True, now()
    session.add(person)
    await end_all_seats(session, outbox, person)
    await _announce(session, outbox, person)
    await session.commit()
    return person


async def persons_of(session: AsyncSession, who: Identity) -> list[Person]:
    """The person records of the caller: linked to their account, or with their address."""
    if not who.user_id:
        return []
    condition = Person.account_id == who.user_id
    if who.email:
        condition = or_(condition, Person.email == who.email.lower())
    return list((await session.exec(select(Person).where(condition, Person.anonymised == False))).all())  # noqa: E712


async def link_account(session: AsyncSession, outbox: Outbox, who: Identity) -> list[Person]:
    """Links the caller's account to the person records with their address (once), announcing the link."""
    people = await persons_of(session, who)
    linked = False
    for person in people:
        if person.account_id != who.user_id:
            person.account_id, person.updated_at = who.user_id, now()
            session.add(person)
            await _announce(session, outbox, person)
            linked = True
    if linked:
        await session.commit()
    return people


def person_out(person: Person, *, private: bool, insider: bool = False) -> dict:
    """A person as the caller may see them: addresses for the secretariat (`private`), names for insiders too,
    and for everyone when the person agreed."""
    shown = person.name if private or insider or person.public_name or person.anonymised else None
    out = {"id": person.id, "name": shown, "public_name": person.public_name, "anonymised": person.anonymised}
    if private:
        out |= {"email": person.email, "account_id": person.account_id}
    return out
