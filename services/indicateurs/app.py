import asyncio
import logging
from pathlib import Path

from fastapi import FastAPI

from kernel.app import ServiceRuntime, ServiceSpec, create_service_app
from services.indicateurs import service
from services.indicateurs.api import router
from services.indicateurs.handlers import SUBSCRIPTIONS
from services.indicateurs.models import metadata
from services.indicateurs.settings import Settings

log = logging.getLogger(__name__)


def campaign_sweeper(every: float):  # type: ignore[no-untyped-def]
    async def sweep_campaigns(runtime: ServiceRuntime) -> None:
        """Closes on record (with its event) each campaign whose closing day has passed, every `every` seconds."""
        while True:
            try:
                async with runtime.db.session() as session:
                    closed = await service.close_due_campaigns(session, runtime.outbox)
                if closed:
                    log.info("%s campaign(s) closed at their date", closed)
            except Exception:
                log.exception("campaign sweep failed; will retry")
            await asyncio.sleep(every)

    return sweep_campaigns


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    spec = ServiceSpec(name="indicateurs", title="Indicateurs — contrat de ville", metadata=metadata,
                       migrations_dir=Path(__file__).parent / "migrations", routers=[router],
                       subscriptions=SUBSCRIPTIONS, background=[campaign_sweeper(settings.campaign_sweep_seconds)])
    return create_service_app(spec, settings)
