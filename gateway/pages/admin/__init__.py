"""The platform administrators' pages: accounts, the audit log."""

from fastapi import APIRouter

from gateway.pages.admin import accounts, journal

router = APIRouter()
router.include_router(accounts.router)
router.include_router(journal.router)
