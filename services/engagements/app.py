from pathlib import Path

from fastapi import FastAPI

from kernel.app import ServiceSpec, create_service_app
from services.engagements.api import router
from services.engagements.handlers import SUBSCRIPTIONS
from services.engagements.models import metadata
from services.engagements.settings import Settings


def spec(settings: Settings) -> ServiceSpec:
    """What the service is made of (also read by `make run` to write its NATS permissions)."""
    return ServiceSpec(name="engagements", title="Engagements — contrat de ville", metadata=metadata,
                       migrations_dir=Path(__file__).parent / "migrations", routers=[router],
                       subscriptions=SUBSCRIPTIONS, internal_stream=True)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(spec(settings), settings)
