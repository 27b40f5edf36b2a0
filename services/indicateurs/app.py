import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from kernel.app import ServiceRuntime, ServiceSpec, create_service_app
from services.indicateurs import service
from services.indicateurs.api import router, validation_error_handler
from services.indicateurs.handlers import SUBSCRIPTIONS
from services.indicateurs.models import metadata
from services.indicateurs.settings import Settings

log = logging.getLogger(__name__)


async def sweep_campaigns(runtime: ServiceRuntime, every: float) -> None:
    """Closes on record (with its event) each campaign whose closing day has passed, now and then every `every`."""
    while True:
        try:
            async with runtime.db.session() as session:
                closed = await service.close_due_campaigns(session, runtime.outbox)
            if closed:
                log.info("%s campaign(s) closed at their date", closed)
        except Exception:
            log.exception("campaign sweep failed; will retry")
        await asyncio.sleep(every)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    spec = ServiceSpec(name="indicateurs", title="Indicateurs — contrat de ville", metadata=metadata,
                       migrations_dir=Path(__file__).parent / "migrations", routers=[router],
                       subscriptions=SUBSCRIPTIONS,
                       exception_handlers={RequestValidationError: validation_error_handler})
    app = create_service_app(spec, settings)
    kernel_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The kernel's lifespan, plus the campaign sweep, stopped before the kernel closes the database.
        async with kernel_lifespan(app):
            sweeper = asyncio.create_task(sweep_campaigns(app.state.runtime, settings.campaign_sweep_seconds),
                                          name="campaign-sweep")
            try:
                yield
            finally:
                sweeper.cancel()
                with suppress(asyncio.CancelledError):
                    await sweeper

    app.router.lifespan_context = lifespan
    return app
