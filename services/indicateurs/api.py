"""HTTP API of the indicateurs service."""

from fastapi import APIRouter

from kernel.app import SessionDep
from kernel.identity import IdentityDep
from services.indicateurs import service
from services.indicateurs.schemas import DefinitionOut

router = APIRouter(prefix="/api/v1", tags=["indicateurs"])


@router.get("/definitions")
async def definitions(session: SessionDep, _who: IdentityDep, engagement: int | None = None) -> list[DefinitionOut]:
    """The indicator definitions, optionally for one engagement."""
    return await service.list_definitions(session, engagement)
