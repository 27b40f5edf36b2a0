"""The appel à projets pages (engagement 49): the public funded projects and their open data, and the pages where
the secretariat and the funders manage calls, projects, decisions, payments and imports."""

from fastapi import APIRouter

from gateway.pages.aap import manage, opendata, public

router = APIRouter()
for module in (public, opendata, manage):
    router.include_router(module.router)
