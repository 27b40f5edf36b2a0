"""Routes of the "depuis la dernière réunion" pack: its content, and the same as a PDF."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from kernel.app import SessionDep
from kernel.identity import IdentityDep
from services.participation.api.deps import SettingsDep
from services.participation.service import pack
from services.participation.service.registry import organisation_names

router = APIRouter(prefix="/api/v1", tags=["dossiers"])


@router.get("/meetings/{meeting_id}/pack")
async def pack_content(meeting_id: str, session: SessionDep, settings: SettingsDep, who: IdentityDep) -> dict[str, Any]:
    """What happened since the body's previous meeting, and the agenda (secretariat and members)."""
    return await pack.build(session, settings, who, meeting_id)


@router.get("/meetings/{meeting_id}/pack.pdf")
async def pack_pdf(meeting_id: str, session: SessionDep, settings: SettingsDep, who: IdentityDep) -> Response:
    """The pack as a paginated PDF with a table of contents."""
    content = await pack.build(session, settings, who, meeting_id)
    pdf = await pack.render_pdf(content, await organisation_names(session))
    day = content["meeting"]["starts_at"].date().isoformat()
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="dossier-{content["body"]["id"]}-{day}.pdf"',
        "Cache-Control": "private, no-store"})
