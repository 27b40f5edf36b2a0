"""Accounts: creating them, changing them, and checking a password (argon2id, a memory-hard hash)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from typing import get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.models import Account, WebSession
from kernel.identity import Identity, Role

ROLES: tuple[str, ...] = get_args(Role)
ROLE_LABELS = {
    "referent": "Référent d'une organisation",
    "secretariat": "Secrétariat du COPIL",
    "admin": "Administrateur",
    "integrator": "Intégrateur (systèmes tiers)",
    "membre": "Membre d'une instance participative ou d'un mandat citoyen (habitant, association)",
}
MIN_PASSWORD_LENGTH = 12
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# argon2id with the library's defaults (RFC 9106 "low memory" profile: 64 MiB, 3 passes).
_hasher = PasswordHasher()
# Verified when the e-mail is unknown, so that an unknown address takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("compte-inexistant")


class AccountError(Exception):
    """A refused account change, with a French message and the form field it concerns."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise AccountError("Saisissez une adresse e-mail valide, par exemple prenom.nom@exemple.fr.", "email")
    return email


def check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères.", "password")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


def _check_roles(roles: Iterable[str], organisation_id: str | None) -> list[str]:
    wanted = [r for r in ROLES if r in set(roles)]
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise AccountError(f"Rôle inconnu : {', '.join(sorted(unknown))}.", "roles")
    if not wanted:
        raise AccountError("Choisissez au moins un rôle.", "roles")
    if "referent" in wanted and not organisation_id:
        raise AccountError("Un référent doit être rattaché à une organisation.", "organisation_id")
    return wanted


async def get_account(session: AsyncSession, account_id: str) -> Account | None:
    """Gets an account by its id."""
    return await session.get(Account, account_id)


async def get_by_email(session: AsyncSession, email: str) -> Account | None:
    """Gets an account by its e-mail (any case)."""
    return (await session.exec(select(Account).where(Account.email == email.strip().lower()))).first()


async def by_emails(session: AsyncSession, emails: list[str]) -> dict[str, Account]:
    """The accounts of these e-mails (any case), by lower-case e-mail, in one query."""
    wanted = {e.strip().lower() for e in emails}
    if not wanted:
        return {}
    return {a.email: a for a in (await session.exec(select(Account).where(col(Account.email).in_(wanted)))).all()}


async def list_accounts(session: AsyncSession) -> list[Account]:
    """Gets every account, by organisation then name."""
    return list((await session.exec(select(Account).order_by(col(Account.organisation_name), col(Account.name)))).all())


async def create_account(session: AsyncSession, *, email: str, name: str, password: str, roles: Iterable[str],
                         organisation_id: str | None = None, organisation_name: str | None = None) -> Account:
    """Creates an account; raises AccountError with the field at fault."""
    email = normalise_email(email)
    name = (name or "").strip()
    if not name:
        raise AccountError("Indiquez le nom de la personne.", "name")
    if len(name) > 200:
        raise AccountError("Le nom ne doit pas dépasser 200 caractères.", "name")
    check_password(password)
    organisation_id = (organisation_id or "").strip() or None
    roles = _check_roles(list(roles), organisation_id)
    if await get_by_email(session, email) is not None:
        raise AccountError("Un compte existe déjà avec cette adresse e-mail.", "email")
    account = Account(email=email, name=name, password_hash=await hash_password(password), roles=roles,
                      organisation_id=organisation_id,
                      organisation_name=(organisation_name or organisation_id) if organisation_id else None)
    session.add(account)
    try:
        await session.commit()
    except IntegrityError as exc:  # the same e-mail created at the same moment
        await session.rollback()
        raise AccountError("Un compte existe déjà avec cette adresse e-mail.", "email") from exc
    return account


async def set_password(session: AsyncSession, *, account: Account, password: str) -> None:
    """Replaces an account's password."""
    check_password(password)
    account.password_hash = await hash_password(password)
    session.add(account)
    await session.commit()


async def set_active(session: AsyncSession, *, account: Account, active: bool) -> None:
    """Activates or deactivates an account; deactivating closes its open sessions."""
    account.active = active
    session.add(account)
    if not active:
        await session.exec(delete(WebSession).where(col(WebSession.account_id) == account.id))  # type: ignore[call-overload]
    await session.commit()


async def authenticate(session: AsyncSession, *, email: str, password: str) -> Account | None:
    """Gets the active account these credentials open, or None (same work whether the e-mail exists or not)."""
    account = await get_by_email(session, email or "")
    stored = account.password_hash if account is not None else _DUMMY_HASH
    try:
        await asyncio.to_thread(_hasher.verify, stored, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if account is None or not account.active:
        return None
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = await hash_password(password)
        session.add(account)
        await session.commit()
    return account


async def password_matches(account: Account, password: str) -> bool:
    """Whether this password opens this account (whatever its state)."""
    try:
        return await asyncio.to_thread(_hasher.verify, account.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def identity_of(account: Account) -> Identity:
    """The identity the services see for this account (signed on each call)."""
    return Identity(user_id=account.id, email=account.email, name=account.name,
                    organisation_id=account.organisation_id, organisation_name=account.organisation_name,
                    roles=[r for r in account.roles if r in ROLES])  # type: ignore[misc]
