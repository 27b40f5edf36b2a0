"""HTTP clients of the four services. Every call carries the caller's signed identity and the trace context.

One `httpx.AsyncClient` per service, built in the app's lifespan. Tests bind them to in-process services by
passing `transports` (name -> transport); in production they reach the URLs of the settings.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING, Any

import httpx
from opentelemetry.trace import SpanKind, Status, StatusCode

from gateway import processes
from gateway.settings import Settings
from gateway.transport import ServiceTransport
from kernel.identity import HEADER, Identity, sign_identity
from kernel.tracing import inject_headers, tracer

if TYPE_CHECKING:  # the memo reads through these clients: a type only, no import at run time
    from gateway.cache import StateMemo


class ServiceError(Exception):
    """A service answered with an error (4xx/5xx); `body` is its JSON answer when it gave one."""

    def __init__(self, service: str, status_code: int, body: Any) -> None:
        super().__init__(f"{service} answered {status_code}")
        self.service = service
        self.status_code = status_code
        self.body = body

    @property
    def code(self) -> str | None:
        return self.body.get("code") if isinstance(self.body, dict) else None

    @property
    def message(self) -> str | None:
        return self.body.get("message") if isinstance(self.body, dict) else None


class ServiceUnavailable(Exception):
    """A service did not answer (down, refused, timed out), or `busy`: under overload, no connection to it came
    free in time (the request was not sent), or the request reached it after its signed identity had expired
    (refused before anything was done)."""

    def __init__(self, service: str, reason: str, *, busy: bool = False) -> None:
        super().__init__(f"{service} unavailable: {reason}")
        self.service = service
        self.reason = reason
        self.busy = busy

    @property
    def label(self) -> str:
        try:
            return processes.service(self.service).label
        except KeyError:
            return self.service


class ServiceClients:
    def __init__(self, settings: Settings, transports: dict[str, httpx.AsyncBaseTransport] | None = None) -> None:
        self.settings = settings
        transports = transports or {}
        # Every connection opened is kept (`gateway.transport`): closing and reopening them at busy moments cost both
        # sides. And few of them: a service is one single-threaded process; more calls at once add only queueing.
        timeout = httpx.Timeout(settings.service_timeout_seconds, pool=settings.service_queue_seconds)
        self.clients = {
            name: httpx.AsyncClient(base_url=url, timeout=timeout,
                                    transport=transports.get(name) or ServiceTransport(settings.service_connections))
            for name, url in settings.service_urls().items()
        }
        # Long waits (the live notices: each open notification centre holds a call for seconds) have connections of
        # their own, so that they never take those of the pages' calls.
        self.waits = {
            name: httpx.AsyncClient(base_url=url, timeout=timeout, transport=transports.get(name)
                                    or ServiceTransport(settings.service_wait_connections))
            for name, url in settings.service_urls().items()
        }
        self._tracer = tracer("gateway.clients")
        # Changes sent through these clients, per service: the memo (`gateway.cache`) reads afresh after one.
        self.writes: Counter[str] = Counter()
        self.memo: StateMemo | None = None  # that memo (`gateway.cache.shared`)

    async def aclose(self) -> None:
        await asyncio.gather(*(c.aclose() for c in (*self.clients.values(), *self.waits.values())))

    def on_behalf_of(self, identity: Identity) -> ServiceCalls:
        """Calls made for one person (their identity is signed into each request)."""
        return ServiceCalls(self, identity)

    async def ready(self, name: str) -> bool:
        """Whether a service answers its readiness probe (no identity needed)."""
        try:
            response = await self.clients[name].get(processes.service(name).readiness, headers=inject_headers(),
                                                    timeout=self.settings.health_timeout_seconds)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def request(self, identity: Identity, service: str, method: str, path: str, *,
                      params: dict[str, Any] | None = None, json: Any = None, content: Any = None,
                      content_type: str | None = None, files: Any = None, raw: bool = False,
                      long_wait: bool = False) -> Any:
        """The service's JSON answer (or, with `raw`, its whole response: a CSV export); errors raised.

        `content` may be bytes or an async iterator of bytes (an upload streamed on); `files`, a form's files;
        `long_wait`, a call the service holds until something happens (through the pool of such calls)."""
        with self._tracer.start_as_current_span(f"{method} {service}{path}", kind=SpanKind.CLIENT) as span:
            span.set_attribute("peer.service", service)
            headers = inject_headers({HEADER: sign_identity(identity, self.settings.identity_secret, service)})
            if content_type:
                headers["Content-Type"] = content_type
            clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
            try:
                client = (self.waits if long_wait else self.clients)[service]
                response = await client.request(method, path, params=clean, json=json, content=content, files=files,
                                                headers=headers)
            except httpx.HTTPError as exc:
                span.set_status(Status(StatusCode.ERROR))
                raise ServiceUnavailable(service, str(exc) or type(exc).__name__,
                                         busy=isinstance(exc, httpx.PoolTimeout)) from exc
            span.set_attribute("http.response.status_code", response.status_code)
            if method != "GET":
                self.writes[service] += 1
            if response.status_code >= 400:
                try:
                    body: Any = response.json()
                except ValueError:
                    body = response.text
                if response.status_code == 401 and isinstance(body, dict) and body.get("reason") == "expired":
                    span.set_status(Status(StatusCode.ERROR))
                    raise ServiceUnavailable(service, "identity expired on the way: requests are queueing",
                                             busy=True)
                if response.status_code >= 500:
                    span.set_status(Status(StatusCode.ERROR))
                raise ServiceError(service, response.status_code, body)
            return response if raw else response.json()


class ServiceCalls:
    def __init__(self, clients: ServiceClients, identity: Identity) -> None:
        self.clients = clients
        self.identity = identity

    async def get(self, service: str, path: str, **params: Any) -> Any:
        """The service's answer; from the clients' memo (`gateway.cache`) while the service's data is unchanged."""
        memo = self.clients.memo
        if memo is None:
            return await self.clients.request(self.identity, service, "GET", path, params=params)

        async def load() -> bytes:
            response = await self.clients.request(self.identity, service, "GET", path, params=params, raw=True)
            return response.content  # type: ignore[no-any-return]

        return await memo.get_as(self.identity, service, path, params, load)

    async def wait(self, service: str, path: str, **params: Any) -> Any:
        """A GET the service holds until something happens or its timeout passes (never remembered)."""
        return await self.clients.request(self.identity, service, "GET", path, params=params, long_wait=True)

    async def patch(self, service: str, path: str, body: Any, **params: Any) -> Any:
        return await self.clients.request(self.identity, service, "PATCH", path, params=params, json=body)

    async def put(self, service: str, path: str, body: Any, **params: Any) -> Any:
        return await self.clients.request(self.identity, service, "PUT", path, params=params, json=body)

    async def post(self, service: str, path: str, body: Any = None, **params: Any) -> Any:
        return await self.clients.request(self.identity, service, "POST", path, params=params, json=body)

    async def post_file(self, service: str, path: str, *, filename: str, file: Any, content_type: str,
                        **params: Any) -> Any:
        """Sends a file (an open file object, read in chunks as it goes) as the `file` field of a form."""
        return await self.clients.request(self.identity, service, "POST", path, params=params,
                                          files={"file": (filename, file, content_type)})

    async def download(self, service: str, path: str, **params: Any) -> httpx.Response:
        """The whole response (body and headers), for a file the gateway hands on (an export)."""
        return await self.clients.request(self.identity, service, "GET", path, params=params, raw=True)
