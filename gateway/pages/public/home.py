"""Home page (public) and the service-health panel it loads with htmx."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.deps import ClientsDep, OptionalViewer
from gateway.pages.public import portal
from gateway.processes import GATEWAY, SERVICES
from gateway.rendering import render

router = APIRouter()
HEALTH_CACHE_SECONDS = 3.0


@router.get("/")
async def home(request: Request, viewer: OptionalViewer) -> Response:
    """Without an account, the public portal; logged in, what the platform is for and how its services are doing
    (the public portal stays at `/portail`)."""
    if viewer is None:
        return await portal.public_home(request)
    return render(request, "public/accueil.html", {"page_title": "Accueil", "nav": "accueil",
                                            "logged_out": request.query_params.get("deconnexion") == "1"})


@router.get("/fragments/health")
async def health(request: Request, clients: ClientsDep) -> Response:
    """Each service (and the gateway) as "disponible"/"indisponible", from its readiness probe."""

    async def gateway_ready() -> bool:
        try:
            await request.app.state.db.ping()
        except Exception:  # noqa: BLE001 - shown as unavailable
            return False
        return True

    # A public page polled every 10 s by every open tab: the probes' answers are shared for a few seconds.
    cached = getattr(request.app.state, "health_cache", None)
    now = time.monotonic()
    if cached is not None and now - cached[0] < HEALTH_CACHE_SECONDS:
        results, checked_at = cached[1], cached[2]
    else:
        results = await asyncio.gather(gateway_ready(), *(clients.ready(service.name) for service in SERVICES))
        checked_at = datetime.now(UTC)
        request.app.state.health_cache = (now, results, checked_at)
    services = [{"id": GATEWAY.name, "label": GATEWAY.label, "ready": results[0]}]
    services += [{"id": service.name, "label": service.label, "ready": ready}
                 for service, ready in zip(SERVICES, results[1:], strict=True)]
    return render(request, "public/accueil.html", {"services": services, "checked_at": checked_at,
                                            "all_ready": all(results)}, block="health")
