"""The governance pages: bodies and members, meetings and agendas, minutes, the decision register, the pack."""

from fastapi import APIRouter

from gateway.pages.participation import agenda, bodies, decisions, meetings

router = APIRouter()
for module in (bodies, meetings, agenda, decisions):
    router.include_router(module.router)
