"""The governance pages: bodies and members, meetings and agendas, minutes, the decision register, the pack."""

from fastapi import APIRouter

from gateway.pages.participation import agenda, bodies, conseils, decisions, meetings, opinions

router = APIRouter()
for module in (bodies, conseils, opinions, meetings, agenda, decisions):
    router.include_router(module.router)
