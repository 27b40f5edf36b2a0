"""Pages anyone may open: the public portal (home, engagements, neighbourhoods, news and resources, open data),
the welcome page and its health panel, logging in and out, the integrators' documentation."""

from fastapi import APIRouter

from gateway.pages.public import auth, engagements, home, integrations, news, opendata, portal, quartiers

router = APIRouter()
for module in (home, portal, engagements, quartiers, news, opendata, auth, integrations):
    router.include_router(module.router)
