"""Participation's aggregates, one module each (tables, service functions). Importing the package registers every
table on the service's metadata."""

from services.participation.service import (  # noqa: F401
    agendas,
    bodies,
    circulation,
    conseils,
    decisions,
    documents,
    meetings,
    members,
    minutes,
    opinions,
    people,
    proposals,
    readmodel,
    registry,
)
