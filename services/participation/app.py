from pathlib import Path

from fastapi import FastAPI

import services.participation.service  # noqa: F401 - registers every aggregate's tables
from kernel.app import ServiceSpec, create_service_app
from kernel.uploads import MULTIPART_SLACK
from services.participation.api import ROUTERS
from services.participation.handlers import SUBSCRIPTIONS
from services.participation.models import metadata
from services.participation.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    spec = ServiceSpec(name="participation", title="Participation — contrat de ville", metadata=metadata,
                       migrations_dir=Path(__file__).parent / "migrations", routers=ROUTERS,
                       subscriptions=SUBSCRIPTIONS, internal_stream=True)
    settings = settings or Settings()
    # Any request body (a document's upload streams in on its own, limited the same way) stops at the limit.
    spec.max_body_bytes = settings.upload_max_bytes + MULTIPART_SLACK
    return create_service_app(spec, settings)
