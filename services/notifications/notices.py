"""The notification centre: each person's notices (whatever their e-mail preferences), unread count, mark as
read, and a long-poll that answers as soon as a new notice arrives (the gateway turns it into server-sent
events). Only people with an account have a centre: notices are keyed `user:<id>`.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from sqlmodel import Field, col, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.app import RuntimeDep, SessionDep
from kernel.errors import NotFound
from kernel.identity import IdentityDep
from kernel.ids import Cursor, Id
from kernel.rows import get_or_404
from services.notifications.base import Base, now
from services.notifications.people import user_key


class Notice(Base, table=True):
    id: int | None = Field(default=None, primary_key=True)
    person_key: str = Field(max_length=90, index=True)
    idempotency_key: str = Field(max_length=300, unique=True)
    category: str = Field(max_length=30)
    kind: str = Field(max_length=30)
    title: str = Field(max_length=300)
    text: str = Field(default="", max_length=2000)
    url: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=now)
    read_at: datetime | None = None


async def add(session: AsyncSession, *, person_key: str, key: str, category: str, kind: str, title: str,
              text: str = "", url: str | None = None) -> bool:
    """Adds a notice unless one with this key exists; True if added."""
    seen = (await session.exec(select(Notice.id).where(Notice.idempotency_key == key))).first()
    if seen is not None:
        return False
    session.add(Notice(person_key=person_key, idempotency_key=key, category=category, kind=kind, title=title[:300],
                       text=text[:2000], url=url))
    return True


def _public(n: Notice) -> dict[str, Any]:
    return {"id": n.id, "category": n.category, "kind": n.kind, "title": n.title, "text": n.text, "url": n.url,
            "created_at": n.created_at, "read": n.read_at is not None}


async def unread_count(session: AsyncSession, person_key: str) -> int:
    return (await session.exec(select(func.count()).select_from(Notice).where(
        Notice.person_key == person_key, col(Notice.read_at).is_(None)))).one()


async def listing(session: AsyncSession, person_key: str, *, after: int = 0, limit: int = 50) -> dict[str, Any]:
    """The newest notices (or only those after an id, oldest first), with the unread count."""
    query = select(Notice).where(Notice.person_key == person_key)
    if after:
        query = query.where(col(Notice.id) > after).order_by(col(Notice.id))
    else:
        query = query.order_by(col(Notice.id).desc())
    items = (await session.exec(query.limit(limit))).all()
    return {"unread": await unread_count(session, person_key), "items": [_public(n) for n in items]}


router = APIRouter(prefix="/api/v1/notices", tags=["centre de notifications"])


@router.get("")
async def my_notices(session: SessionDep, who: IdentityDep, after: Cursor = 0,
                     limit: int = Query(50, ge=1, le=200)) -> dict[str, Any]:
    """The caller's notices, newest first (or those after `after`, oldest first), and how many are unread."""
    return await listing(session, user_key(who.user_id), after=after, limit=limit)


@router.get("/wait")
async def wait_for_notices(runtime: RuntimeDep, who: IdentityDep, after: Cursor = 0,
                           timeout: float = Query(20, ge=0, le=55)) -> dict[str, Any]:
    """Answers as soon as the caller has a notice newer than `after`, or after `timeout` seconds with none."""
    key = user_key(who.user_id)
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with runtime.db.session() as session:
            found = await listing(session, key, after=after)
        if found["items"] or asyncio.get_running_loop().time() >= deadline:
            return found
        await asyncio.sleep(0.5)


@router.post("/{notice_id}/read")
async def mark_read(notice_id: Id, session: SessionDep, who: IdentityDep) -> dict[str, Any]:
    """Marks one of the caller's notices as read."""
    key = user_key(who.user_id)
    notice = await get_or_404(session, Notice, notice_id, "Cette notification n'existe pas.")
    if notice.person_key != key:  # someone else's: as if it did not exist
        raise NotFound("Cette notification n'existe pas.")
    if notice.read_at is None:
        notice.read_at = now()
        session.add(notice)
        await session.commit()
    return {"notice": _public(notice), "unread": await unread_count(session, key)}


@router.post("/read-all")
async def mark_all_read(session: SessionDep, who: IdentityDep) -> dict[str, int]:
    """Marks every notice of the caller as read."""
    key = user_key(who.user_id)
    await session.exec(update(Notice).where(col(Notice.person_key) == key, col(Notice.read_at).is_(None))  # type: ignore[call-overload]
                       .values(read_at=now()))
    await session.commit()
    return {"unread": 0}
