"""Reference lists the pages show beside their subject (QPV, organisations), and the rule for what a page can do
without: a service down, or a list the viewer may not see, gives an empty list rather than an error page."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Mapping
from typing import Any, TypeVar

from gateway.cache import shared
from gateway.clients import ServiceCalls, ServiceError, ServiceUnavailable
from kernel.french import folded

T = TypeVar("T")


async def optional(call: Awaitable[T], default: Any = None) -> T | Any:
    """The answer of a call the page can do without, or `default` when the service refuses or does not answer."""
    try:
        return await call
    except (ServiceError, ServiceUnavailable):
        return default


async def nothing() -> list[Any]:
    """In place of a call this viewer has no use for (it is not theirs to see)."""
    return []


# The lists below are the same for everyone: they come from the shared store, in memory until the services'
# data changes, rather than from a call per page.

async def qpv_list(calls: ServiceCalls) -> list[dict[str, Any]]:
    """The QPV from participation, or none if it does not answer (the page still works without them)."""
    return await shared(calls.clients).optional("participation", "/api/v1/qpv", [])


async def organisations(calls: ServiceCalls) -> list[dict[str, Any]]:
    """The organisations from participation, or none if it does not answer."""
    return await shared(calls.clients).optional("participation", "/api/v1/organisations", [])


async def indicator_qpv(calls: ServiceCalls) -> list[dict[str, Any]]:
    """The QPV the indicateurs service knows (with their national codes)."""
    return await shared(calls.clients).optional("indicateurs", "/api/v1/qpv", [])


def by_name(organisation_ids: Iterable[str], names: Mapping[str, str]) -> list[tuple[str, str]]:
    """Organisations as (id, name) choices in alphabetical order, accents aside."""
    return sorted(((o, names.get(o, o)) for o in set(organisation_ids)), key=lambda pair: folded(pair[1]))
