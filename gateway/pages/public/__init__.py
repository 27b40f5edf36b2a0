"""Pages anyone may open: the home page and its health panel, logging in and out, the integrators' documentation."""

from fastapi import APIRouter

from gateway.pages.public import auth, home, integrations

router = APIRouter()
for module in (home, auth, integrations):
    router.include_router(module.router)
