from pathlib import Path

from fastapi import FastAPI

from kernel.app import ServiceSpec, create_service_app
from kernel.uploads import MULTIPART_SLACK
from services.indicateurs.api import router
from services.indicateurs.handlers import SUBSCRIPTIONS
from services.indicateurs.jobs import campaign_sweeper
from services.indicateurs.models import metadata
from services.indicateurs.settings import Settings


def spec(settings: Settings) -> ServiceSpec:
    """What the service is made of (also read by `make run` to write its NATS permissions)."""
    return ServiceSpec(name="indicateurs", title="Indicateurs — contrat de ville", metadata=metadata,
                       migrations_dir=Path(__file__).parent / "migrations", routers=[router],
                       subscriptions=SUBSCRIPTIONS, internal_stream=True,
                       background=[campaign_sweeper(settings.campaign_sweep_seconds)],
                       max_body_bytes=settings.import_max_bytes + MULTIPART_SLACK)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(spec(settings), settings)
