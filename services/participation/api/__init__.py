"""HTTP API of the participation service, one router per aggregate."""

from services.participation.api import (
    agendas,
    bodies,
    conseils,
    decisions,
    meetings,
    minutes,
    opinions,
    pack,
    proposals,
    registry,
)

ROUTERS = [registry.router, bodies.router, meetings.router, agendas.router, proposals.router, minutes.router,
           decisions.router, pack.router, conseils.router, opinions.router]
