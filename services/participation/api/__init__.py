"""HTTP API of the participation service, one router per aggregate."""

from services.participation.api import aap, agendas, bodies, decisions, meetings, minutes, pack, proposals, registry

ROUTERS = [registry.router, bodies.router, meetings.router, agendas.router, proposals.router, minutes.router,
           decisions.router, pack.router, aap.router]
