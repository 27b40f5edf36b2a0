"""What the gateway tells this service about accounts, and the account e-mails it asks it to send.

The gateway owns accounts and their set-password tokens (stored hashed in its own database); it describes each
account here when it is created or changed (so that referents and the secretariat can be reached), and asks for
the invitation or reset e-mail carrying the single-use link. Only administrators (or the gateway acting as
one) may call these routes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from kernel.app import RuntimeDep, SessionDep
from kernel.errors import Forbidden
from kernel.identity import Identity, IdentityDep
from services.notifications import deliveries, notices, people
from services.notifications.people import user_key

router = APIRouter(prefix="/api/v1", tags=["comptes"])


class AccountIn(BaseModel):
    user_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    organisation_id: str | None = Field(None, max_length=80)
    roles: list[str] = []
    active: bool = True


class AccountMailIn(BaseModel):
    purpose: Literal["invitation", "reset"]
    request_id: str = Field(min_length=1, max_length=64, description="Identifiant du jeton (jamais le jeton).")
    account: AccountIn
    organisation_name: str | None = None
    link: str = Field(min_length=10, max_length=1000, pattern=r"^https?://")
    expires_at: datetime


def _admin(who: Identity) -> None:
    if not who.has("admin"):
        raise Forbidden("Réservé aux administrateurs de la plateforme.")


async def _upsert(session: SessionDep, account: AccountIn) -> people.Recipient:
    await people.upsert_account(session, user_id=account.user_id, name=account.name, email=account.email,
                                organisation_id=account.organisation_id, roles=account.roles, active=account.active)
    return people.Recipient(user_key(account.user_id), user_key(account.user_id), account.name,
                            account.email.strip().lower(), True)


@router.put("/accounts/{user_id}")
async def put_account(user_id: str, body: AccountIn, session: SessionDep, who: IdentityDep) -> dict[str, str]:
    """Keeps an account as the gateway describes it (created, changed, deactivated)."""
    _admin(who)
    await _upsert(session, body.model_copy(update={"user_id": user_id}))
    await session.commit()
    return {"user_id": user_id}


@router.put("/accounts")
async def put_accounts(body: list[AccountIn], session: SessionDep, who: IdentityDep) -> dict[str, int]:
    """Keeps every account the gateway has (sent at its start, so that nothing missed stays missed)."""
    _admin(who)
    for account in body:
        await _upsert(session, account)
    await session.commit()
    return {"accounts": len(body)}


@router.post("/account-mails", status_code=status.HTTP_202_ACCEPTED)
async def send_account_mail(body: AccountMailIn, session: SessionDep, runtime: RuntimeDep,
                            who: IdentityDep) -> dict[str, str]:
    """Queues the invitation or reset e-mail with its set-password link (sent once per `request_id`)."""
    _admin(who)
    recipient = await _upsert(session, body.account)
    if body.purpose == "invitation":
        subject = "Votre compte sur la plateforme du contrat de ville"
        await notices.add(session, person_key=recipient.person_key, key=f"welcome:{body.account.user_id}",
                          category="compte", kind="account", title="Bienvenue sur la plateforme du contrat de ville",
                          text="Vos notifications arrivent ici ; choisissez aussi ce que vous recevez par courriel.")
    else:
        subject = "Choisir un nouveau mot de passe — contrat de ville"
    context = {"subject": subject, "purpose": body.purpose, "link": body.link,
               "expires_at": body.expires_at.isoformat(), "organisation_name": body.organisation_name}
    await deliveries.queue(session, key=f"account:{body.purpose}:{body.request_id}",
                           recipient_id=recipient.recipient_id, notice_kind="account", category="compte",
                           template="account", context=context, source_event_id=f"account:{body.request_id}",
                           domain=runtime.settings.mail_domain)  # type: ignore[attr-defined]
    await session.commit()
    return {"status": "queued"}
