"""The platform administrators' pages: accounts."""

from fastapi import APIRouter

from gateway.pages.admin import accounts

router = APIRouter()
router.include_router(accounts.router)
