"""The administrators' and the secretariat's pages: accounts; the public portal (QPV registry, news)."""

from fastapi import APIRouter

from gateway.pages.admin import accounts, portal

router = APIRouter()
router.include_router(accounts.router)
router.include_router(portal.router)
