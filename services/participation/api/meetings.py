"""Routes of meetings: scheduling, the calendar, a meeting's page, moving, cancelling, the proposals' cut-off."""

from datetime import date
from typing import Any

from fastapi import APIRouter

from kernel.app import RuntimeDep, SessionDep
from kernel.errors import NotFound
from kernel.identity import IdentityDep
from kernel.ids import Cursor, Id
from services.participation.api.deps import SettingsDep
from services.participation.schemas import CutOffIn, MeetingCancel, MeetingIn, MeetingMove
from services.participation.service import agenda_diff, meetings
from services.participation.service.agendas import version_out, versions_of
from services.participation.service.bodies import get_body
from services.participation.service.meeting_view import meeting_view

router = APIRouter(prefix="/api/v1", tags=["réunions"])


@router.post("/meetings", status_code=201)
async def schedule(data: MeetingIn, session: SessionDep, runtime: RuntimeDep, settings: SettingsDep,
                   who: IdentityDep) -> dict[str, Any]:
    """The secretariat schedules a meeting (`starts_at` in Paris wall-clock time)."""
    meeting = await meetings.schedule_meeting(session, runtime.outbox, settings, who, data)
    return meetings.meeting_out(meeting, await get_body(session, meeting.body_id), settings)


@router.get("/meetings")
async def calendar(session: SessionDep, settings: SettingsDep, who: IdentityDep, body_id: str | None = None,
                   since: date | None = None, until: date | None = None) -> list[dict[str, Any]]:
    """The meetings the caller may see, by date."""
    rows = await meetings.list_meetings(session, who, body_id=body_id, since=since, until=until)
    return [meetings.meeting_out(m, b, settings) for m, b in rows]


@router.get("/meetings/{meeting_id}")
async def meeting_page(meeting_id: str, session: SessionDep, settings: SettingsDep, who: IdentityDep,
                       received: Id | None = None) -> dict[str, Any]:
    """A meeting as the caller may see it (`received`: the agenda version they have, to show what changed)."""
    return await meeting_view(session, settings, who, meeting_id, received=received)


@router.get("/meetings/{meeting_id}/versions/{number}")
async def agenda_version(meeting_id: str, number: Id, session: SessionDep, who: IdentityDep) -> dict[str, Any]:
    """A published version of the agenda (earlier ones stay readable), with its changes from the one before."""
    _, _, access = await meetings.visible_meeting(session, who, meeting_id)
    versions = await versions_of(session, meeting_id)
    found = next((v for v in versions if v.number == number), None)
    if found is None:
        raise NotFound(f"L'ordre du jour de cette réunion n'a pas de version {number}.")
    return version_out(found, access) | {"latest": versions[-1].number}


@router.get("/meetings/{meeting_id}/changes")
async def changes_between(meeting_id: str, session: SessionDep, who: IdentityDep,
                          since: Cursor) -> list[dict[str, Any]]:
    """What changed in the agenda from version `since` to the latest."""
    await meetings.visible_meeting(session, who, meeting_id)
    versions = await versions_of(session, meeting_id)
    return agenda_diff.since([{"number": v.number, "items": v.items, "documents": v.documents} for v in versions],
                             since)


@router.post("/meetings/{meeting_id}/move")
async def move(meeting_id: str, data: MeetingMove, session: SessionDep, runtime: RuntimeDep, settings: SettingsDep,
               who: IdentityDep) -> dict[str, Any]:
    meeting = await meetings.move_meeting(session, runtime.outbox, settings, who, meeting_id, data)
    return meetings.meeting_out(meeting, await get_body(session, meeting.body_id), settings)


@router.post("/meetings/{meeting_id}/cancel")
async def cancel(meeting_id: str, data: MeetingCancel, session: SessionDep, runtime: RuntimeDep,
                 settings: SettingsDep, who: IdentityDep) -> dict[str, Any]:
    meeting = await meetings.cancel_meeting(session, runtime.outbox, settings, who, meeting_id, data)
    return meetings.meeting_out(meeting, await get_body(session, meeting.body_id), settings)


@router.put("/meetings/{meeting_id}/cutoff")
async def cutoff(meeting_id: str, data: CutOffIn, session: SessionDep, settings: SettingsDep,
                 who: IdentityDep) -> dict[str, Any]:
    meeting = await meetings.set_cutoff(session, who, meeting_id, data)
    return meetings.meeting_out(meeting, await get_body(session, meeting.body_id), settings)
