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

from sqlalchemy import bindparam, case, delete, or_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from gateway.models import Account, LoginAttempt, LoginThrottle, WebSession, aware, now
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


class SessionActivity:
    """When each web session was last used, written behind the requests: a page does not wait for (nor, on
    SQLite, queue behind) a write that only moves an idle timer. `flush` writes them all in one statement; the
    app calls it every `FLUSH_SECONDS` and at shutdown. The idle limit (hours) does not mind those seconds."""

    FLUSH_SECONDS = 5.0

    def __init__(self) -> None:
        self._seen: dict[str, datetime] = {}

    def touch(self, session_id: str, at: datetime) -> None:
        self._seen[session_id] = at

    async def flush(self, session: AsyncSession) -> int:
        """Writes what was touched since the last flush (kept for the next one if the write fails)."""
        seen = dict(self._seen)
        if not seen:
            return 0
        latest = case(seen, value=WebSession.id)  # type: ignore[arg-type]
        await session.exec(update(WebSession).where(col(WebSession.id).in_(list(seen)))  # type: ignore[call-overload]
                           .values(last_seen_at=latest))
        await session.commit()
        for session_id, at in seen.items():
            if self._seen.get(session_id) == at:  # not touched again meanwhile
                del self._seen[session_id]
        return len(seen)


# Every request asks: built once (see `kernel.db`).
_SESSION_AND_ACCOUNT = select(WebSession, Account).outerjoin(  # type: ignore[call-overload]
    Account, col(Account.id) == col(WebSession.account_id)).where(col(WebSession.id) == bindparam("session_id"))


async def find_session(session: AsyncSession, token: str | None, settings: Settings,
                       activity: SessionActivity) -> tuple[WebSession, Account] | None:
    """Gets the live session and active account a cookie token opens, refreshing its idle timer (through
    `activity`: written behind the request)."""
    if not token:
        return None
    # The session and its account in one query (every page asks).
    found = (await session.exec(_SESSION_AND_ACCOUNT,  # type: ignore[call-overload]
                                params={"session_id": digest(token)})).first()
    if found is None:
        return None
    row, account = found
    at = now()
    idle_limit = aware(row.last_seen_at) + timedelta(minutes=settings.session_idle_minutes)
    if at >= aware(row.expires_at) or at >= idle_limit:
        await session.delete(row)
        await session.commit()
        return None
    if account is None or not account.active:
        return None
    if at - aware(row.last_seen_at) > timedelta(minutes=1):  # one write a minute at most
        activity.touch(row.id, at)
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


async def _take(session: AsyncSession, key: str, limit: int, window: timedelta) -> datetime | None:
    """Takes one of the `limit` tries of `key` in its window: None when taken, else when its window ends.

    The try is taken by one conditional statement before the password is checked (an upsert whose update only
    happens while tries are left, or once the window has passed), so that parallel attempts are counted one by
    one by the database, never all admitted between a check and the recording of its result."""
    at = now()
    table = LoginThrottle.__table__  # type: ignore[attr-defined]
    passed = table.c.window_start <= at - window
    insert = sqlite_insert if session.bind.dialect.name == "sqlite" else postgresql_insert
    statement = insert(table).values(key=key, window_start=at, used=1).on_conflict_do_update(
        index_elements=["key"],
        set_={"used": case((passed, 1), else_=table.c.used + 1),
              "window_start": case((passed, at), else_=table.c.window_start)},
        where=or_(passed, table.c.used < limit)).returning(table.c.used)  # a row back: the try was taken
    await _end_reads(session)
    taken = (await session.exec(statement)).first()  # type: ignore[call-overload]
    await session.commit()
    if taken is not None:
        return None
    return await _window_end(session, key, window)


async def _end_reads(session: AsyncSession) -> None:
    """Ends the transaction earlier reads began, so that the next write starts its own: SQLite cannot turn a
    read snapshot into a write once another connection has written (an immediate "database is locked", without
    waiting), which parallel logins would otherwise meet."""
    await session.commit()


async def _window_end(session: AsyncSession, key: str, window: timedelta) -> datetime:
    row = await session.get(LoginThrottle, key)
    assert row is not None
    await session.refresh(row)
    return aware(row.window_start) + window


def _keys(email: str, ip: str | None, settings: Settings) -> list[tuple[str, int]]:
    keys = [(f"email:{email[:254]}", settings.login_max_failures)]
    if ip:
        keys.append((f"ip:{ip[:64]}", settings.login_max_failures_per_ip))
    return keys


def _throttled(retry: datetime) -> Throttled:
    return Throttled(minutes=max(1, math.ceil((retry - now()).total_seconds() / 60)))


async def take_try(session: AsyncSession, *, email: str, ip: str | None, settings: Settings) -> Throttled | None:
    """Takes a try for this e-mail and this address before the password is checked; Throttled when either has
    none left (then nothing is taken)."""
    window = timedelta(minutes=settings.login_window_minutes)
    taken: list[str] = []
    for key, limit in _keys(email, ip, settings):
        retry = await _take(session, key, limit, window)
        if retry is not None:
            await _give_back(session, taken)
            return _throttled(retry)
        taken.append(key)
    return None


async def _give_back(session: AsyncSession, keys: list[str]) -> None:
    table = LoginThrottle.__table__  # type: ignore[attr-defined]
    await _end_reads(session)
    for key in keys:
        await session.exec(table.update().where(table.c.key == key, table.c.used > 0)  # type: ignore[call-overload]
                           .values(used=table.c.used - 1))
    await session.commit()


async def after_failure(session: AsyncSession, *, email: str, ip: str | None,
                        settings: Settings) -> Throttled | None:
    """Whether the failure just counted used the last try of the e-mail or the address (the tries stay taken)."""
    window = timedelta(minutes=settings.login_window_minutes)
    for key, limit in _keys(email, ip, settings):
        row = await session.get(LoginThrottle, key)
        if row is not None:
            await session.refresh(row)
            if row.used >= limit:
                return _throttled(await _window_end(session, key, window))
    return None


async def after_success(session: AsyncSession, *, email: str, ip: str | None, settings: Settings) -> None:
    """A login succeeded: the e-mail's failures are forgiven, and the address gets its try back."""
    table = LoginThrottle.__table__  # type: ignore[attr-defined]
    keys = _keys(email, ip, settings)
    await _end_reads(session)
    await session.exec(table.update().where(table.c.key == keys[0][0]).values(used=0))  # type: ignore[call-overload]
    await _give_back(session, [key for key, _ in keys[1:]])


async def record_attempt(session: AsyncSession, *, email: str, ip: str | None, outcome: str) -> None:
    """Keeps a login attempt in the log (a day); older ones are dropped. (The throttle counts in
    `LoginThrottle`, taken before the password is checked.)"""
    await _end_reads(session)
    at = now()
    session.add(LoginAttempt(email=email[:254], ip=ip, at=at, outcome=outcome))
    if outcome == "success":  # housekeeping now and then, not in the path of a burst of failures
        await session.exec(delete(LoginAttempt).where(col(LoginAttempt.at) < at - timedelta(days=1)))  # type: ignore[call-overload]
        await session.exec(delete(LoginThrottle).where(col(LoginThrottle.window_start) < at - timedelta(days=1)))  # type: ignore[call-overload]
    await session.commit()
