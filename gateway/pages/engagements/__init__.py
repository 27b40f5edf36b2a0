"""The engagements' pages: Mes engagements, the engagement page with the update of a pilot's part, the overview and
its exports for the COPIL."""

from fastapi import APIRouter

from gateway.pages.engagements import engagement, export, my_engagements, overview, part_update

router = APIRouter()
for module in (my_engagements, engagement, part_update, overview, export):
    router.include_router(module.router)
