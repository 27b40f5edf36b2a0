"""Reference lists the pages show beside the engagements (QPV, organisations), tolerant of a service down."""

from __future__ import annotations

from typing import Any

from gateway.clients import ServiceCalls, ServiceError, ServiceUnavailable


async def qpv_list(calls: ServiceCalls) -> list[dict[str, Any]]:
    """The QPV from participation, or none if it does not answer (the page still works without them)."""
    try:
        return await calls.get("participation", "/api/v1/qpv")
    except (ServiceError, ServiceUnavailable):
        return []


async def organisations(calls: ServiceCalls) -> list[dict[str, Any]]:
    """The organisations from participation, or none if it does not answer."""
    try:
        return await calls.get("participation", "/api/v1/organisations")
    except (ServiceError, ServiceUnavailable):
        return []
