"""Each person's choice, per category of e-mail: immediately, in a daily digest, or not at all.

Agenda and account e-mails cannot be turned off. Every other e-mail carries a one-click unsubscribe link for its
category (RFC 8058): a signed token naming the person and the category, so that the link works without logging
in, for members without an account too, and cannot be forged for someone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from fastapi import APIRouter
from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import BaseModel
from sqlmodel import Field, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.app import RuntimeDep, SessionDep
from kernel.errors import Invalid
from kernel.identity import IdentityDep
from services.notifications.base import Base, now
from services.notifications.people import user_key


class Mode(StrEnum):
    IMMEDIATE = "immediat"
    DIGEST = "resume"
    OFF = "jamais"


MODE_LABELS = {Mode.IMMEDIATE: "Tout de suite", Mode.DIGEST: "Dans un résumé quotidien", Mode.OFF: "Jamais"}


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    mandatory: bool = False


CATEGORIES = {c.code: c for c in (
    Category("ordre_du_jour", "Ordres du jour, invitations, reports et annulations de réunions", mandatory=True),
    Category("compte", "Votre compte (invitation, mot de passe)", mandatory=True),
    Category("rappels", "Rappels d'échéance : ordre du jour à diffuser, campagne qui se termine, suivi des "
                        "décisions, propositions de points"),
    Category("indicateurs", "Indicateurs : valeur approuvée ou renvoyée, campagne de collecte ouverte"),
    Category("instances", "Vie des instances : points proposés, comptes rendus publiés"),
)}


# Not a category one chooses: the daily digest itself (its unsubscribe link stops every digested category).
DIGEST = Category("resume", "Résumé quotidien")


class Preference(Base, table=True):
    person_key: str = Field(primary_key=True, max_length=90)
    category: str = Field(primary_key=True, max_length=30)
    mode: str = Field(max_length=10)
    updated_at: datetime = Field(default_factory=now)


async def mode_for(session: AsyncSession, person_key: str, category: str) -> Mode:
    """How this person wants this category's e-mails (immediately unless they said otherwise)."""
    if CATEGORIES[category].mandatory:
        return Mode.IMMEDIATE
    row = await session.get(Preference, (person_key, category))
    return Mode(row.mode) if row else Mode.IMMEDIATE


async def preferences_of(session: AsyncSession, person_key: str) -> list[dict[str, object]]:
    """Every category with this person's mode, in a stable order."""
    rows = {r.category: r.mode for r in (await session.exec(
        select(Preference).where(Preference.person_key == person_key))).all()}
    return [{"category": c.code, "label": c.label, "mandatory": c.mandatory,
             "mode": Mode.IMMEDIATE.value if c.mandatory else rows.get(c.code, Mode.IMMEDIATE.value)}
            for c in CATEGORIES.values()]


async def set_modes(session: AsyncSession, person_key: str, modes: dict[str, str]) -> None:
    """Records the person's choices; refuses unknown categories, unknown modes and mandatory ones turned off."""
    for category, mode in modes.items():
        if category not in CATEGORIES:
            raise Invalid(f"Catégorie inconnue : « {category} ».", field=category)
        if mode not in {m.value for m in Mode}:
            raise Invalid(f"Choix inconnu pour « {CATEGORIES[category].label} » : « {mode} ».", field=category)
        if CATEGORIES[category].mandatory and mode != Mode.IMMEDIATE:
            raise Invalid(f"« {CATEGORIES[category].label} » ne peut pas être désactivé.", field=category)
    for category, mode in modes.items():
        if CATEGORIES[category].mandatory:
            continue
        row = await session.get(Preference, (person_key, category)) or Preference(
            person_key=person_key, category=category, mode=mode)
        row.mode, row.updated_at = mode, now()
        session.add(row)
    await session.commit()


# --- one-click unsubscribe -------------------------------------------------------------------------------------------

def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="cdv-unsubscribe")


def unsubscribe_token(secret: str, person_key: str, category: str) -> str:
    return _serializer(secret).dumps([person_key, category])


def read_token(secret: str, token: str) -> tuple[str, Category]:
    """The person and category a link stands for; raises Invalid when it was altered or makes no sense."""
    try:
        person_key, category = _serializer(secret).loads(token)
    except (BadSignature, ValueError, TypeError) as exc:
        raise Invalid("Ce lien de désinscription n'est pas valide (il a peut-être été coupé ou modifié).") from exc
    if category == DIGEST.code:
        return person_key, DIGEST
    if category not in CATEGORIES or CATEGORIES[category].mandatory:
        raise Invalid("Ce lien de désinscription n'est pas valide.")
    return person_key, CATEGORIES[category]


async def unsubscribe(session: AsyncSession, secret: str, token: str) -> Category:
    """Turns the link's category off for its person (clicking twice changes nothing); the digest's link turns
    off every category the person receives in the digest."""
    person_key, category = read_token(secret, token)
    if category is DIGEST:
        modes = {p["category"]: Mode.OFF.value for p in await preferences_of(session, person_key)
                 if p["mode"] == Mode.DIGEST.value}
    else:
        modes = {category.code: Mode.OFF.value}
    await set_modes(session, person_key, modes)
    return category


# --- routes -----------------------------------------------------------------------------------------------------------

router = APIRouter(prefix="/api/v1", tags=["préférences"])


class UnsubscribeIn(BaseModel):
    token: str = Field(min_length=1, max_length=500)


@router.get("/preferences")
async def my_preferences(session: SessionDep, who: IdentityDep) -> dict[str, Any]:
    """The caller's choice for each category, with the modes one may choose."""
    return {"categories": await preferences_of(session, user_key(who.user_id)),
            "modes": [{"mode": m.value, "label": MODE_LABELS[m]} for m in Mode]}


@router.put("/preferences")
async def put_preferences(body: dict[str, str], session: SessionDep, who: IdentityDep) -> dict[str, Any]:
    """Records the caller's choices ({category: mode}); nothing changes if one of them is refused."""
    await set_modes(session, user_key(who.user_id), body)
    return {"categories": await preferences_of(session, user_key(who.user_id))}


@router.get("/unsubscribe/{token}")
async def unsubscribe_target(token: str, runtime: RuntimeDep, _who: IdentityDep) -> dict[str, str]:
    """What a one-click link would turn off (for its confirmation page)."""
    _person, category = read_token(runtime.settings.identity_secret, token)
    return {"category": category.code, "label": category.label}


@router.post("/unsubscribe")
async def unsubscribe_now(body: UnsubscribeIn, session: SessionDep, runtime: RuntimeDep,
                          _who: IdentityDep) -> dict[str, str]:
    """Applies a one-click unsubscribe link (the token is the authorisation; the gateway relays it)."""
    category = await unsubscribe(session, runtime.settings.identity_secret, body.token)
    return {"category": category.code, "label": category.label}
