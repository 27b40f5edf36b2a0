from pathlib import Path

from fastapi import FastAPI

from kernel.app import ServiceSpec, create_service_app
from services.engagements.api import router
from services.engagements.handlers import SUBSCRIPTIONS
from services.engagements.models import metadata
from services.engagements.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    spec = ServiceSpec(name="engagements", title="Engagements — contrat de ville", metadata=metadata,
                       migrations_dir=Path(__file__).parent / "migrations", routers=[router],
                       subscriptions=SUBSCRIPTIONS)
    return create_service_app(spec, settings or Settings())
