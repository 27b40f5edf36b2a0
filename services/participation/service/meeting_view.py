"""One meeting as its page shows it to the caller: the meeting, the lead time, the working agenda (secretariat),
the published versions and what changed, proposals, contributions, attendance, minutes, decisions and the
circulation status. Composes the aggregates; owns no table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.identity import Identity
from services.participation.labels import PRESENCE_LABELS
from services.participation.service import agenda_diff
from services.participation.service.agendas import draft_snapshot, version_out, versions_of
from services.participation.service.bodies import Body
from services.participation.service.circulation import Delivery, circulation_of
from services.participation.service.common import is_public
from services.participation.service.decisions import decision_out, decisions_of_meeting, history_of
from services.participation.service.meetings import meeting_out, visible_meeting
from services.participation.service.members import member_seats, seat_out, seats_of_body
from services.participation.service.minutes import attendance_of
from services.participation.service.people import person_out
from services.participation.service.proposals import (
    CONTRIBUTING_KINDS,
    contribution_out,
    contributions_of,
    proposal_out,
    proposals_close_on,
    proposals_for,
)
from services.participation.settings import Settings


async def _received(session: AsyncSession, meeting_id: str, person_ids: set[str]) -> int | None:
    """The latest agenda version the caller was sent (from the notifications' proof of delivery)."""
    if not person_ids:
        return None
    query = select(Delivery).where(Delivery.meeting_id == meeting_id, Delivery.status == "sent",
                                   Delivery.recipient_id.in_(person_ids))  # type: ignore[attr-defined]
    versions = [d.agenda_version for d in (await session.exec(query)).all() if d.agenda_version]
    return max(versions) if versions else None


async def meeting_view(session: AsyncSession, settings: Settings, who: Identity, meeting_id: str, *,
                       received: int | None = None, at: datetime | None = None) -> dict[str, Any]:
    meeting, body, access = await visible_meeting(session, who, meeting_id)
    view: dict[str, Any] = {"meeting": meeting_out(meeting, body, settings, at=at),
                            "access": {"secretariat": access.secretariat, "member": access.member}}
    versions = await versions_of(session, meeting.id)
    view["versions"] = [{"number": v.number, "published_at": v.published_at, "on_time": v.on_time,
                         "late_reason": v.late_reason, "changes": len(v.changes)} for v in versions]
    view["latest"] = version_out(versions[-1], access) if versions else None
    view["proposals_close_on"] = proposals_close_on(meeting, body, settings)
    seats = await member_seats(session, who)
    mine = {s.person_id for s in seats if s.body_id == body.id}
    sent = await _received(session, meeting.id, mine)
    view["received_version"] = received or sent
    view["changes_since_received"] = (agenda_diff.since([{"number": v.number, "items": v.items,
                                                          "documents": v.documents} for v in versions],
                                                        view["received_version"])
                                      if versions and view["received_version"] else [])
    if access.secretariat:
        items, documents = await draft_snapshot(session, settings, meeting.id)
        view["draft"] = {"items": items, "documents": documents,
                         "item_ids": [i["item_id"] for i in items]}
        view["pending_changes"] = (agenda_diff.diff(versions[-1].items, items,
                                                    before_documents=versions[-1].documents,
                                                    after_documents=documents) if versions else [])
        view["circulation"] = await circulation_of(session, meeting.id, body.id)
        day = meeting.local_start.date()
        view["members"] = [seat_out(m, p, private=True) for m, p in await seats_of_body(session, body.id)
                           if m.active_on(day)]
    if access.insider or who.is_secretariat:
        view["proposals"] = [proposal_out(p) for p in await proposals_for(session, who, meeting.id)]
    view["contributions"] = ([contribution_out(c) for c in await contributions_of(session, meeting.id)]
                             if not is_public(who) else [])
    seat_bodies = {s.body_id for s in seats}
    contributing = (await session.exec(select(Body).where(col(Body.id).in_(seat_bodies),
                                                          col(Body.kind).in_(CONTRIBUTING_KINDS)))).all()
    view["contributing_bodies"] = [b.id for b in contributing]
    view["contributing_names"] = {b.id: b.name for b in contributing}
    rows = await attendance_of(session, meeting.id)
    view["attendance"] = [{"person": person_out(p, private=access.insider), "status": a.status,
                           "status_label": PRESENCE_LABELS.get(a.status, a.status),
                           "represented_by": a.represented_by if access.insider else None,
                           "organisation_id": a.organisation_id} for a, p in rows]
    published = meeting.minutes_published_at is not None
    view["minutes"] = {"published": published, "published_at": meeting.minutes_published_at,
                       "published_by": meeting.minutes_published_by,
                       "text": meeting.minutes_text if published or access.secretariat else None}
    decisions = [d for d in await decisions_of_meeting(session, meeting.id)
                 if access.insider or not d.internal]
    if published or access.secretariat:
        history = await history_of(session, [d.id for d in decisions])
        view["decisions"] = [decision_out(d, meeting, body, history.get(d.id)) for d in decisions]
    else:
        view["decisions"] = []
    return view
