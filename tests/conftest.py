"""Fixtures on real components: NATS with JetStream, PostgreSQL and SQLite, services run in-process."""

from __future__ import annotations

import asyncio
import importlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import nats
import psycopg
import pytest
from fastapi import FastAPI
from itsdangerous import BadSignature, URLSafeTimedSerializer
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway.processes import SERVICE_NAMES
from kernel import french
from kernel.app import ServiceRuntime
from kernel.identity import HEADER, Identity, sign_identity
from tests import components

SECRET = "test-identity-secret-" + uuid.uuid4().hex
SERVICES = SERVICE_NAMES
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONTRACT = ROOT / "contracts" / "nantes-metropole-2019.yaml"


def paris_today() -> date:
    """The day the services and pages count from (Paris): the machine's UTC day differs after 23:00 UTC."""
    return french.today()


@pytest.fixture(scope="session", autouse=True)
def spans() -> InMemorySpanExporter:
    """Every span of the run, in memory; installed before any service starts (they keep this provider)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


@pytest.fixture(scope="session")
def nats_url() -> Any:
    url, handle = components.nats_url()
    yield url
    if handle is not None:
        handle.stop()


@pytest.fixture(scope="session")
async def namespaces(nats_url: str) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """`await new()` gives a subject namespace and stream prefix of its own. Every event published under one
    is recorded and, at the end of the run, must validate against the generated AsyncAPI document (an error at
    session teardown otherwise); the namespace's streams are then deleted."""
    from kernel import asyncapi
    from kernel.events import INTERNAL

    for service in SERVICES:
        importlib.import_module(f"services.{service}.events")
    seen: list[tuple[str, bytes]] = []
    made: list[str] = []

    async def record(msg: Any) -> None:
        if msg.subject.split(".")[1].removesuffix(INTERNAL) in SERVICES:
            seen.append((msg.subject, msg.data))

    nc = await nats.connect(nats_url)

    async def new() -> str:
        ns = f"t{uuid.uuid4().hex[:10]}"
        await nc.subscribe(f"{ns}.>", cb=record)
        made.append(ns)
        return ns

    yield new
    await nc.flush()
    js = nc.jetstream()
    prefixes = tuple(ns.upper() + "_" for ns in made)
    for info in await js.streams_info():
        if info.config.name.startswith(prefixes):
            await js.delete_stream(info.config.name)
    await nc.close()
    document = asyncapi.build(title="test", version="test", internal=True)
    failures = []
    validators: dict[str, Any] = {}  # one compiled validator per type: thousands of events stay quick to check
    for subject, data in seen:
        try:
            event = json.loads(data)
            kind = event.get("type", "")
            if kind not in validators:
                asyncapi.validate_event(document, event)  # checks the type is documented, and the schema
                schema = asyncapi.envelope_schema(document, kind)
                validators[kind] = jsonschema.validators.validator_for(schema)(schema)
            validators[kind].validate(event)
        except Exception as exc:  # noqa: BLE001 - collected and reported together
            failures.append(f"{subject}: {str(exc).splitlines()[0]}")
    assert not failures, "events not matching the AsyncAPI document:\n" + "\n".join(failures[:20])
    # Every event the whole run published on a public subject follows the public view (tests/public_view.py).
    from tests.public_view import leaks

    leaked = [leak for _, data in seen for leak in leaks(json.loads(data))]
    assert not leaked, "public events carrying what only internal ones may:\n" + "\n".join(sorted(set(leaked))[:20])


@pytest.fixture(scope="session")
async def namespace(namespaces: Callable[[], Awaitable[str]]) -> str:
    """The run's main namespace, shared by the in-process services of most tests."""
    return await namespaces()


@pytest.fixture(scope="session")
def pg_admin_url() -> Any:
    url, handle, why = components.postgres_url()
    yield url, why
    if handle is not None:
        handle.stop()


@pytest.fixture(scope="session")
def database_factory(pg_admin_url: tuple[str | None, str], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """`make(backend, name)` gives a fresh database URL; PostgreSQL databases are dropped at the end."""
    admin_url, why = pg_admin_url
    created: list[str] = []

    def plain(url: str) -> str:
        return url.replace("postgresql+psycopg://", "postgresql://")

    def make(backend: str, name: str) -> str:
        if backend == "sqlite":
            return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp(name) / (name + '.db')}"
        if admin_url is None:
            components.missing("PostgreSQL", why)
        db = f"cdvt_{uuid.uuid4().hex[:10]}_{name}"
        with psycopg.connect(plain(admin_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db}"')
        created.append(db)
        return admin_url.rsplit("/", 1)[0] + "/" + db

    yield make
    if created and admin_url:
        with psycopg.connect(plain(admin_url), autocommit=True) as conn:
            for db in created:
                conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def identity(org: str | None = "ville-nantes", *roles: str, name: str = "Camille Test",
             user_id: str | None = None) -> Identity:
    return Identity(user_id=user_id or uuid.uuid4().hex, email=f"{uuid.uuid4().hex[:6]}@test.example", name=name,
                    organisation_id=org, organisation_name=org, roles=list(roles or ("referent",)))  # type: ignore[arg-type]


def auth(who: Identity, secret: str = SECRET, audience: str = "") -> dict[str, str]:
    """The signed identity header. Without `audience`, the service client that sends it (`Running.client`)
    addresses it to its own service, as the gateway does for each call (`readdress`)."""
    return {HEADER: sign_identity(who, secret, audience)}


def readdress(audience: str) -> Callable[[httpx.Request], Awaitable[None]]:
    """An httpx request hook: a token signed with no audience (`auth(who)`) is signed again for `audience`;
    tokens that name a service are sent as they are (tests of refusals use them)."""

    async def hook(request: httpx.Request) -> None:
        token = request.headers.get(HEADER)
        if not token:
            return
        serializer = URLSafeTimedSerializer(SECRET, salt="cdv-identity")
        try:
            data = serializer.loads(token)
        except BadSignature:
            return
        if data.get("aud") == "":
            request.headers[HEADER] = sign_identity(Identity.model_validate(data), SECRET, audience)

    return hook


ADMIN = identity(None, "admin", name="Admin Test")


@dataclass
class Running:
    name: str
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def runtime(self) -> ServiceRuntime:
        return self.app.state.runtime


@pytest.fixture(scope="session")
def service_runner(nats_url: str, namespace: str, database_factory: Callable[[str, str], str]) -> Any:
    """`async with run(name, backend=..., **settings)` runs one service in-process, on real NATS and DB."""

    @asynccontextmanager
    async def run(name: str, *, backend: str = "sqlite", database_url: str | None = None,
                  **overrides: Any) -> AsyncIterator[Running]:
        settings_cls = importlib.import_module(f"services.{name}.settings").Settings
        create_app = importlib.import_module(f"services.{name}.app").create_app
        values: dict[str, Any] = {
            "environment": "test", "database_url": database_url or database_factory(backend, name),
            "nats_url": nats_url,
            "event_namespace": namespace, "identity_secret": SECRET, "relay_poll_seconds": 0.2, "log_json": False,
            "consumer_max_deliver": 3, "shutdown_timeout_seconds": 5,
        }
        values.update(overrides)
        app = create_app(settings_cls(**values))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=f"http://{name}",
                                         event_hooks={"request": [readdress(name)]}) as client:
                yield Running(name, app, client)

    return run


@pytest.fixture(scope="session")
def stack_smtp_port() -> Any:
    """The stack's own SMTP server (a real one that discards what it gets), so that no test mails whatever
    listens on the default port, such as a developer's `make run` mailbox."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    controller = Controller(Sink(), hostname="127.0.0.1", port=components.free_port())
    controller.start()
    yield controller.port
    controller.stop()


@pytest.fixture(scope="session")
async def stack(service_runner: Any, namespace: str, stack_smtp_port: int) -> AsyncIterator[dict[str, Running]]:
    """The four services in-process on SQLite, with the default contract loaded (shared by many tests)."""
    from gateway.contract import loader, validation

    async with service_runner("engagements") as eng, service_runner("participation") as part, \
            service_runner("indicateurs") as ind, service_runner("notifications", smtp_port=stack_smtp_port) as notif:
        contract = validation.load_file(DEFAULT_CONTRACT)
        await loader.load(contract, participation=part.client, engagements=eng.client, headers=auth(ADMIN))
        await _engagements_seen(part, {e.number for e in contract.engagements})
        yield {"engagements": eng, "participation": part, "indicateurs": ind, "notifications": notif}


async def _engagements_seen(participation: Running, numbers: set[int]) -> None:
    """Waits for participation to read every engagement's definition (it takes only the engagements it knows)."""
    from services.participation.service.catalogue import engagements

    for _ in range(150):
        async with participation.runtime.db.session() as session:
            if numbers <= set(await engagements(session)):
                return
        await asyncio.sleep(0.2)
    raise AssertionError("participation never read the contract's engagements")


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[Any]:
    nc = await nats.connect(nats_url)
    yield nc.jetstream()
    await nc.close()
