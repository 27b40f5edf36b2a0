"""Request dependencies of the pages: database session, the logged-in viewer, roles, CSRF, service calls."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway import security
from gateway.accounts import identity_of
from gateway.clients import ServiceCalls, ServiceClients
from gateway.models import Account, WebSession
from gateway.settings import Settings
from kernel.identity import Identity


@dataclass
class Viewer:
    """The logged-in person looking at a page."""

    account: Account
    session: WebSession
    identity: Identity

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token

    @property
    def name(self) -> str:
        return self.account.name

    @property
    def organisation_id(self) -> str | None:
        return self.account.organisation_id

    @property
    def organisation_name(self) -> str | None:
        return self.account.organisation_name

    @property
    def is_admin(self) -> bool:
        return "admin" in self.account.roles

    @property
    def is_secretariat(self) -> bool:
        return "secretariat" in self.account.roles or self.is_admin

    @property
    def is_referent(self) -> bool:
        return "referent" in self.account.roles and bool(self.organisation_id)

    def may_edit_part(self, organisation_id: str) -> bool:
        """What the engagements service allows (the gateway mirrors it for display; the service decides)."""
        return self.is_secretariat or (self.is_referent and self.organisation_id == organisation_id)


# Partners' pages with a public twin: a visitor without an account is sent there, not to the login form (public
# pages, mails and shared addresses may name the partners' page; the twin offers to log in).
PUBLIC_TWINS = ((re.compile(r"/engagements/(\d+)"), "/contrat/engagements/{}"),)


class LoginRequired(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url

    @property
    def location(self) -> str:
        path = self.next_url.split("?", 1)[0]
        for pattern, twin in PUBLIC_TWINS:
            if found := pattern.fullmatch(path):
                return twin.format(*found.groups())
        return f"/connexion?next={quote(self.next_url, safe='/')}"


class AccessDenied(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


class CsrfRejected(Exception):
    pass


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_clients(request: Request) -> ServiceClients:
    return request.app.state.clients


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.db.session() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
ClientsDep = Annotated[ServiceClients, Depends(get_clients)]
DbDep = Annotated[AsyncSession, Depends(get_db)]


async def optional_viewer(request: Request, settings: SettingsDep) -> Viewer | None:
    """The logged-in viewer, or None; kept on `request.state.viewer` for the templates.

    Its own short session: the request's pages then wait on services without holding a database connection."""
    if hasattr(request.state, "viewer"):
        return request.state.viewer
    async with request.app.state.db.session() as db:
        found = await security.find_session(db, request.cookies.get(security.SESSION_COOKIE), settings,
                                            request.app.state.session_activity)
    viewer = Viewer(account=found[1], session=found[0], identity=identity_of(found[1])) if found else None
    request.state.viewer = viewer
    return viewer


OptionalViewer = Annotated[Viewer | None, Depends(optional_viewer)]


async def require_viewer(request: Request, viewer: OptionalViewer) -> Viewer:
    """The logged-in viewer; anyone else is sent to the login page, then back here."""
    if viewer is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            target = request.headers.get("HX-Current-URL") or "/"
            target = "/" + target.split("/", 3)[3] if target.startswith("http") else target
        raise LoginRequired(target)
    return viewer


CurrentViewer = Annotated[Viewer, Depends(require_viewer)]


async def require_admin(viewer: CurrentViewer) -> Viewer:
    if not viewer.is_admin:
        raise AccessDenied("Cette page est réservée aux administrateurs de la plateforme.")
    return viewer


AdminViewer = Annotated[Viewer, Depends(require_admin)]


async def csrf_guard(request: Request, viewer: OptionalViewer) -> None:
    """Every request that changes something carries the session's CSRF token (header or form field).

    Before login, the login form carries the token of its double-submit cookie. Other anonymous requests
    are turned away by `require_viewer` (every other changing route needs a viewer).
    """
    if request.method not in security.UNSAFE_METHODS:
        return
    given = request.headers.get(security.CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        given = (await request.form()).get(security.CSRF_FIELD)  # type: ignore[assignment]
    if request.url.path == "/connexion":
        expected: str | None = request.cookies.get(security.LOGIN_CSRF_COOKIE)
    elif viewer is not None:
        expected = viewer.csrf_token
    else:
        return
    if not security.same_token(expected, given if isinstance(given, str) else None):
        raise CsrfRejected()


async def get_calls(viewer: CurrentViewer, clients: ClientsDep) -> ServiceCalls:
    return clients.on_behalf_of(viewer.identity)


CallsDep = Annotated[ServiceCalls, Depends(get_calls)]
