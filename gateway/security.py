"""Sessions, CSRF tokens and login throttling.

A session is a random token in an HttpOnly, SameSite=Lax cookie (Secure outside development); the database
keeps only its SHA-256 digest, with an idle timeout and an absolute lifetime. Each session has its own CSRF
token, checked on every form and htmx request that changes something (`X-CSRF-Token` header or `csrf_token`
field). Before login there is no session: the login form uses a double-submit cookie instead.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from gateway.models import Account, LoginAttempt, WebSession, aware, now
from gateway.settings import Settings

SESSION_COOKIE = "cdv_session"
LOGIN_CSRF_COOKIE = "cdv_connexion"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_token(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


# --- sessions ------------------------------------------------------------------------------------------------

async def open_session(session: AsyncSession, *, account: Account, settings: Settings, ip: str | None,
                       user_agent: str | None) -> str:
    """Opens a session for an account that just logged in; returns the cookie token."""
    token = new_token()
    at = now()
    session.add(WebSession(id=digest(token), account_id=account.id, csrf_token=new_token(), created_at=at,
                           last_seen_at=at, expires_at=at + timedelta(hours=settings.session_max_hours),
                           ip=ip, user_agent=(user_agent or "")[:300] or None))
    account.last_login_at = at
    session.add(account)
    # Housekeeping: expired sessions of anyone go away at each login.
    await session.exec(delete(WebSession).where(col(WebSession.expires_at) < at))  # type: ignore[call-overload]
    await session.commit()
    return token


async def find_session(session: AsyncSession, token: str | None,
                       settings: Settings) -> tuple[WebSession, Account] | None:
    """Gets the live session and active account a cookie token opens, refreshing its idle timer."""
    if not token:
        return None
    row = await session.get(WebSession, digest(token))
    if row is None:
        return None
    at = now()
    idle_limit = aware(row.last_seen_at) + timedelta(minutes=settings.session_idle_minutes)
    if at >= aware(row.expires_at) or at >= idle_limit:
        await session.delete(row)
        await session.commit()
        return None
    account = await session.get(Account, row.account_id)
    if account is None or not account.active:
        return None
    if at - aware(row.last_seen_at) > timedelta(minutes=1):  # one write a minute at most
        row.last_seen_at = at
        session.add(row)
        await session.commit()
    return row, account


async def close_session(session: AsyncSession, token: str | None) -> None:
    """Ends a session (logout)."""
    if token:
        await session.exec(delete(WebSession).where(col(WebSession.id) == digest(token)))  # type: ignore[call-overload]
        await session.commit()


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=settings.session_max_hours * 3600, httponly=True,
                        samesite="lax", secure=settings.secure_cookies, path="/")


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.secure_cookies)


def set_login_csrf_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                        secure=settings.secure_cookies, path="/connexion")


# --- forms filled in without an account (double-submit token) ---------------------------------------------------

FORM_COOKIE = "cdv_formulaire"


def form_token(request_cookies: dict[str, str]) -> str:
    """The double-submit token of a page whose form is filled in before logging in (kept, or a new one)."""
    return request_cookies.get(FORM_COOKIE) or new_token()


def set_form_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(FORM_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                        secure=settings.secure_cookies, path="/")


def form_checked(request_cookies: dict[str, str], logged_in: bool, given: str) -> bool:
    """Logged-in people's forms were checked by the CSRF guard; others carry the double-submit token."""
    return logged_in or same_token(request_cookies.get(FORM_COOKIE), given)


# --- throttling ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Throttled:
    """Login refused for now; `minutes` until the next try is allowed."""

    minutes: int

    @property
    def message(self) -> str:
        plural = "s" if self.minutes > 1 else ""
        return (f"Trop de tentatives de connexion ont échoué. Par sécurité, la connexion est suspendue : "
                f"réessayez dans {self.minutes} minute{plural}. Si vous avez oublié votre mot de passe, "
                "adressez-vous à l'administrateur de la plateforme.")


async def _retry_at(session: AsyncSession, where: object, limit: int, since: datetime,
                    window: timedelta) -> datetime | None:
    """When the oldest failure that keeps the count at `limit` leaves the window, or None if under it."""
    failures = (await session.exec(
        select(LoginAttempt.at).where(where, LoginAttempt.outcome == "failure", col(LoginAttempt.at) >= since)
        .order_by(col(LoginAttempt.at).desc()).limit(limit)
    )).all()
    if len(failures) < limit:
        return None
    return aware(failures[-1]) + window


async def throttled(session: AsyncSession, *, email: str, ip: str | None, settings: Settings) -> Throttled | None:
    """Whether logins for this e-mail or from this address are suspended, and for how long."""
    window = timedelta(minutes=settings.login_window_minutes)
    at = now()
    since = at - window
    last_success = (await session.exec(
        select(func.max(LoginAttempt.at)).where(LoginAttempt.email == email, LoginAttempt.outcome == "success")
    )).first()
    email_since = max(since, aware(last_success)) if last_success else since
    candidates = [await _retry_at(session, LoginAttempt.email == email, settings.login_max_failures, email_since,
                                  window)]
    if ip:
        candidates.append(await _retry_at(session, LoginAttempt.ip == ip, settings.login_max_failures_per_ip,
                                          since, window))
    retry = max((c for c in candidates if c is not None), default=None)
    if retry is None or retry <= at:
        return None
    return Throttled(minutes=max(1, math.ceil((retry - at).total_seconds() / 60)))


async def record_attempt(session: AsyncSession, *, email: str, ip: str | None, outcome: str) -> None:
    """Keeps a login attempt (a day, long enough for any window); older ones are dropped."""
    at = now()
    session.add(LoginAttempt(email=email[:254], ip=ip, at=at, outcome=outcome))
    await session.exec(delete(LoginAttempt).where(col(LoginAttempt.at) < at - timedelta(days=1)))  # type: ignore[call-overload]
    await session.commit()
