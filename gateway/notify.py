"""What the gateway tells the notifications service: its accounts (so that referents and the secretariat can be
reached) and the account e-mails to send (invitation, reset). Calls are made as the gateway itself, an
administrator identity; a notifications service that does not answer never blocks an account change."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from sqlmodel import select

from gateway.clients import ServiceClients, ServiceError, ServiceUnavailable
from gateway.models import Account
from kernel.db import Database
from kernel.identity import Identity

log = logging.getLogger(__name__)
GATEWAY = Identity(user_id="system:gateway", email="gateway@localhost", name="Passerelle", roles=["admin"])


def describe(account: Account) -> dict[str, Any]:
    return {"user_id": account.id, "name": account.name, "email": account.email,
            "organisation_id": account.organisation_id, "roles": list(account.roles), "active": account.active}


async def sync_accounts(clients: ServiceClients, accounts: list[Account]) -> bool:
    """Describes accounts to notifications; False (logged) if it could not be told."""
    try:
        calls = clients.on_behalf_of(GATEWAY)
        if len(accounts) == 1:
            await calls.put("notifications", f"/api/v1/accounts/{accounts[0].id}", describe(accounts[0]))
        else:
            await calls.put("notifications", "/api/v1/accounts", [describe(a) for a in accounts])
        return True
    except (ServiceUnavailable, ServiceError) as exc:
        log.warning("accounts not synchronised with notifications: %s", exc)
        return False


async def send_account_mail(clients: ServiceClients, *, account: Account, purpose: str, link: str, request_id: str,
                            expires_at: datetime) -> bool:
    """Asks notifications to send the invitation or reset e-mail; False (logged) if it could not be asked."""
    body = {"purpose": purpose, "request_id": request_id, "account": describe(account), "link": link,
            "organisation_name": account.organisation_name, "expires_at": expires_at.isoformat()}
    try:
        await clients.on_behalf_of(GATEWAY).post("notifications", "/api/v1/account-mails", body)
        return True
    except (ServiceUnavailable, ServiceError) as exc:
        log.warning("account e-mail (%s) not queued: %s", purpose, exc)
        return False


async def keep_in_sync(db: Database, clients: ServiceClients, *, every: float = 5.0, tries: int = 60) -> None:
    """At start-up: describes every account to notifications (one request), retrying while it does not answer yet;
    this repairs any change made while notifications was down, which `sync_accounts` only logged."""
    for _ in range(tries):
        async with db.session() as session:
            everyone = list((await session.exec(select(Account))).all())
        if not everyone or await sync_accounts(clients, everyone):
            return
        await asyncio.sleep(every)
