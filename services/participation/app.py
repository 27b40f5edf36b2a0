from pathlib import Path

from fastapi import FastAPI

import services.participation.service  # noqa: F401 - registers every aggregate's tables
from kernel.app import ServiceSpec, create_service_app
from kernel.uploads import MULTIPART_SLACK
from services.participation.api import ROUTERS
from services.participation.handlers import SUBSCRIPTIONS
from services.participation.models import metadata
from services.participation.settings import Settings


def spec(settings: Settings) -> ServiceSpec:
    """What the service is made of (also read by `make run` to write its NATS permissions)."""
    return ServiceSpec(name="participation", title="Participation — contrat de ville", metadata=metadata,
                       migrations_dir=Path(__file__).parent / "migrations", routers=ROUTERS,
                       subscriptions=SUBSCRIPTIONS, internal_stream=True,
                       # Any request body (a document's upload streams in on its own, limited the same way) stops
                       # at the limit.
                       max_body_bytes=settings.upload_max_bytes + MULTIPART_SLACK)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(spec(settings), settings)
