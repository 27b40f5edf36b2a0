"""The administrators' and the secretariat's pages: accounts, the audit log; the public portal (QPV registry, news)."""

from fastapi import APIRouter

from gateway.pages.admin import accounts, journal, portal

router = APIRouter()
router.include_router(accounts.router)
router.include_router(journal.router)
router.include_router(portal.router)
