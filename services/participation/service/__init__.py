"""Participation's aggregates, one module each (tables, service functions). Importing the package registers every
table on the service's metadata."""

from services.participation.service import (  # noqa: F401
    aap_calls,
    aap_fundings,
    aap_imports,
    aap_projects,
    agendas,
    applications,
    bodies,
    catalogue,
    circulation,
    conseils,
    decisions,
    documents,
    mandates,
    meetings,
    members,
    minutes,
    news,
    opinions,
    people,
    proposals,
    readmodel,
    recommendations,
    registry,
)
