"""The process shape every service shares: lifespan, health, readiness, graceful shutdown.

A service describes itself with a `ServiceSpec` (its settings, tables, migrations, routers, subscriptions);
`create_service_app` wires the mechanics. Engines and connections are built in the lifespan, not at import.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import MetaData, func, select
from sqlalchemy.exc import OperationalError
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException

from kernel import startup
from kernel.audit import TABLE as AUDIT_TABLE
from kernel.audit import AuditRecorder, audit_table
from kernel.audit_api import audit_router
from kernel.consumer import EventConsumer, Subscription, inbox_table
from kernel.db import Database
from kernel.errors import (
    DomainError,
    database_unavailable_handler,
    domain_error_handler,
    http_error_handler,
    validation_error_handler,
)
from kernel.events import INTERNAL, stream_name
from kernel.logs import setup_logging
from kernel.messaging import PUBLIC_MIRROR_SUFFIX, connect, ensure_stream, inbox_prefix, mirror_config, stream_config
from kernel.migrations import upgrade
from kernel.outbox import Outbox, OutboxRelay, outbox_table
from kernel.settings import KernelSettings
from kernel.tracing import FASTAPI_TELEMETRY, setup_tracing
from kernel.uploads import BodyLimit

log = logging.getLogger(__name__)


@dataclass
class ServiceSpec:
    name: str
    title: str
    metadata: MetaData
    migrations_dir: Path
    routers: Sequence[APIRouter] = ()
    subscriptions: Sequence[Subscription] = ()
    # Called once the database and NATS are up (e.g. to seed reference data); gets the app.
    on_ready: Callable[[FastAPI], Any] | None = None
    exception_handlers: dict[Any, Callable[..., Any]] = field(default_factory=dict)
    # Whether the service publishes internal events (personal data) on its own `<name>-internal` stream.
    internal_stream: bool = False
    # Long-running jobs of the service (e.g. a periodic sweep): started when ready, cancelled first at shutdown.
    background: Sequence[Callable[[ServiceRuntime], Awaitable[None]]] = ()
    # Largest request body read (413 `too_large` past it, checked while it streams in); None: no limit.
    max_body_bytes: int | None = None


@dataclass
class ServiceRuntime:
    """What the lifespan builds; endpoints reach it through `request.app.state.runtime`."""

    settings: KernelSettings
    db: Database
    outbox: Outbox
    nc: Any = None
    js: Any = None
    relay: OutboxRelay | None = None
    consumers: list[EventConsumer] = field(default_factory=list)


def kernel_tables(metadata: MetaData) -> None:
    """Adds the outbox, inbox and audit tables to a service's metadata (each service's migrations create them)."""
    outbox_table(metadata)
    inbox_table(metadata)
    audit_table(metadata)


def create_service_app(spec: ServiceSpec, settings: KernelSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.environment != "test":  # under pytest, keep pytest's log capture
            setup_logging(spec.name, settings.log_level, settings.log_json)
        setup_tracing(spec.name, settings.otel_exporter, settings.otel_endpoint)
        await asyncio.to_thread(upgrade, settings.database_url, spec.migrations_dir)
        db = Database(settings.database_url)
        AuditRecorder(spec.metadata).install(db.session_class)
        outbox = Outbox(spec.metadata.tables["outbox"], source=f"/cdv/{spec.name}",
                        namespace=settings.event_namespace)
        runtime = ServiceRuntime(settings=settings, db=db, outbox=outbox)
        app.state.runtime = runtime
        runtime.nc = await connect(settings.nats_url, name=spec.name, user=settings.nats_user,
                                   password=settings.nats_password, inbox_prefix=inbox_prefix(spec.name))
        runtime.js = runtime.nc.jetstream()
        ns = settings.event_namespace
        streams = [spec.name] + ([spec.name + INTERNAL] if spec.internal_stream else [])
        for stream in streams:
            await ensure_stream(runtime.js, stream_config(stream_name(ns, stream), [f"{ns}.{stream}.>"],
                                                          settings.stream_replicas))
        public = stream_name(ns, spec.name)
        await ensure_stream(runtime.js, mirror_config(public + PUBLIC_MIRROR_SUFFIX, public, settings.stream_replicas))
        runtime.relay = OutboxRelay(db, runtime.js, outbox.table, batch_size=settings.relay_batch_size,
                                    poll_seconds=settings.relay_poll_seconds)
        runtime.relay.start()
        for sub in spec.subscriptions:
            consumer = EventConsumer(db=db, js=runtime.js, inbox=spec.metadata.tables["inbox"], outbox=outbox,
                                     subscription=sub, namespace=ns, max_deliver=settings.consumer_max_deliver,
                                     replicas=settings.stream_replicas)
            await consumer.start()
            runtime.consumers.append(consumer)
        if spec.on_ready is not None:
            result = spec.on_ready(app)
            if asyncio.iscoroutine(result):
                await result
        jobs = [asyncio.create_task(job(runtime), name=f"{spec.name}-{job.__name__}") for job in spec.background]
        if settings.environment != "test":  # under pytest, many apps share one process: nothing to freeze
            startup.ready(app)
        log.info("%s ready on port %s", spec.name, settings.port)
        try:
            yield
        finally:
            # Order matters: stop jobs and taking new messages, finish in-flight ones, flush events, then close.
            for job_task in jobs:
                job_task.cancel()
            await asyncio.gather(*jobs, return_exceptions=True)
            for consumer in runtime.consumers:
                await consumer.stop(settings.shutdown_timeout_seconds)
            await runtime.relay.stop(timeout=settings.shutdown_timeout_seconds)
            try:
                await asyncio.wait_for(runtime.nc.drain(), timeout=settings.shutdown_timeout_seconds)
            except Exception as exc:  # noqa: BLE001 - closing anyway
                log.warning("NATS drain incomplete: %s", exc)
            await db.dispose()
            log.info("%s stopped", spec.name)

    docs = settings.serves_api_docs  # the API's map is for developers, not for whoever reaches the port
    app = FastAPI(title=spec.title, lifespan=lifespan, telemetry=FASTAPI_TELEMETRY,
                  docs_url="/docs" if docs else None, redoc_url="/redoc" if docs else None,
                  openapi_url="/openapi.json" if docs else None,
                  exception_handlers={DomainError: domain_error_handler,
                                      RequestValidationError: validation_error_handler,
                                      StarletteHTTPException: http_error_handler,
                                      OperationalError: database_unavailable_handler,
                                      **spec.exception_handlers})

    if spec.max_body_bytes is not None:
        app.add_middleware(BodyLimit, limit=spec.max_body_bytes)

    @app.get("/healthz", tags=["santé"])
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok", "service": spec.name}

    @app.get("/readyz", tags=["santé"])
    async def readyz(request: Request) -> JSONResponse:
        """The database and NATS answer; also reports the outbox backlog."""
        runtime: ServiceRuntime | None = getattr(request.app.state, "runtime", None)
        checks: dict[str, Any] = {"database": False, "nats": False}
        if runtime is not None:
            try:
                await runtime.db.ping()
                checks["database"] = True
                checks["outbox_backlog"] = await runtime.relay.backlog() if runtime.relay else None
            except Exception as exc:  # noqa: BLE001 - reported, not raised
                checks["database_error"] = str(exc)
            checks["nats"] = bool(runtime.nc and runtime.nc.is_connected)
        ready = checks["database"] and checks["nats"]
        return JSONResponse({"status": "ready" if ready else "not ready", "service": spec.name, **checks},
                            status_code=200 if ready else 503)

    @app.get("/api/v1/state-version", tags=["santé"])
    async def state_version(request: Request) -> dict[str, str]:
        """A key that changes whenever this service's data changes (no identity needed: it says nothing but
        "changed"). Every change commits an outbox row, every consumed event an inbox row: their heads are
        the key. The gateway builds the ETags of its public pages from the services' keys."""
        runtime: ServiceRuntime = request.app.state.runtime
        return {"version": await state_key(runtime.db, spec.metadata)}

    for router in spec.routers:
        app.include_router(router)
    app.include_router(audit_router(spec.metadata, spec.name))
    return app


async def state_key(db: Database, metadata: MetaData) -> str:
    """The newest outbox row (position and time), the inbox's size and newest time and the newest audit entry, as
    one short string: the audit log records every change of the service's rows, so any change moves the key."""
    outbox, inbox, log = metadata.tables["outbox"], metadata.tables["inbox"], metadata.tables[AUDIT_TABLE]
    async with db.session() as session:
        head = (await session.exec(select(func.max(outbox.c.position), func.max(outbox.c.created_at)))).one()
        seen = (await session.exec(select(func.count(), func.max(inbox.c.processed_at)).select_from(inbox))).one()
        changed = (await session.exec(select(func.max(log.c.id)))).one()
    return "-".join(str(v or 0) for v in (*head, *seen, *changed)).replace(" ", "T")


async def get_runtime(request: Request) -> ServiceRuntime:
    # Dependencies are `async` even when they do not wait: FastAPI runs a plain `def` in a worker thread, a
    # hand-off that costs more than the dependency itself on every request.
    return request.app.state.runtime


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session per request; service code commits explicitly (so the outbox row commits with the change)."""
    async with request.app.state.runtime.db.session() as session:
        yield session


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
