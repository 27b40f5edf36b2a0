"""The public view of the engagements (no account): what residents may read, nothing else.

Built from the same rows as the partners' view, keeping only: title, theme and objectives, actions, indicator
labels, the QPV concerned, and for each active pilot its organisation, status, progress and the date of its last
update. Left out on purpose: the pilots' comments and action notes (their own working text), the name of who
updated, the history, the extraction notes of the contract file and uncertain-attribution notes.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from services.engagements import service
from services.engagements.schemas import EngagementWithParts, PublicEngagement, PublicPart


def _public(e: EngagementWithParts) -> PublicEngagement:
    parts = [PublicPart(organisation_id=p.organisation_id, organisation_name=p.organisation_name, status=p.status,
                        status_label=p.status_label, progress=p.progress, qpv=p.qpv, updated_at=p.updated_at)
             for p in e.parts if p.active]
    return PublicEngagement(
        number=e.number, title=e.title, axis_number=e.axis_number, axis_title=e.axis_title, theme_id=e.theme_id,
        theme_title=e.theme_title, status=e.status, status_label=e.status_label, progress=e.progress, qpv=e.qpv,
        last_update=e.last_update, objectives=e.objectives, actions=e.actions,
        indicators=[str(i.get("label", "")) for i in e.indicators if i.get("label")], pilots=parts)


async def public_engagements(session: AsyncSession) -> list[PublicEngagement]:
    """Gets every engagement of the current contract as the public sees it, in contract order."""
    return [_public(e) for e in await service.list_with_parts(session, pilot=None)]


async def public_engagement(session: AsyncSession, number: int) -> PublicEngagement:
    """Gets one engagement as the public sees it (404 in French when the number is unknown)."""
    await service.engagement_exists(session, number)
    return next(e for e in await public_engagements(session) if e.number == number)
