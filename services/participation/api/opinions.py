"""Routes of the opinions (« avis ») of conseils citoyens and of the inter-associatif, and of their answers."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from kernel.app import RuntimeDep, SessionDep
from kernel.identity import IdentityDep
from kernel.ids import Id
from services.participation.api.deps import SettingsDep
from services.participation.schemas import OpinionAnswerIn, OpinionIn, OpinionRulesIn
from services.participation.service import opinions
from services.participation.service.agendas import AgendaItem, versions_of
from services.participation.service.bodies import list_bodies
from services.participation.service.common import today_paris
from services.participation.service.meetings import list_meetings

router = APIRouter(prefix="/api/v1", tags=["avis"])


@router.get("/opinions")
async def list_opinions(session: SessionDep, settings: SettingsDep, who: IdentityDep, engagement: Id | None = None,
                        body_id: str | None = None, meeting_id: str | None = None, overdue: bool = False,
                        organisation_id: str | None = None) -> list[dict[str, Any]]:
    """Opinions and their answers (public: no person's name), newest first; `overdue` keeps the late answers,
    the oldest due first; `organisation_id` those an organisation must answer."""
    rows = await opinions.list_opinions(session, engagement=engagement, body_id=body_id, meeting_id=meeting_id,
                                        overdue=overdue, organisation_id=organisation_id)
    return await opinions.opinions_out(session, settings, who, rows)


@router.get("/opinions/{opinion_id}")
async def opinion(opinion_id: str, session: SessionDep, settings: SettingsDep, who: IdentityDep) -> dict[str, Any]:
    [out] = await opinions.opinions_out(session, settings, who, [await opinions.get_opinion(session, opinion_id)])
    return out


@router.post("/opinions", status_code=201)
async def publish(data: OpinionIn, session: SessionDep, runtime: RuntimeDep, settings: SettingsDep,
                  who: IdentityDep) -> dict[str, Any]:
    """A member of a conseil citoyen (or of the inter-associatif) publishes an opinion in its name."""
    row = await opinions.publish_opinion(session, runtime.outbox, settings, who, data)
    [out] = await opinions.opinions_out(session, settings, who, [row])
    return out


@router.post("/opinions/{opinion_id}/attachments", status_code=201)
async def attach(opinion_id: str, request: Request, session: SessionDep, settings: SettingsDep, who: IdentityDep,
                 title: str = "", filename: str | None = None) -> dict[str, Any]:
    """A member of the opinion's body attaches a file (the request body, streamed; size and type checked)."""
    row = await opinions.add_attachment(session, settings, who, opinion_id, title=title, filename=filename,
                                        chunks=request.stream())
    return {"id": row.id, "title": row.title, "filename": row.filename, "size": row.size}


@router.get("/opinion-attachments/{attachment_id}/content")
async def attachment(attachment_id: str, session: SessionDep, settings: SettingsDep,
                     _who: IdentityDep) -> FileResponse:
    row, path = await opinions.attachment_file(session, settings, attachment_id)
    return FileResponse(path, media_type=row.content_type, filename=row.filename,
                        headers={"X-Content-Type-Options": "nosniff"})


@router.post("/opinions/{opinion_id}/answer")
async def answer(opinion_id: str, data: OpinionAnswerIn, session: SessionDep, runtime: RuntimeDep,
                 settings: SettingsDep, who: IdentityDep) -> dict[str, Any]:
    """A pilot organisation answers; the answer is published under the opinion."""
    row = await opinions.answer_opinion(session, runtime.outbox, settings, who, opinion_id, data)
    [out] = await opinions.opinions_out(session, settings, who, [row])
    return out


@router.get("/opinion-rules")
async def rules(session: SessionDep, settings: SettingsDep, _who: IdentityDep) -> dict[str, Any]:
    """The delay pilots have to answer an opinion."""
    return {"answer_days": await opinions.answer_days(session, settings)}


@router.put("/opinion-rules")
async def set_rules(data: OpinionRulesIn, session: SessionDep, who: IdentityDep) -> dict[str, Any]:
    """The secretariat sets the delay (for opinions published from now on)."""
    row = await opinions.set_answer_days(session, who, data)
    return {"answer_days": row.answer_days}


@router.get("/opinion-targets")
async def targets(session: SessionDep, who: IdentityDep) -> dict[str, Any]:
    """What the caller may give an opinion on: their conseils (or the inter-associatif) and the items of the
    published agendas of upcoming COPIL."""
    from services.participation.service.members import member_seats

    mine = {s.body_id for s in await member_seats(session, who)}
    bodies = [{"id": b.id, "name": b.name, "qpv_id": b.qpv_id} for b in await list_bodies(session)
              if b.kind in opinions.AUTHOR_KINDS and b.id in mine]
    items = []
    for meeting, body in await list_meetings(session, who, since=today_paris()):
        if body.kind != "copil" or not meeting.published_version or meeting.status == "cancelled":
            continue
        latest = (await versions_of(session, meeting.id))[-1]
        for item in latest.items:
            if await session.get(AgendaItem, item["item_id"]) is not None:
                items.append({"meeting_id": meeting.id, "meeting_title": meeting.title,
                              "meeting_day": meeting.local_start.date(), "item_id": item["item_id"],
                              "title": item["title"]})
    return {"bodies": bodies, "items": items}
