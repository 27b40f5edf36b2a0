"""The logged-in home: « Ce qui vous attend » (`/accueil`), where login lands."""

from fastapi import APIRouter

from gateway.pages.home import my_home

router = APIRouter()
router.include_router(my_home.router)
