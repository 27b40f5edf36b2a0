"""What every process (each service, the gateway) does once ready, before its first request (`ready`): its routes
worked out, then what start-up built set aside from the collector, in that order so that the routes are set aside
too.

FastAPI (0.16x) works out the routes of an included router (each one's dependencies, parameters and models) the
first time a request goes through that router, all of the router's routes at once: 30 to 70 ms for a service's
first calls here, and up to a third of a second for the gateway's first page of a kind, every request behind
them waiting. Done once a process is ready, that work is out of the first visitors' way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI

from kernel import memory


def ready(app: FastAPI) -> None:
    """Once start-up is done: the routes worked out, then start-up's objects frozen (`memory.settle_after_start`).
    Not under pytest, where many apps share one process: nothing there lives as long as the process."""
    build_routes(app)
    memory.settle_after_start()


def build_routes(app: FastAPI) -> int:
    """Works out every included router's routes now, as the first request through each would; returns how many
    routes that is (0 with a FastAPI that builds its routes when they are declared)."""

    def walk(routes: Iterable[Any]) -> int:
        count = 0
        for route in routes:
            candidates = getattr(route, "effective_candidates", None)  # an included router (FastAPI's own name)
            if callable(candidates):
                count += walk(candidates())
                low = getattr(route, "effective_low_priority_routes", None)
                if callable(low):
                    low()
            elif hasattr(route, "original_route"):
                count += 1
        return count

    return walk(app.router.routes)
