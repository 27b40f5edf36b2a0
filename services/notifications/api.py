from typing import Annotated

from fastapi import APIRouter, Query

from kernel.app import SessionDep
from kernel.identity import IdentityDep
from services.notifications.models import Activity
from services.notifications.service import list_activity

router = APIRouter(prefix="/api/v1", tags=["activité"])


@router.get("/activity")
async def activity(session: SessionDep, _who: IdentityDep, limit: Annotated[int, Query(ge=1, le=500)] = 50,
                   event_type: str | None = None) -> list[Activity]:
    """The latest events received, newest first."""
    return await list_activity(session, limit=min(limit, 500), event_type=event_type)
