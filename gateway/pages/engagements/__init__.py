"""The engagements' pages: Mes engagements, the engagement page with the update of a pilot's part, the overview."""

from fastapi import APIRouter

from gateway.pages.engagements import engagement, my_engagements, overview, part_update

router = APIRouter()
for module in (my_engagements, engagement, part_update, overview):
    router.include_router(module.router)
