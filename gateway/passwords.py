"""Set-password links: an invitation to a new account, or a reset ("mot de passe oublié").

The link carries a random token; the database keeps only its SHA-256 digest, the account, the purpose, the
expiry and when it was used. A link works once (the use is a guarded UPDATE, so two tabs cannot both use it),
and a new link or a successful use retires the account's other open links.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway import accounts, notify
from gateway.clients import ServiceClients
from gateway.models import Account, PasswordToken, WebSession, aware, now
from gateway.security import digest, new_token
from gateway.settings import Settings

PURPOSES = ("invitation", "reset")


async def issue(session: AsyncSession, *, account: Account, purpose: str,
                lifetime: timedelta) -> tuple[str, PasswordToken]:
    """A new link for this account (its other open links stop working); returns the token and its row."""
    assert purpose in PURPOSES
    at = now()
    await session.exec(update(PasswordToken).where(col(PasswordToken.account_id) == account.id,  # type: ignore[call-overload]
                                                   col(PasswordToken.used_at).is_(None))
                       .values(expires_at=at))
    token = new_token()
    row = PasswordToken(digest=digest(token), account_id=account.id, purpose=purpose, created_at=at,
                        expires_at=at + lifetime)
    session.add(row)
    await session.commit()
    return token, row


async def find(session: AsyncSession, token: str) -> tuple[PasswordToken, Account] | None:
    """The open link and active account a token stands for, or None (unknown, used, expired)."""
    if not token or len(token) > 200:
        return None
    row = (await session.exec(select(PasswordToken).where(PasswordToken.digest == digest(token)))).first()
    if row is None or row.used_at is not None or aware(row.expires_at) <= now():
        return None
    account = await session.get(Account, row.account_id)
    if account is None or not account.active:
        return None
    return row, account


async def use(session: AsyncSession, token: str, password: str) -> Account | None:
    """Sets the password through the link, once; None if the link is not (or no longer) valid.

    Raises AccountError for a password that is too short (the link stays usable then)."""
    accounts.check_password(password)
    found = await find(session, token)
    if found is None:
        return None
    row, account = found
    used = await session.exec(update(PasswordToken).where(col(PasswordToken.id) == row.id,  # type: ignore[call-overload]
                                                          col(PasswordToken.used_at).is_(None))
                              .values(used_at=now()))
    if used.rowcount != 1:
        await session.rollback()
        return None
    account.password_hash = await accounts.hash_password(password)
    session.add(account)
    # Whoever knew the old password is logged out; the person logs in again with the new one.
    await session.exec(delete(WebSession).where(col(WebSession.account_id) == account.id))  # type: ignore[call-overload]
    await session.exec(update(PasswordToken).where(col(PasswordToken.account_id) == account.id,  # type: ignore[call-overload]
                                                   col(PasswordToken.used_at).is_(None))
                       .values(expires_at=now()))
    await session.commit()
    return account


async def recently_sent(session: AsyncSession, account: Account, *, seconds: float = 60) -> bool:
    """Whether a link went to this account in the last minute (a form hammered does not flood a mailbox)."""
    since = now() - timedelta(seconds=seconds)
    return (await session.exec(select(PasswordToken.id).where(PasswordToken.account_id == account.id,
                                                              col(PasswordToken.created_at) >= since))).first() \
        is not None


async def send_link(session: AsyncSession, clients: ServiceClients, settings: Settings, *, account: Account,
                    purpose: str, base_url: str) -> bool:
    """Issues a link and asks notifications to e-mail it; False if the e-mail could not be queued."""
    lifetime = (timedelta(hours=settings.invitation_hours) if purpose == "invitation"
                else timedelta(minutes=settings.reset_minutes))
    token, row = await issue(session, account=account, purpose=purpose, lifetime=lifetime)
    link = f"{(settings.public_url or base_url).rstrip('/')}/mot-de-passe/{token}"
    return await notify.send_account_mail(clients, account=account, purpose=purpose, link=link, request_id=row.id,
                                          expires_at=aware(row.expires_at))
