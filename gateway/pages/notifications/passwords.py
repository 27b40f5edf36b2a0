"""Set-password links: « mot de passe oublié » and the page a link opens (invitation or reset).

Nobody learns from these pages whether an address has an account: the request always gets the same answer,
in the same time (the lookup and the e-mail happen after the answer is sent).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import Response

from gateway import accounts, passwords, security
from gateway.clients import ServiceClients
from gateway.deps import ClientsDep, OptionalViewer, SettingsDep
from gateway.rendering import render
from gateway.settings import Settings
from kernel.db import Database

router = APIRouter()
INVALID = ("Ce lien n'est pas valable : il a déjà servi, il a expiré, ou il a été mal copié. Demandez-en un "
           "nouveau ci-dessous, ou adressez-vous à l'administrateur de la plateforme.")


def _page(request: Request, settings: Settings, name: str, context: dict, *, status_code: int = 200) -> Response:
    token = security.form_token(request.cookies)
    response = render(request, f"notifications/{name}", {"form_token": token, **context}, status_code=status_code)
    security.set_form_cookie(response, token, settings)
    return response


def _form_checked(request: Request, viewer: OptionalViewer, given: str) -> bool:
    """Logged-in people's forms were checked by the CSRF guard; others carry the double-submit token."""
    return security.form_checked(request.cookies, viewer is not None, given)


@router.get("/mot-de-passe-oublie")
async def forgotten_form(request: Request, _viewer: OptionalViewer, settings: SettingsDep) -> Response:
    """Asks for the address to send a reset link to."""
    return _page(request, settings, "mot_de_passe_oublie.html", {"page_title": "Mot de passe oublié",
                                                                 "nav": "connexion"})


async def _send_reset(db: Database, clients: ServiceClients, settings: Settings, email: str, base_url: str) -> None:
    async with db.session() as session:
        account = await accounts.get_by_email(session, email)
        if account is not None and account.active and not await passwords.recently_sent(session, account):
            await passwords.send_link(session, clients, settings, account=account, purpose="reset", base_url=base_url)


@router.post("/mot-de-passe-oublie")
async def forgotten(request: Request, viewer: OptionalViewer, settings: SettingsDep, clients: ClientsDep,
                    tasks: BackgroundTasks, email: Annotated[str, Form()] = "",
                    csrf_token: Annotated[str, Form()] = "") -> Response:
    """Always the same answer; a link leaves only if an active account has this address."""
    context = {"page_title": "Mot de passe oublié", "nav": "connexion", "email": email}
    if not _form_checked(request, viewer, csrf_token):
        return _page(request, settings, "mot_de_passe_oublie.html", {
            **context, "error": "Le formulaire a expiré : recommencez."}, status_code=403)
    try:
        address = accounts.normalise_email(email)
    except accounts.AccountError as exc:
        return _page(request, settings, "mot_de_passe_oublie.html", {**context, "error": exc.message},
                     status_code=422)
    tasks.add_task(_send_reset, request.app.state.db, clients, settings, address, str(request.base_url))
    return _page(request, settings, "mot_de_passe_oublie.html", {**context, "sent": True})


def _expired(request: Request, settings: Settings) -> Response:
    return _page(request, settings, "mot_de_passe.html", {"page_title": "Lien expiré", "invalid": INVALID},
                 status_code=404)


def _link(row: Any, account: Any, token: str) -> dict[str, Any]:
    """What the set-password page shows of a valid link."""
    return {"page_title": "Choisir mon mot de passe", "purpose": row.purpose, "email": account.email,
            "expires_at": row.expires_at, "token": token}


@router.get("/mot-de-passe/{token}")
async def choose_form(request: Request, token: str, _viewer: OptionalViewer, settings: SettingsDep) -> Response:
    """The form a set-password link opens, if the link is still valid."""
    async with request.app.state.db.session() as session:
        found = await passwords.find(session, token)
    if found is None:
        return _expired(request, settings)
    return _page(request, settings, "mot_de_passe.html", _link(*found, token))


@router.post("/mot-de-passe/{token}")
async def choose(request: Request, token: str, viewer: OptionalViewer, settings: SettingsDep,
                 password: Annotated[str, Form()] = "", confirmation: Annotated[str, Form()] = "",
                 csrf_token: Annotated[str, Form()] = "") -> Response:
    """Sets the password through the link, once."""
    async with request.app.state.db.session() as session:
        found = await passwords.find(session, token)
        if found is None:
            return _expired(request, settings)
        row, account = found
        context = _link(row, account, token)
        if not _form_checked(request, viewer, csrf_token):
            return _page(request, settings, "mot_de_passe.html", {
                **context, "error": "Le formulaire a expiré : recommencez."}, status_code=403)
        if password != confirmation:
            return _page(request, settings, "mot_de_passe.html", {
                **context, "error": "Les deux saisies du mot de passe sont différentes."}, status_code=422)
        try:
            done = await passwords.use(session, token, password)
        except accounts.AccountError as exc:
            return _page(request, settings, "mot_de_passe.html", {**context, "error": exc.message}, status_code=422)
    if done is None:
        return _page(request, settings, "mot_de_passe.html", {"page_title": "Lien expiré", "invalid": INVALID},
                     status_code=404)
    response = _page(request, settings, "mot_de_passe.html", {"page_title": "Mot de passe enregistré",
                                                              "done": True, "email": done.email})
    security.clear_session_cookie(response, settings)  # every session of the account was closed
    return response
