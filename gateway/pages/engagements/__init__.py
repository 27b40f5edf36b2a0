"""The engagements' pages: Mes engagements, the engagement page with the update of a pilot's part, the overview."""

from fastapi import APIRouter

from gateway.pages.engagements import engagement, overview

router = APIRouter()
for module in (engagement, overview):
    router.include_router(module.router)
