"""Routes of attendance and minutes."""

from typing import Any

from fastapi import APIRouter

from kernel.app import RuntimeDep, SessionDep
from kernel.identity import IdentityDep
from services.participation.api.deps import SettingsDep
from services.participation.schemas import AttendanceIn, MinutesIn
from services.participation.service import minutes

router = APIRouter(prefix="/api/v1", tags=["comptes rendus"])


@router.put("/meetings/{meeting_id}/attendance")
async def attendance(meeting_id: str, data: AttendanceIn, session: SessionDep, who: IdentityDep) -> dict[str, Any]:
    """The secretariat records who was present, excused, represented or absent."""
    rows = await minutes.record_attendance(session, who, meeting_id, data)
    return {"recorded": len(rows)}


@router.put("/meetings/{meeting_id}/minutes")
async def write_minutes(meeting_id: str, data: MinutesIn, session: SessionDep, runtime: RuntimeDep,
                        settings: SettingsDep, who: IdentityDep) -> dict[str, Any]:
    """The secretariat saves the minutes; `publish` publishes them (after the meeting) with the decisions."""
    meeting = await minutes.write_minutes(session, runtime.outbox, settings, who, meeting_id, data)
    return {"published": meeting.minutes_published_at is not None, "published_at": meeting.minutes_published_at}
