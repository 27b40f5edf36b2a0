"""The governance pages: bodies and members, meetings and agendas, minutes, the decision register, the pack."""

from fastapi import APIRouter

from gateway.pages.participation import (
    agenda,
    bodies,
    conseils,
    decisions,
    inter_associatif,
    mandates,
    meetings,
    opinions,
)

router = APIRouter()
for module in (bodies, conseils, opinions, meetings, agenda, decisions, inter_associatif, mandates):
    router.include_router(module.router)
