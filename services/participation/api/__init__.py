"""HTTP API of the participation service, one router per aggregate."""

from services.participation.api import (
    aap,
    agendas,
    applications,
    bodies,
    conseils,
    decisions,
    mandates,
    meetings,
    minutes,
    news,
    opinions,
    pack,
    proposals,
    registry,
)

ROUTERS = [registry.router, bodies.router, meetings.router, agendas.router, proposals.router, minutes.router,
           decisions.router, pack.router, applications.router, mandates.router, news.router, conseils.router,
           opinions.router, aap.router]
