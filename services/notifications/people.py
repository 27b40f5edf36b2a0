"""Who can be told something: local copies built from events and from the gateway's account calls.

- members of bodies (participation's public `membership.changed`, opaque member ids) and their contact details
  (participation's INTERNAL `person.changed`: name, e-mail, optional account);
- organisations (participation's `organisation.registered`), for their names in messages;
- platform accounts (the gateway tells this service about each account it creates or changes), which give the
  referents of each organisation and the secretariat's addresses.

A recipient has an id used in delivery records (`<member id>` or `user:<account id>`, never an address) and a
person key for preferences and the notification centre (`user:<id>` when the person has an account).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.consumer import EventView
from services.notifications.base import Base, now


class Person(Base, table=True):
    """A member's contact details (internal stream): kept only for sending them what concerns them."""

    member_id: str = Field(primary_key=True, max_length=80)
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=254)
    user_id: str | None = Field(default=None, max_length=64, index=True)
    anonymised: bool = False
    updated_at: datetime = Field(default_factory=now)


class Membership(Base, table=True):
    """A seat in a body (public stream)."""

    membership_id: str = Field(primary_key=True, max_length=80)
    body_id: str = Field(max_length=80, index=True)
    member_id: str = Field(max_length=80, index=True)
    organisation_id: str | None = Field(default=None, max_length=80)
    seat: str = Field(max_length=20)
    starts_on: date
    ends_on: date | None = None
    active: bool = True


class Organisation(Base, table=True):
    organisation_id: str = Field(primary_key=True, max_length=80)
    name: str = Field(max_length=300)
    short_name: str | None = Field(default=None, max_length=80)


class Account(Base, table=True):
    """A platform account, as the gateway last described it."""

    user_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    organisation_id: str | None = Field(default=None, max_length=80, index=True)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    updated_at: datetime = Field(default_factory=now)


@dataclass(frozen=True)
class Recipient:
    """Someone to tell: `recipient_id` goes in delivery records, `person_key` keys preferences and notices."""

    recipient_id: str
    person_key: str
    name: str | None
    email: str | None
    has_account: bool


def user_key(user_id: str) -> str:
    return f"user:{user_id}"


# --- copies --------------------------------------------------------------------------------------------------------

async def upsert_person(session: AsyncSession, *, member_id: str, name: str, email: str | None,
                        user_id: str | None, anonymised: bool) -> None:
    """Keeps a member's contact details; an anonymised person keeps no address."""
    row = await session.get(Person, member_id) or Person(member_id=member_id, name=name)
    row.name, row.user_id, row.anonymised = name, user_id, anonymised
    row.email = None if anonymised else (email or None)
    row.updated_at = now()
    session.add(row)


async def upsert_membership(session: AsyncSession, *, membership_id: str, body_id: str, member_id: str,
                            organisation_id: str | None, seat: str, starts_on: date, ends_on: date | None,
                            active: bool) -> None:
    """Keeps a seat as participation last described it."""
    row = await session.get(Membership, membership_id) or Membership(
        membership_id=membership_id, body_id=body_id, member_id=member_id, seat=seat, starts_on=starts_on)
    row.body_id, row.member_id, row.organisation_id = body_id, member_id, organisation_id
    row.seat, row.starts_on, row.ends_on, row.active = seat, starts_on, ends_on, active
    session.add(row)


async def upsert_organisation(session: AsyncSession, *, organisation_id: str, name: str,
                              short_name: str | None) -> None:
    row = await session.get(Organisation, organisation_id) or Organisation(organisation_id=organisation_id, name=name)
    row.name, row.short_name = name, short_name
    session.add(row)


async def upsert_account(session: AsyncSession, *, user_id: str, name: str, email: str,
                         organisation_id: str | None, roles: list[str], active: bool) -> Account:
    """Keeps an account as the gateway describes it."""
    row = await session.get(Account, user_id) or Account(user_id=user_id, name=name, email=email)
    row.name, row.email, row.organisation_id = name, email.strip().lower(), organisation_id
    row.roles, row.active, row.updated_at = list(roles), active, now()
    session.add(row)
    return row


# --- who to tell ---------------------------------------------------------------------------------------------------

def _member(member_id: str, person: Person | None, accounts: dict[str, str]) -> Recipient:
    """`accounts`: active accounts' ids by lower-case address, to link a member whose event named no account."""
    if person is None:  # the internal stream has not told us yet: the address is looked up again at send time
        return Recipient(member_id, member_id, None, None, False)
    user_id = person.user_id or (accounts.get(person.email.strip().lower()) if person.email else None)
    key = user_key(user_id) if user_id else member_id
    return Recipient(member_id, key, person.name, person.email, bool(user_id))


async def _accounts_by_email(session: AsyncSession, persons: list[Person]) -> dict[str, str]:
    """Participation links a member to an account by e-mail when it knows no account id ("Mes instances"); so do
    we, at each use, so an account created after the member (or the other way round) links as well."""
    emails = {p.email.strip().lower() for p in persons if p.email and not p.user_id}
    if not emails:
        return {}
    rows = (await session.exec(select(Account).where(col(Account.email).in_(emails), col(Account.active).is_(True))
                               .order_by(Account.user_id))).all()
    found: dict[str, str] = {}
    for account in rows:
        found.setdefault(account.email, account.user_id)
    return found


def _account(account: Account) -> Recipient:
    return Recipient(user_key(account.user_id), user_key(account.user_id), account.name, account.email, True)


async def body_members(session: AsyncSession, body_id: str) -> list[Recipient]:
    """The people holding an active seat in a body, once each, in a stable order."""
    member_ids = (await session.exec(
        select(Membership.member_id).where(Membership.body_id == body_id, col(Membership.active).is_(True))
        .distinct().order_by(Membership.member_id)
    )).all()
    persons = {p.member_id: p for p in (await session.exec(
        select(Person).where(col(Person.member_id).in_(member_ids)))).all()} if member_ids else {}
    accounts = await _accounts_by_email(session, list(persons.values()))
    return [_member(m, persons.get(m), accounts) for m in member_ids]


async def member(session: AsyncSession, member_id: str) -> Recipient:
    person = await session.get(Person, member_id)
    return _member(member_id, person, await _accounts_by_email(session, [person] if person else []))


async def resolve(session: AsyncSession, recipient_id: str) -> Recipient:
    """The recipient as we know them now (name and address may have arrived since the delivery was queued)."""
    if recipient_id.startswith("user:"):
        account = await session.get(Account, recipient_id.removeprefix("user:"))
        if account is None or not account.active:
            return Recipient(recipient_id, recipient_id, None, None, True)
        return _account(account)
    return await member(session, recipient_id)


async def referents_of(session: AsyncSession, organisation_id: str) -> list[Recipient]:
    """Active accounts with the referent role in an organisation."""
    rows = (await session.exec(select(Account).where(Account.organisation_id == organisation_id,
                                                     col(Account.active).is_(True))
                               .order_by(Account.user_id))).all()
    return [_account(a) for a in rows if "referent" in a.roles]


async def secretariat(session: AsyncSession) -> list[Recipient]:
    """The COPIL secretariat's accounts (the administrators when there is none)."""
    rows = (await session.exec(select(Account).where(col(Account.active).is_(True))
                               .order_by(Account.user_id))).all()
    found = [_account(a) for a in rows if "secretariat" in a.roles]
    return found or [_account(a) for a in rows if "admin" in a.roles]


async def account_by_name(session: AsyncSession, *, name: str, organisation_id: str) -> Recipient | None:
    """The active account of this organisation carrying this name, if exactly one does."""
    rows = (await session.exec(select(Account).where(Account.organisation_id == organisation_id,
                                                     Account.name == name, col(Account.active).is_(True)))).all()
    return _account(rows[0]) if len(rows) == 1 else None


async def organisation_name(session: AsyncSession, organisation_id: str | None) -> str | None:
    if not organisation_id:
        return None
    row = await session.get(Organisation, organisation_id)
    return row.name if row else organisation_id


# --- what the copies read from events ------------------------------------------------------------------------------

class MembershipView(EventView):
    membership_id: str
    body_id: str
    member_id: str
    organisation_id: str | None = None
    seat: str
    starts_on: date
    ends_on: date | None = None
    active: bool


class PersonView(EventView):
    member_id: str
    name: str
    email: str | None = None
    user_id: int | str | None = None
    # The gateway account (text id); participation fills this one, `user_id` stays for older events.
    account_id: str | None = None
    anonymised: bool = False


class OrganisationView(EventView):
    organisation_id: str
    name: str
    short_name: str | None = None
