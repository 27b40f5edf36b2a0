"""Delivery records: one row per e-mail to one recipient, from queued to sent (with the SMTP answer) or failed
(with its reason), retried with backoff in between. The rows are the queue, so nothing is lost on a restart.

Never the same notice twice: each row has an idempotency key (the cause and the recipient), checked in the
transaction that records the row. States:

    queued ──claim──▶ sending ──(whole message written)──▶ handed_over ──250──▶ sent
       ▲                 │                                      │
       └──── retry ──────┴──── refused / unreachable ───────────┘──(no attempts left)──▶ failed

A `sending` row whose lease ran out was never handed over (its process died): it is queued again. A
`handed_over` row whose lease ran out was handed to the server before its process died: it counts as sent.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import JSON, Column, func
from sqlmodel import Field, col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.app import SessionDep
from kernel.db import Database
from kernel.errors import Forbidden
from kernel.identity import IdentityDep
from kernel.outbox import Outbox
from services.notifications.base import Base, now
from services.notifications.events import DeliveryFailed, DeliverySent


class State(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    HANDED_OVER = "handed_over"
    SENT = "sent"
    FAILED = "failed"


class Delivery(Base, table=True):
    id: str = Field(default_factory=lambda: uuid.uuid4().hex, primary_key=True, max_length=32)
    idempotency_key: str = Field(max_length=300, unique=True)
    recipient_id: str = Field(max_length=90, index=True)
    notice_kind: str = Field(max_length=30)
    category: str = Field(max_length=30)
    template: str = Field(max_length=40)
    # What the message says, rendered at send time with the recipient's name and address as known then.
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    source_event_id: str = Field(max_length=200)  # an event id, or a reminder's or digest's key
    meeting_id: str | None = Field(default=None, max_length=80, index=True)
    agenda_version: int | None = None
    message_id: str = Field(max_length=200)
    state: str = Field(default=State.QUEUED, max_length=20, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=now, index=True)
    lease_until: datetime | None = None
    address: str | None = Field(default=None, max_length=254)
    smtp_response: str | None = Field(default=None, max_length=500)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=now)
    updated_at: datetime = Field(default_factory=now)
    sent_at: datetime | None = None


def message_id(domain: str) -> str:
    return f"<{uuid.uuid4().hex}@{domain}>"


async def queue(session: AsyncSession, *, key: str, recipient_id: str, notice_kind: str, category: str,
                template: str, context: dict[str, Any], source_event_id: str, domain: str,
                meeting_id: str | None = None, agenda_version: int | None = None) -> bool:
    """Records a delivery unless one with this key exists (then nothing happens); True if recorded."""
    seen = (await session.exec(select(Delivery.id).where(Delivery.idempotency_key == key))).first()
    if seen is not None:
        return False
    session.add(Delivery(idempotency_key=key, recipient_id=recipient_id, notice_kind=notice_kind, category=category,
                         template=template, context=context, source_event_id=source_event_id,
                         meeting_id=meeting_id, agenda_version=agenda_version, message_id=message_id(domain)))
    return True


# --- the worker's steps, each its own transaction --------------------------------------------------------------------

async def claim_next(db: Database, *, lease_seconds: float) -> Delivery | None:
    """Takes the oldest due delivery (rows locked by another instance are skipped)."""
    at = now()
    async with db.session() as session:
        row = (await session.exec(
            select(Delivery).where(Delivery.state == State.QUEUED, col(Delivery.next_attempt_at) <= at)
            .order_by(col(Delivery.next_attempt_at), col(Delivery.created_at), col(Delivery.id)).limit(1)
            .with_for_update(skip_locked=True)
        )).first()
        if row is None:
            return None
        row.state, row.lease_until, row.updated_at = State.SENDING, at + timedelta(seconds=lease_seconds), at
        session.add(row)
        await session.commit()
        return row


async def mark_handed_over(db: Database, delivery_id: str, address: str) -> None:
    async with db.session() as session:
        await session.exec(update(Delivery).where(col(Delivery.id) == delivery_id)  # type: ignore[call-overload]
                           .values(state=State.HANDED_OVER, address=address, updated_at=now()))
        await session.commit()


def _event_fields(row: Delivery) -> dict[str, Any]:
    return {"delivery_id": row.id, "notice_kind": row.notice_kind, "recipient_id": row.recipient_id,
            "source_event_id": row.source_event_id, "meeting_id": row.meeting_id,
            "agenda_version": row.agenda_version, "attempts": max(row.attempts, 1)}


def _subject(row: Delivery) -> str:
    return f"meeting/{row.meeting_id}" if row.meeting_id else f"delivery/{row.id}"


def _forget_secrets(row: Delivery) -> None:
    """A set-password link is of no use once its e-mail left: it is not kept."""
    if "link" in row.context and row.category == "compte":
        row.context = {**row.context, "link": None}


async def mark_sent(db: Database, outbox: Outbox, delivery_id: str, *, response: str, address: str | None) -> None:
    """Sent: the row and its `delivery.sent` event commit together."""
    async with db.session() as session:
        row = await session.get(Delivery, delivery_id)
        if row is None:
            return
        at = now()
        row.state, row.smtp_response, row.sent_at, row.updated_at = State.SENT, response[:500], at, at
        row.address = address or row.address
        row.lease_until = None
        _forget_secrets(row)
        session.add(row)
        await outbox.record(session, DeliverySent(**_event_fields(row), at=at, smtp_response=response[:500]),
                            subject=_subject(row))
        await session.commit()


async def mark_attempt_failed(db: Database, outbox: Outbox, delivery_id: str, *, reason: str, max_attempts: int,
                              backoff_seconds: float, backoff_max_seconds: float, retry: bool = True) -> bool:
    """One more failed attempt: retried later with exponential backoff, or failed for good (with its event)
    once the attempts are used up or when retrying makes no sense. True when it failed for good."""
    async with db.session() as session:
        row = await session.get(Delivery, delivery_id)
        if row is None:
            return False
        at = now()
        row.attempts += 1
        row.last_error, row.updated_at, row.lease_until = reason[:500], at, None
        final = not retry or row.attempts >= max_attempts
        if final:
            row.state = State.FAILED
            _forget_secrets(row)
            await outbox.record(session, DeliveryFailed(**_event_fields(row), at=at, reason=reason[:500]),
                                subject=_subject(row))
        else:
            row.state = State.QUEUED
            delay = min(backoff_seconds * 2 ** (row.attempts - 1), backoff_max_seconds)
            row.next_attempt_at = at + timedelta(seconds=delay)
        session.add(row)
        await session.commit()
        return final


async def postpone(db: Database, delivery_id: str, seconds: float) -> None:
    """Tried too early (the address is not known yet): back in the queue, without counting an attempt."""
    async with db.session() as session:
        at = now()
        await session.exec(update(Delivery).where(col(Delivery.id) == delivery_id)  # type: ignore[call-overload]
                           .values(state=State.QUEUED, lease_until=None, updated_at=at,
                                   next_attempt_at=at + timedelta(seconds=seconds)))
        await session.commit()


async def recover(db: Database, outbox: Outbox) -> int:
    """Settles the rows whose process died mid-way (see the module's docstring); returns how many."""
    at = now()
    async with db.session() as session:
        stale = list((await session.exec(
            select(Delivery).where(col(Delivery.state).in_([State.SENDING, State.HANDED_OVER]),
                                   col(Delivery.lease_until) < at).with_for_update(skip_locked=True)
        )).all())
        for row in stale:
            if row.state == State.SENDING:
                row.state, row.lease_until, row.updated_at = State.QUEUED, None, at
            else:
                row.attempts += 1
                response = "présumé remis : le service s'est arrêté après avoir remis le message au serveur"
                row.state, row.smtp_response, row.sent_at, row.updated_at = State.SENT, response, at, at
                row.lease_until = None
                _forget_secrets(row)
                await outbox.record(session, DeliverySent(**_event_fields(row), at=at, smtp_response=response),
                                    subject=_subject(row))
            session.add(row)
        await session.commit()
        return len(stale)


# --- what the secretariat sees --------------------------------------------------------------------------------------

async def meeting_summary(session: AsyncSession, meeting_id: str) -> list[dict[str, Any]]:
    """Per circulation of a meeting (agenda v1, v2, move, cancellation): counts, times and the failures' reasons."""
    rows = (await session.exec(
        select(Delivery.notice_kind, Delivery.agenda_version, Delivery.state, func.count(),
               func.min(Delivery.sent_at), func.max(Delivery.sent_at), func.min(Delivery.created_at))
        .where(Delivery.meeting_id == meeting_id)
        .group_by(Delivery.notice_kind, Delivery.agenda_version, Delivery.state)
    )).all()
    groups: dict[tuple[str, int | None], dict[str, Any]] = {}
    for kind, version, state, count, first_sent, last_sent, queued_at in rows:
        g = groups.setdefault((kind, version), {"notice_kind": kind, "agenda_version": version, "sent": 0,
                                                "failed": 0, "pending": 0, "first_sent_at": None,
                                                "last_sent_at": None, "queued_at": queued_at, "failures": []})
        g["queued_at"] = min(g["queued_at"], queued_at)
        if state == State.SENT:
            g["sent"] += count
            g["first_sent_at"], g["last_sent_at"] = first_sent, last_sent
        elif state == State.FAILED:
            g["failed"] += count
        else:
            g["pending"] += count
    failures = (await session.exec(
        select(Delivery).where(Delivery.meeting_id == meeting_id, Delivery.state == State.FAILED)
        .order_by(col(Delivery.updated_at)))).all()
    for row in failures:
        groups[(row.notice_kind, row.agenda_version)]["failures"].append(
            {"recipient_id": row.recipient_id, "reason": row.last_error, "attempts": row.attempts,
             "at": row.updated_at})
    return sorted(groups.values(), key=lambda g: g["queued_at"])


router = APIRouter(prefix="/api/v1", tags=["diffusion"])


@router.get("/meetings/{meeting_id}/deliveries")
async def meeting_deliveries(meeting_id: str, session: SessionDep, who: IdentityDep) -> list[dict[str, Any]]:
    """What was sent for a meeting, per circulation (secretariat only): sent, failed with reasons, pending."""
    if not who.is_secretariat:
        raise Forbidden("Le suivi des envois est réservé au secrétariat.")
    return await meeting_summary(session, meeting_id)


@router.get("/deliveries")
async def list_deliveries(session: SessionDep, who: IdentityDep, recipient_id: str | None = None,
                          state: str | None = None,
                          limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    """The latest delivery records (secretariat only), newest first; never the message itself."""
    if not who.is_secretariat:
        raise Forbidden("Le suivi des envois est réservé au secrétariat.")
    query = select(Delivery).order_by(col(Delivery.created_at).desc()).limit(min(limit, 1000))
    if recipient_id:
        query = query.where(Delivery.recipient_id == recipient_id)
    if state:
        query = query.where(Delivery.state == state)
    return [{"id": r.id, "recipient_id": r.recipient_id, "notice_kind": r.notice_kind, "category": r.category,
             "subject": r.context.get("subject"), "meeting_id": r.meeting_id, "agenda_version": r.agenda_version,
             "state": r.state, "attempts": r.attempts, "smtp_response": r.smtp_response, "reason": r.last_error,
             "created_at": r.created_at, "sent_at": r.sent_at, "next_attempt_at": r.next_attempt_at}
            for r in (await session.exec(query)).all()]
