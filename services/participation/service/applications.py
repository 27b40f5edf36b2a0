"""The inter-associatif's « appel à participation »: associations apply without an account, confirm their contact's
address through a signed link, and the inter-associatif's coordinators (referents of its organisation) or the
secretariat accept or refuse them. An accepted application is the association's membership: the public member
list, its end, and the count of active associations (an indicator of engagement 47, recorded through events).

States: `unconfirmed` (address not confirmed: it does not count, nobody sees it) -> `pending` -> `accepted` ->
`left`, or `refused`. One association (its RNA or SIREN) has at most one live application (pending or
accepted): the database holds that rule (`live_key` is unique), so two confirmations racing cannot both pass.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Forbidden, Invalid, NotFound, TooManyRequests
from kernel.identity import Identity
from kernel.outbox import Outbox
from kernel.rows import get_or_404, guarded_update
from services.participation.aap_format import RNA, SIREN, luhn_ok
from services.participation.events import (
    ApplicationAnswered,
    ApplicationConfirmationRequested,
    ApplicationDecided,
    ApplicationSubmitted,
    AssociationMembershipChanged,
)
from services.participation.models import Base, aware, now, timestamp
from services.participation.schemas import ApplicationDecision, ApplicationIn
from services.participation.service.bodies import Body, get_body
from services.participation.service.common import clean, new_id, today_paris
from services.participation.service.measures import record_measure
from services.participation.service.people import EMAIL
from services.participation.service.registry import Qpv
from services.participation.settings import Settings

BODY_ID = "inter-associatif"
ENGAGEMENT = 47
INDICATOR = "Nombre d'associations actives dans l'inter-associatif / moyens mobilisés"
STATUS_LABELS = {"unconfirmed": "Adresse à confirmer", "pending": "En attente de décision", "accepted": "Membre",
                 "refused": "Refusée", "left": "Sortie de l'inter-associatif"}
SALT = "cdv-application-confirmation"


class Application(Base, table=True):
    __tablename__ = "association_application"
    id: str = Field(primary_key=True, max_length=32)
    body_id: str = Field(foreign_key="body.id", max_length=80, index=True)
    association_name: str = Field(max_length=200)
    rna: str | None = Field(default=None, max_length=10)
    siren: str | None = Field(default=None, max_length=9)
    qpv_id: str = Field(max_length=80)
    purpose: str
    contact_name: str = Field(max_length=200)  # personal data: the secretariat and the mails only
    contact_email: str = Field(max_length=254)
    consent: bool = False
    status: str = Field(default="unconfirmed", max_length=20, index=True)
    live_key: str | None = Field(default=None, max_length=20, unique=True)  # the RNA/SIREN while pending/accepted
    client_hash: str = Field(max_length=64, index=True)  # a keyed digest of the client address (rate limit)
    demo: bool = False
    reason: str | None = None
    decided_by: str | None = Field(default=None, max_length=200)
    version: int = 1
    created_at: datetime = Field(default_factory=now, sa_column=timestamp(index=True))
    confirmed_at: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))
    decided_at: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))
    member_since: date | None = None
    member_until: date | None = None


# --- checks ---------------------------------------------------------------------------------------------------------

def normalise_number(typed: str | None) -> str:
    """« w 442 001 234 » -> « W442001234 »; « 123 456 789 » -> « 123456789 »."""
    return re.sub(r"[\s.\-]", "", typed or "").upper()


def check_identifier(typed: str | None) -> tuple[str | None, str | None]:
    """(rna, siren) from what was typed, or a clear French refusal."""
    number = normalise_number(typed)
    if not number:
        raise Invalid("Numéro RNA ou SIREN : champ obligatoire (le numéro RNA figure sur le récépissé de "
                      "déclaration en préfecture, le SIREN sur l'avis de situation INSEE).", field="identifier")
    if number.startswith("W"):
        if not RNA.fullmatch(number):
            raise Invalid(f"Numéro RNA invalide : « {typed} ». Il commence par W suivi de 9 chiffres, par exemple "
                          "W442001234.", field="identifier")
        return number, None
    if not SIREN.fullmatch(number):
        raise Invalid(f"Numéro invalide : « {typed} ». Indiquez le numéro RNA (W suivi de 9 chiffres) ou le SIREN "
                      "(9 chiffres).", field="identifier")
    if not luhn_ok(number):
        raise Invalid(f"Numéro SIREN invalide : « {typed} » (sa clé de contrôle ne correspond pas). Vérifiez-le "
                      "sur l'avis de situation INSEE.", field="identifier")
    return None, number


def client_digest(address: str | None, secret: str) -> str:
    """The client address is kept only as a keyed digest, enough to count its applications."""
    return hashlib.sha256(f"{secret}:{address or 'inconnue'}".encode()).hexdigest()


def may_decide(who: Identity, body: Body) -> bool:
    """The secretariat, or a referent of the inter-associatif's own organisation (its coordinators)."""
    return who.is_secretariat or (who.has("referent") and bool(body.organisation_id)
                                  and who.organisation_id == body.organisation_id)


def _require_decider(who: Identity, body: Body) -> None:
    if not may_decide(who, body):
        raise Forbidden("Seuls les coordinateurs de l'inter-associatif ou le secrétariat du COPIL peuvent traiter "
                        "les candidatures.")


async def _duplicate(session: AsyncSession, key: str) -> None:
    live = (await session.exec(select(Application).where(Application.live_key == key))).first()
    if live is None:
        return
    if live.status == "accepted":
        raise Invalid(f"L'association « {live.association_name} » (n° {key}) est déjà membre de "
                      "l'inter-associatif.", field="identifier")
    raise Invalid(f"Une candidature de l'association n° {key} attend déjà une décision : inutile de la déposer "
                  "de nouveau.", field="identifier")


# --- the applicant ---------------------------------------------------------------------------------------------------

def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.identity_secret, salt=SALT)


async def submit(session: AsyncSession, outbox: Outbox, settings: Settings, data: ApplicationIn) -> Application:
    """An association applies (no account): checked, stored unconfirmed, and a signed link sent to its contact."""
    body = await get_body(session, BODY_ID)
    since = now() - timedelta(minutes=settings.application_rate_window_minutes)
    client = client_digest(data.client_address, settings.identity_secret)
    recent = (await session.exec(select(func.count()).select_from(Application).where(
        Application.client_hash == client, col(Application.created_at) >= since))).one()
    if recent >= settings.application_rate_limit:
        raise TooManyRequests("Trop de candidatures ont été envoyées depuis cette connexion. Réessayez dans une "
                              "heure ou écrivez au secrétariat du contrat de ville.")
    name = clean(data.association_name, "association_name", "Nom de l'association", required=True, max_length=200)
    rna, siren = check_identifier(data.identifier)
    qpv = await session.get(Qpv, data.qpv_id or "")
    if qpv is None:
        raise Invalid("Quartier : choisissez dans la liste le quartier prioritaire où l'association agit.",
                      field="qpv_id")
    purpose = clean(data.purpose, "purpose", "Objet de l'association", required=True, max_length=2000)
    contact = clean(data.contact_name, "contact_name", "Nom de la personne à contacter", required=True,
                    max_length=200)
    email = clean(data.contact_email, "contact_email", "Adresse e-mail", required=True, max_length=254) or ""
    if not EMAIL.match(email):
        raise Invalid(f"Adresse e-mail invalide : « {email} ».", field="contact_email")
    if not data.consent:
        raise Invalid("Cochez la case d'accord : le nom et l'objet de l'association seront publiés si elle devient "
                      "membre.", field="consent")
    await _duplicate(session, rna or siren or "")
    # Housekeeping: addresses never confirmed are not kept beyond a week.
    await session.exec(delete(Application).where(  # type: ignore[call-overload]
        col(Application.status) == "unconfirmed", col(Application.created_at) < now() - timedelta(days=7)))
    application = Application(id=new_id(), body_id=body.id, association_name=name or "", rna=rna, siren=siren,
                              qpv_id=qpv.id, purpose=purpose or "", contact_name=contact or "",
                              contact_email=email.lower(), consent=True, client_hash=client)
    session.add(application)
    token = _serializer(settings).dumps(application.id)
    expires = now() + timedelta(hours=settings.application_confirm_hours)
    link = f"{settings.public_base_url.rstrip('/')}/inter-associatif/confirmer/{token}"
    await outbox.record(session, ApplicationConfirmationRequested(
        application_id=application.id, association_name=application.association_name,
        contact_name=application.contact_name, email=application.contact_email, link=link, expires_at=expires),
        subject=f"application/{application.id}")
    await session.commit()
    return application


async def confirm(session: AsyncSession, outbox: Outbox, settings: Settings, token: str) -> Application:
    """The contact opened the link: the application counts from now on (once; a second use changes nothing)."""
    try:
        application_id = _serializer(settings).loads(token, max_age=settings.application_confirm_hours * 3600)
    except SignatureExpired as exc:
        raise Invalid("Ce lien de confirmation a expiré : déposez la candidature de nouveau.", field="token") from exc
    except BadSignature as exc:
        raise NotFound("Ce lien de confirmation n'est pas valide : vérifiez qu'il est complet.") from exc
    application = await session.get(Application, application_id)
    if application is None:
        raise NotFound("Cette candidature n'existe plus : déposez-la de nouveau.")
    if application.status != "unconfirmed":
        return application
    key = application.rna or application.siren or ""
    await _duplicate(session, key)
    application.status, application.live_key, application.confirmed_at = "pending", key, now()
    application.version += 1
    session.add(application)
    try:
        await session.flush()
    except IntegrityError as exc:  # the same association confirmed at the same moment elsewhere
        await session.rollback()
        raise Invalid(f"Une candidature de l'association n° {key} attend déjà une décision.",
                      field="identifier") from exc
    await outbox.record(session, ApplicationSubmitted(
        application_id=application.id, body_id=application.body_id, qpv_id=application.qpv_id,
        identifier_kind="rna" if application.rna else "siren", submitted_at=application.confirmed_at),
        subject=f"application/{application.id}")
    await session.commit()
    return application


# --- coordinators and secretariat ----------------------------------------------------------------------------------

async def active_count(session: AsyncSession) -> int:
    return (await session.exec(select(func.count()).select_from(Application)
                               .where(Application.status == "accepted"))).one()


async def _membership_changed(session: AsyncSession, outbox: Outbox, a: Application) -> None:
    """Announces the member list's change and records the new count as the engagement 47 indicator."""
    await session.flush()
    count = await active_count(session)
    await outbox.record(session, AssociationMembershipChanged(
        association_id=a.id, body_id=a.body_id, name=a.association_name, rna=a.rna, siren=a.siren, qpv_id=a.qpv_id,
        purpose=a.purpose, active=a.status == "accepted", member_since=a.member_since, member_until=a.member_until,
        active_count=count, demo=a.demo), subject=f"association/{a.id}")
    await record_measure(session, outbox, engagement_number=ENGAGEMENT, indicator_label=INDICATOR, value=count,
                         basis="Associations membres de l'inter-associatif à ce jour (registre des candidatures "
                               "acceptées, calculé par la plateforme).")


async def decide(session: AsyncSession, outbox: Outbox, settings: Settings, who: Identity, application_id: str,
                 data: ApplicationDecision) -> Application:
    """Accepts (the association joins the public list) or refuses (a reason is required) a pending application."""
    a = await get_or_404(session, Application, application_id, "Candidature introuvable.")
    _require_decider(who, await get_body(session, a.body_id))
    if a.status != "pending":
        raise Invalid(f"Cette candidature n'attend pas de décision (état : {STATUS_LABELS[a.status].lower()}).")
    reason = clean(data.reason, "reason", "Raison", required=not data.accepted, max_length=2000)
    at = now()
    values = {"status": "accepted" if data.accepted else "refused", "reason": reason, "decided_by": who.name,
              "decided_at": at, "version": data.version + 1,
              "member_since": today_paris() if data.accepted else None,
              "live_key": a.live_key if data.accepted else None}
    await guarded_update(session, Application, a.id, expect={"version": data.version, "status": "pending"},
                         values=values, conflict="Cette candidature a été traitée entre-temps : relisez-la.",
                         current=lambda row: {"status": row.status, "version": row.version})
    await outbox.record(session, ApplicationDecided(
        application_id=a.id, body_id=a.body_id, qpv_id=a.qpv_id, accepted=data.accepted,
        association_name=a.association_name if data.accepted else None, decided_at=at),
        subject=f"application/{a.id}")
    await outbox.record(session, ApplicationAnswered(
        application_id=a.id, association_name=a.association_name, contact_name=a.contact_name,
        email=a.contact_email, accepted=data.accepted, reason=reason,
        url=f"{settings.public_base_url.rstrip('/')}/inter-associatif"), subject=f"application/{a.id}")
    if data.accepted:
        await _membership_changed(session, outbox, a)
    await session.commit()
    return a


async def end_membership(session: AsyncSession, outbox: Outbox, who: Identity, application_id: str,
                         version: int) -> Application:
    """An association leaves the inter-associatif: off the public list, the active count goes down."""
    a = await get_or_404(session, Application, application_id, "Association introuvable.")
    _require_decider(who, await get_body(session, a.body_id))
    if a.status != "accepted":
        raise Invalid("Cette association n'est pas membre de l'inter-associatif.")
    await guarded_update(session, Application, a.id, expect={"version": version, "status": "accepted"},
                         values={"status": "left", "member_until": today_paris(), "live_key": None,
                                 "version": version + 1},
                         conflict="Cette association a changé entre-temps : relisez la liste.",
                         current=lambda row: {"status": row.status, "version": row.version})
    await _membership_changed(session, outbox, a)
    await session.commit()
    return a


async def add_demo_member(session: AsyncSession, outbox: Outbox, *, name: str, rna: str, qpv_id: str,
                          purpose: str, since: date) -> Application | None:
    """A fictional member association (marked demo), unless one with that number exists."""
    if (await session.exec(select(Application).where(Application.rna == rna))).first() is not None:
        return None
    a = Application(id=new_id(), body_id=BODY_ID, association_name=name, rna=rna, qpv_id=qpv_id, purpose=purpose,
                    contact_name="Contact de démonstration", contact_email="demo@exemple.invalid", consent=True,
                    status="accepted", live_key=rna, client_hash="demo", demo=True, decided_by="Démonstration",
                    confirmed_at=now(), decided_at=now(), member_since=since)
    session.add(a)
    await _membership_changed(session, outbox, a)
    return a


async def applications(session: AsyncSession, who: Identity, status: str | None = None) -> list[Application]:
    """Confirmed applications for the coordinators and the secretariat (pending first)."""
    _require_decider(who, await get_body(session, BODY_ID))
    query = select(Application).where(Application.status != "unconfirmed")
    if status:
        query = query.where(Application.status == status)
    order = {"pending": 0, "accepted": 1, "refused": 2, "left": 3}
    rows = list((await session.exec(query)).all())
    return sorted(rows, key=lambda a: (order.get(a.status, 9), -(aware(a.confirmed_at or a.created_at).timestamp())))


async def members(session: AsyncSession) -> list[Application]:
    """The member associations, for everyone."""
    rows = (await session.exec(select(Application).where(Application.status == "accepted")
                               .order_by(Application.association_name))).all()
    return list(rows)


def member_out(a: Application) -> dict:
    """What everyone sees of a member association (never its contact person)."""
    return {"id": a.id, "name": a.association_name, "rna": a.rna, "siren": a.siren, "qpv_id": a.qpv_id,
            "purpose": a.purpose, "member_since": a.member_since, "demo": a.demo, "version": a.version}


def application_out(a: Application) -> dict:
    """An application as its deciders see it (with the contact, to answer it)."""
    return member_out(a) | {"status": a.status, "status_label": STATUS_LABELS[a.status],
                            "contact_name": a.contact_name, "contact_email": a.contact_email, "reason": a.reason,
                            "decided_by": a.decided_by, "created_at": a.created_at, "confirmed_at": a.confirmed_at,
                            "decided_at": a.decided_at, "member_until": a.member_until}
