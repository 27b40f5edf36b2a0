from pathlib import Path

from fastapi import FastAPI

from kernel.app import ServiceSpec, create_service_app
from services.participation.api import router
from services.participation.handlers import SUBSCRIPTIONS
from services.participation.models import metadata
from services.participation.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    spec = ServiceSpec(name="participation", title="Participation — contrat de ville", metadata=metadata,
                       migrations_dir=Path(__file__).parent / "migrations", routers=[router],
                       subscriptions=SUBSCRIPTIONS)
    return create_service_app(spec, settings or Settings())
