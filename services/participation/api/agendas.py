"""Routes of the agenda: items, documents (streamed uploads and links), publication and revisions."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from kernel.app import RuntimeDep, SessionDep
from kernel.identity import IdentityDep
from kernel.ids import Cursor
from services.participation.api.deps import SettingsDep
from services.participation.schemas import DraftRev, ItemIn, ItemMove, LinkIn, PublishIn
from services.participation.service import agendas, documents
from services.participation.service.common import require_secretariat
from services.participation.service.meetings import get_meeting

router = APIRouter(prefix="/api/v1", tags=["ordres du jour"])


@router.post("/meetings/{meeting_id}/items", status_code=201)
async def add_item(meeting_id: str, data: ItemIn, session: SessionDep, who: IdentityDep) -> dict[str, Any]:
    item = await agendas.add_item(session, who, meeting_id, data)
    return {"id": item.id, "position": item.position}


@router.put("/meetings/{meeting_id}/items/{item_id}")
async def update_item(meeting_id: str, item_id: str, data: ItemIn, session: SessionDep,
                      who: IdentityDep) -> dict[str, Any]:
    item = await agendas.update_item(session, who, meeting_id, item_id, data)
    return {"id": item.id, "position": item.position}


@router.post("/meetings/{meeting_id}/items/{item_id}/move")
async def move_item(meeting_id: str, item_id: str, data: ItemMove, session: SessionDep,
                    who: IdentityDep) -> dict[str, Any]:
    await agendas.move_item(session, who, meeting_id, item_id, data)
    return {"moved": item_id, "position": data.position}


@router.post("/meetings/{meeting_id}/items/{item_id}/remove")
async def remove_item(meeting_id: str, item_id: str, data: DraftRev, session: SessionDep,
                      who: IdentityDep) -> dict[str, Any]:
    await agendas.remove_item(session, who, meeting_id, item_id, data.draft_rev)
    return {"removed": item_id}


@router.post("/meetings/{meeting_id}/links", status_code=201)
async def add_link(meeting_id: str, data: LinkIn, session: SessionDep, settings: SettingsDep,
                   who: IdentityDep) -> dict[str, Any]:
    return documents.document_out(settings, await agendas.attach_link(session, who, meeting_id, data))


@router.post("/meetings/{meeting_id}/documents", status_code=201)
async def upload(meeting_id: str, request: Request, session: SessionDep, settings: SettingsDep, who: IdentityDep,
                 title: str, draft_rev: Cursor, filename: str | None = None, item_id: str | None = None,
                 public: bool = True) -> dict[str, Any]:
    """Uploads a file (the request body), streamed to disk: refused past the size limit or if its content is
    not an accepted type."""
    require_secretariat(who, "déposer un document")
    meeting = await get_meeting(session, meeting_id)
    doc = await documents.store_upload(session, settings, who, meeting_id, title=title, filename=filename,
                                       item_id=item_id or None, public=public, chunks=request.stream())
    try:
        await agendas.attach_upload(session, meeting, doc, draft_rev)
    except Exception:
        (settings.documents_dir() / doc.id).unlink(missing_ok=True)  # nothing half-saved
        raise
    return documents.document_out(settings, doc)


@router.post("/meetings/{meeting_id}/documents/{document_id}/withdraw")
async def withdraw(meeting_id: str, document_id: str, data: DraftRev, session: SessionDep,
                   who: IdentityDep) -> dict[str, Any]:
    await agendas.withdraw_document(session, who, meeting_id, document_id, data.draft_rev)
    return {"withdrawn": document_id}


@router.get("/documents/{document_id}/content")
async def download(document_id: str, session: SessionDep, settings: SettingsDep, who: IdentityDep) -> FileResponse:
    """A document's file, for those who may read it."""
    doc, path = await documents.readable_file(session, settings, who, document_id)
    return FileResponse(path, media_type=doc.content_type, filename=doc.filename,
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


@router.post("/meetings/{meeting_id}/publish", status_code=201)
async def publish(meeting_id: str, data: PublishIn, session: SessionDep, runtime: RuntimeDep, settings: SettingsDep,
                  who: IdentityDep) -> dict[str, Any]:
    """Publishes the working agenda as a new version (a revision after the first); late needs a reason."""
    version = await agendas.publish(session, runtime.outbox, settings, who, meeting_id, data)
    return {"number": version.number, "on_time": version.on_time, "late_reason": version.late_reason,
            "due_on": version.due_on, "changes": version.changes, "published_at": version.published_at}
