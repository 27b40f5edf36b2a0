"""Logging in (with throttling after repeated failures) and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from gateway import accounts, security
from gateway.deps import DbDep, OptionalViewer, SettingsDep, Viewer
from gateway.forms import Notice
from gateway.rendering import render

router = APIRouter()


def safe_next(value: str | None) -> str | None:
    """A local path to go back to after login (never another site, never the login page itself)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value \
            and not value.startswith("/connexion"):
        return value
    return None


def landing() -> str:
    """Where login lands: « Ce qui vous attend », whatever the role (the page shows each role its part)."""
    return "/accueil"


def _client_ip(request: Request) -> str | None:
    """The peer's address; behind a proxy listed in `trusted_proxies`, the address it forwarded
    (`X-Forwarded-For`, resolved by the proxy-headers middleware of `gateway.app`), never a header's word
    otherwise."""
    return request.client.host if request.client else None


def _login_page(request: Request, settings: SettingsDep, *, email: str = "", next_url: str | None = None,
                error: str | None = None, status_code: int = 200,
                headers: dict[str, str] | None = None) -> Response:
    token = request.cookies.get(security.LOGIN_CSRF_COOKIE) or security.new_token()
    response = render(request, "public/connexion.html", {
        "page_title": "Connexion", "nav": "connexion", "email": email, "next": next_url or "",
        "notice": Notice("error", error) if error else None, "login_token": token},
        status_code=status_code, headers=headers)
    security.set_login_csrf_cookie(response, token, settings)
    return response


@router.get("/connexion")
async def login_form(request: Request, viewer: OptionalViewer, settings: SettingsDep,
                     next: str | None = None) -> Response:
    """The login form (someone already logged in goes on to their page)."""
    if viewer is not None:
        return RedirectResponse(safe_next(next) or landing(), status_code=303)
    return _login_page(request, settings, next_url=safe_next(next))


@router.post("/connexion")
async def login(request: Request, db: DbDep, settings: SettingsDep, email: Annotated[str, Form()] = "",
                password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "") -> Response:
    """Checks the credentials, unless this e-mail or address is throttled; opens a session."""
    email = email.strip().lower()
    ip = _client_ip(request)
    next_url = safe_next(next)
    if not email or not password:
        return _login_page(request, settings, email=email, next_url=next_url, status_code=400,
                           error="Saisissez votre adresse e-mail et votre mot de passe.")
    blocked = await security.take_try(db, email=email, ip=ip, settings=settings)  # before the password check
    if blocked is not None:
        await security.record_attempt(db, email=email, ip=ip, outcome="refused")
        return _login_page(request, settings, email=email, next_url=next_url, error=blocked.message,
                           status_code=429, headers={"Retry-After": str(blocked.minutes * 60)})
    account = await accounts.authenticate(db, email=email, password=password)
    if account is None:
        await security.record_attempt(db, email=email, ip=ip, outcome="failure")
        blocked = await security.after_failure(db, email=email, ip=ip, settings=settings)
        if blocked is not None:
            return _login_page(request, settings, email=email, next_url=next_url, error=blocked.message,
                               status_code=429, headers={"Retry-After": str(blocked.minutes * 60)})
        return _login_page(request, settings, email=email, next_url=next_url, status_code=401,
                           error="Adresse e-mail ou mot de passe incorrect (ou compte désactivé).")
    await security.after_success(db, email=email, ip=ip, settings=settings)
    await security.record_attempt(db, email=email, ip=ip, outcome="success")
    await security.close_session(db, request.cookies.get(security.SESSION_COOKIE))  # a new session, never reused
    token = await security.open_session(db, account=account, settings=settings, ip=ip,
                                        user_agent=request.headers.get("user-agent"))
    response = RedirectResponse(next_url or landing(), status_code=303)
    security.set_session_cookie(response, token, settings)
    response.delete_cookie(security.LOGIN_CSRF_COOKIE, path="/connexion")
    return response


@router.post("/deconnexion")
async def logout(request: Request, db: DbDep, settings: SettingsDep, viewer: OptionalViewer) -> Response:
    """Ends the session (the CSRF guard has checked the form's token)."""
    await security.close_session(db, request.cookies.get(security.SESSION_COOKIE))
    response = RedirectResponse("/?deconnexion=1" if isinstance(viewer, Viewer) else "/", status_code=303)
    security.clear_session_cookie(response, settings)
    return response
