"""Account administration (administrators only): list, create attached to an organisation, deactivate."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from gateway import accounts, notify, passwords
from gateway.deps import AdminViewer, CallsDep, ClientsDep, DbDep, SettingsDep
from gateway.forms import Notice
from gateway.pages.lookups import organisations
from gateway.rendering import render

router = APIRouter(prefix="/admin")


def generated_password() -> str:
    """A random password nobody is shown: the invited person chooses their own through the e-mailed link."""
    return secrets.token_urlsafe(12)


async def _page(request: Request, db: DbDep, calls: CallsDep, *, form: dict[str, Any] | None = None,
                errors: dict[str, str] | None = None, notice: Notice | None = None,
                resend_account_id: str | None = None, status_code: int = 200) -> Response:
    orgs = await organisations(calls)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for org in sorted(orgs, key=lambda o: o["name"].lower()):
        by_kind.setdefault(org["kind"], []).append(org)
    return render(request, "admin/comptes.html", {
        "page_title": "Comptes", "nav": "admin", "accounts": await accounts.list_accounts(db),
        "organisations_by_kind": by_kind, "organisations_available": bool(orgs), "roles": accounts.ROLE_LABELS,
        "form": form or {"roles": ["referent"]}, "errors": errors or {}, "notice": notice,
        "resend_account_id": resend_account_id,
    }, status_code=status_code)


@router.get("/comptes")
async def accounts_page(request: Request, _admin: AdminViewer, db: DbDep, calls: CallsDep) -> Response:
    """Every account, and the form to create one."""
    notice = None
    done = request.query_params.get("maj")
    if done in ("desactive", "reactive"):
        account = await accounts.get_account(db, request.query_params.get("compte", ""))
        if account is not None:
            verb = "désactivé : ses sessions sont fermées" if done == "desactive" else "réactivé"
            notice = Notice("success", f"Le compte de {account.name} est {verb}.")
    return await _page(request, db, calls, notice=notice)


@router.post("/comptes")
async def create(request: Request, _admin: AdminViewer, db: DbDep, calls: CallsDep, clients: ClientsDep,
                 settings: SettingsDep,
                 email: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "",
                 organisation_id: Annotated[str, Form()] = "", roles: Annotated[list[str] | None, Form()] = None,
                 password: Annotated[str, Form()] = "") -> Response:
    """Creates an account attached to an organisation; without a password, the person is sent an invitation
    e-mail with a single-use link to choose one."""
    form = {"email": email, "name": name, "organisation_id": organisation_id, "roles": roles or []}
    organisation_name = None
    if organisation_id:
        known = {o["id"]: o["name"] for o in await organisations(calls)}
        if organisation_id not in known:
            return await _page(request, db, calls, form=form, status_code=422,
                               errors={"organisation_id": "Choisissez une organisation dans la liste."})
        organisation_name = known[organisation_id]
    initial = password or generated_password()
    try:
        account = await accounts.create_account(db, email=email, name=name, password=initial, roles=roles or [],
                                                organisation_id=organisation_id or None,
                                                organisation_name=organisation_name)
    except accounts.AccountError as exc:
        return await _page(request, db, calls, form=form, errors={exc.field or "_form": exc.message},
                           status_code=422)
    await notify.sync_accounts(clients, [account])
    if password:
        return await _page(request, db, calls, status_code=201,
                           notice=Notice("success", f"Compte créé pour {account.name} ({account.email})."))
    sent = await passwords.send_link(db, clients, settings, account=account, purpose="invitation",
                                     base_url=str(request.base_url))
    return await _page(request, db, calls, status_code=201, notice=_invitation_notice(account, sent, settings),
                       resend_account_id=None if sent else account.id)


def _invitation_notice(account: accounts.Account, sent: bool, settings: SettingsDep) -> Notice:
    if sent:
        return Notice("success", f"Compte créé pour {account.name} : une invitation à choisir son mot de passe est "
                                 f"envoyée à {account.email} (lien valable {settings.invitation_hours} h, "
                                 "utilisable une fois).")
    return Notice("error", f"Compte créé pour {account.name}, mais l'invitation n'a pas pu partir : le service de "
                           "notifications ne répond pas. Renvoyez-la plus tard.")


@router.post("/comptes/{account_id}/inviter")
async def invite(request: Request, account_id: str, _admin: AdminViewer, db: DbDep, calls: CallsDep,
                 clients: ClientsDep, settings: SettingsDep) -> Response:
    """Sends a new invitation (the previous link stops working)."""
    account = await accounts.get_account(db, account_id)
    if account is None or not account.active:
        return RedirectResponse("/admin/comptes", status_code=303)
    sent = await passwords.send_link(db, clients, settings, account=account, purpose="invitation",
                                     base_url=str(request.base_url))
    return await _page(request, db, calls, notice=_invitation_notice(account, sent, settings),
                       resend_account_id=None if sent else account.id)


@router.post("/comptes/{account_id}/desactiver")
async def deactivate(account_id: str, admin: AdminViewer, db: DbDep, clients: ClientsDep) -> Response:
    """Deactivates an account (and closes its sessions); one cannot deactivate oneself."""
    account = await accounts.get_account(db, account_id)
    if account is None or account.id == admin.account.id:
        return RedirectResponse("/admin/comptes", status_code=303)
    await accounts.set_active(db, account=account, active=False)
    await notify.sync_accounts(clients, [account])
    return RedirectResponse(f"/admin/comptes?maj=desactive&compte={account.id}", status_code=303)


@router.post("/comptes/{account_id}/reactiver")
async def reactivate(account_id: str, _admin: AdminViewer, db: DbDep, clients: ClientsDep) -> Response:
    """Reactivates an account."""
    account = await accounts.get_account(db, account_id)
    if account is not None:
        await accounts.set_active(db, account=account, active=True)
        await notify.sync_accounts(clients, [account])
    return RedirectResponse(f"/admin/comptes?maj=reactive&compte={account_id}", status_code=303)
