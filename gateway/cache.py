"""Answers of the services kept in memory until their data changes, read by every page.

Every service serves a state key (`/api/v1/state-version`: the heads of its outbox, inbox and audit log; every
change of its rows moves one of them). The memo asks a service for its key at most once per `read_memo_seconds`,
and answers a read from that service from memory as long as its key is the same. So a page costs a few tiny calls
per second at most, whatever its audience, instead of several calls per view; and an ETag built from the keys
lets a browser get a `304`.

What a service answers depends on who asks: an answer is remembered for one identity (the person's, or the public
one of the portal), never shown to another. The services stay the judges of what each one may see.

Read-your-writes: a change sent through this gateway (any call other than GET) makes the next read of that
service ask for its key afresh, so the person who just saved sees their change at once. A change made elsewhere
(an event, a job, another gateway instance) shows within `read_memo_seconds`. An answer is also never kept past
`MAX_AGE` nor past the day: some depend on the time (what is overdue, what is upcoming), not only on the data.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from gateway.clients import ServiceCalls, ServiceClients, ServiceError, ServiceUnavailable
from kernel import french
from kernel.identity import Identity

SOURCES = ("engagements", "indicateurs", "participation")  # the services with a state key (not notifications)
MAX_AGE = 60.0  # seconds an answer is kept at most, even if nothing changes
# Answers are kept as the bytes the service sent (each page parses its own copy: no page can alter another's),
# the least recently read going first past this many bytes in all; a bigger answer is not kept.
MAX_BYTES = 8_000_000
MAX_ANSWER_BYTES = 1_000_000

# The identity the gateway signs for a visitor without an account (participation knows this user id), and of the
# portal's reads: what a service shows anyone, logged in or not.
PUBLIC = Identity(user_id="public", email="", name="Visiteur", roles=[])


class StateMemo:
    """Reads of the services, remembered per identity while the service's state key is unchanged."""

    def __init__(self, clients: ServiceClients, ttl: float) -> None:
        self.clients = clients
        self.ttl = ttl
        self._keys: dict[str, tuple[str, float, int]] = {}  # service -> (key, when asked, writes seen then)
        self._locks = {service: asyncio.Lock() for service in SOURCES}
        self._memo: OrderedDict[tuple[Any, ...], tuple[str, float, bytes]] = OrderedDict()
        self._bytes = 0
        self._loading: dict[tuple[Any, ...], asyncio.Future[bytes]] = {}

    @property
    def calls(self) -> ServiceCalls:
        return self.clients.on_behalf_of(PUBLIC)

    def _fresh(self, service: str) -> bool:
        known = self._keys.get(service)
        return known is not None and time.monotonic() - known[1] < self.ttl \
            and known[2] == self.clients.writes[service]

    async def key(self, service: str) -> str:
        """One service's state key and the day (a service that does not answer gives a key that changes every
        time, so nothing stale is served as fresh). A change sent to that service through this gateway, and only
        to that one, makes it ask again."""
        if not self._fresh(service):
            async with self._locks[service]:
                if not self._fresh(service):
                    writes = self.clients.writes[service]
                    self._keys[service] = (await self._ask(service), time.monotonic(), writes)
        return f"{self._keys[service][0]}@{french.today().isoformat()}"

    async def keys(self) -> tuple[str, ...]:
        """The state keys of every service with one (the public pages' ETags)."""
        return tuple(await asyncio.gather(*(self.key(s) for s in SOURCES)))

    async def _ask(self, service: str) -> str:
        try:
            response = await self.clients.clients[service].get("/api/v1/state-version")
            return str(response.json()["version"]) if response.status_code == 200 else f"?{time.time()}"
        except Exception:  # noqa: BLE001 - unknown state: never cached
            return f"?{time.time()}"

    async def read(self, service: str, key: tuple[Any, ...], load: Callable[[], Awaitable[bytes]]) -> bytes:
        """`load()`'s answer, from memory while `service`'s state is unchanged; one load at a time per key (a
        page opened by fifty people at once after a change costs one call, not fifty)."""
        if self.ttl <= 0:
            return await load()
        state = await self.key(service)
        hit = self._memo.get(key)
        if hit is not None and hit[0] == state and time.monotonic() - hit[1] < MAX_AGE and "?" not in state:
            self._memo.move_to_end(key)
            return hit[2]
        loading = self._loading.get(key)
        if loading is not None:
            return await asyncio.shield(loading)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._loading[key] = future
        try:
            value = await load()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise
        else:
            future.set_result(value)
            self._keep(key, state, value)
            return value
        finally:
            del self._loading[key]

    def _keep(self, key: tuple[Any, ...], state: str, value: bytes) -> None:
        old = self._memo.pop(key, None)
        self._bytes -= len(old[2]) if old else 0
        if len(value) > MAX_ANSWER_BYTES:
            return
        self._memo[key] = (state, time.monotonic(), value)
        self._bytes += len(value)
        while self._bytes > MAX_BYTES:
            self._bytes -= len(self._memo.popitem(last=False)[1][2])

    async def get_as(self, identity: Identity, service: str, path: str, params: dict[str, Any],
                     load: Callable[[], Awaitable[bytes]]) -> Any:
        """A GET made for `identity` (`load` gives the service's answer as sent), remembered for that identity
        only; each caller gets its own parsed copy."""
        if service in SOURCES:
            key = (identity.model_dump_json(), service, path, tuple(sorted((k, str(v)) for k, v in params.items())))
            return orjson.loads(await self.read(service, key, load))
        return orjson.loads(await load())

    async def get(self, service: str, path: str, **params: Any) -> Any:
        """A GET with the public identity, remembered while nothing changes."""
        return await self.calls.get(service, path, **params)

    async def optional(self, service: str, path: str, default: Any, **params: Any) -> Any:
        """Like `get`, with `default` when the service refuses or does not answer (the page does without)."""
        try:
            return await self.get(service, path, **params)
        except (ServiceError, ServiceUnavailable):
            return default


def shared(clients: ServiceClients) -> StateMemo:
    """The one memo of these service clients (the app's), built on first use."""
    if clients.memo is None:
        clients.memo = StateMemo(clients, clients.settings.read_memo_seconds)
    return clients.memo
