"""Proof of delivery: what the notifications service reports it sent (or failed to send) for each meeting, kept
per recipient so the secretariat sees "ordre du jour v2 envoyé à 23 membres ; 1 échec (adresse refusée)"."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.participation.models import Base, aware, timestamp
from services.participation.service.common import as_utc
from services.participation.service.members import seats_of_body

KIND_LABELS = {"agenda": "ordre du jour", "agenda_revision": "ordre du jour révisé",
               "meeting_moved": "déplacement de la réunion", "meeting_cancelled": "annulation de la réunion",
               "reminder": "rappel", "notice": "avis"}


class Delivery(Base, table=True):
    delivery_id: str = Field(primary_key=True, max_length=64)
    meeting_id: str = Field(max_length=32, index=True)
    agenda_version: int | None = None
    notice_kind: str = Field(max_length=30)
    recipient_id: str = Field(max_length=80)
    status: str = Field(max_length=10)  # sent | failed
    detail: str
    attempts: int = 1
    at: datetime = Field(sa_column=timestamp())


async def record_delivery(session: AsyncSession, *, delivery_id: str, meeting_id: str, agenda_version: int | None,
                          notice_kind: str, recipient_id: str, status: str, detail: str, attempts: int,
                          at: datetime) -> None:
    """Keeps the latest word on each delivery (a failure then a success ends as sent)."""
    at = as_utc(at)
    row = await session.get(Delivery, delivery_id)
    if row is not None and aware(row.at) > at:
        return
    row = row or Delivery(delivery_id=delivery_id, meeting_id=meeting_id, notice_kind=notice_kind,
                          recipient_id=recipient_id, status=status, detail=detail, at=at)
    row.agenda_version, row.status, row.detail, row.attempts, row.at = agenda_version, status, detail, attempts, at
    session.add(row)


async def circulation_of(session: AsyncSession, meeting_id: str, body_id: str) -> dict:
    """Per notice (kind and version): how many were sent, failed, when; and each member's latest status."""
    rows = list((await session.exec(select(Delivery).where(Delivery.meeting_id == meeting_id)
                                    .order_by(Delivery.at))).all())
    names = {m.person_id: p.name for m, p in await seats_of_body(session, body_id)}
    groups: dict[tuple[str, int | None], dict] = {}
    for r in rows:
        key = (r.notice_kind, r.agenda_version)
        label = KIND_LABELS.get(r.notice_kind, r.notice_kind)
        g = groups.setdefault(key, {"notice_kind": r.notice_kind, "label": label,
                                    "agenda_version": r.agenda_version, "sent": 0, "failed": 0, "first_at": None,
                                    "last_at": None, "recipients": []})
        g["sent" if r.status == "sent" else "failed"] += 1
        at = aware(r.at)
        g["first_at"] = min(g["first_at"] or at, at)
        g["last_at"] = max(g["last_at"] or at, at)
        g["recipients"].append({"recipient_id": r.recipient_id, "name": names.get(r.recipient_id, r.recipient_id),
                                "status": r.status, "detail": r.detail, "attempts": r.attempts, "at": at})
    notices = sorted(groups.values(), key=lambda g: g["last_at"], reverse=True)
    for g in notices:
        g["recipients"].sort(key=lambda x: (x["status"] == "sent", x["name"]))
    return {"notices": notices}
