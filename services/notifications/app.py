from pathlib import Path

from fastapi import FastAPI

from kernel.app import ServiceSpec, create_service_app
from services.notifications import accounts, deliveries, notices, preferences, webhook_api, webhooks
from services.notifications.api import router
from services.notifications.handlers import SUBSCRIPTIONS, event_subscriptions
from services.notifications.jobs import background_jobs
from services.notifications.models import metadata
from services.notifications.settings import Settings


def spec(settings: Settings) -> ServiceSpec:
    """What the service is made of (also read by `make run` to write its NATS permissions)."""
    return ServiceSpec(name="notifications", title="Notifications — contrat de ville", metadata=metadata,
                       migrations_dir=Path(__file__).parent / "migrations",
                       routers=[router, deliveries.router, notices.router, preferences.router, accounts.router,
                               webhook_api.router],
                       subscriptions=[*SUBSCRIPTIONS, *event_subscriptions(settings), *webhooks.SUBSCRIPTIONS],
                       background=background_jobs(settings), internal_stream=True)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(spec(settings), settings)
