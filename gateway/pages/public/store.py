"""What the public portal reads from the services, kept in memory until the services' data changes.

Every service serves a state key (`/api/v1/state-version`, from the heads of its outbox and inbox: every change
commits one of them). The gateway asks for the three keys at most once per `KEY_TTL` seconds, and answers the
portal's reads from memory as long as the keys are the same. So a public page costs three tiny calls per second
at most, whatever its audience, and an ETag built from the keys lets a browser get a `304` for nothing.

All reads go with the public identity: each service shows the public what it decides the public may see
(participation hides non-public decisions, names of members who did not agree; engagements has its public view).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from gateway.clients import ServiceCalls, ServiceClients, ServiceError, ServiceUnavailable
from gateway.pages.participation.common import PUBLIC

SOURCES = ("engagements", "indicateurs", "participation")
KEY_TTL = 1.0  # seconds: a change shows on the portal at most this long after it commits


@dataclass
class PublicStore:
    clients: ServiceClients
    _keys: tuple[str, ...] = ()
    _keys_at: float = -1e9
    _memo: dict[tuple[Any, ...], tuple[tuple[str, ...], Any]] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def calls(self) -> ServiceCalls:
        return self.clients.on_behalf_of(PUBLIC)

    async def keys(self) -> tuple[str, ...]:
        """The services' state keys (a service that does not answer gives a key that changes every time, so
        nothing stale is served as fresh)."""
        if time.monotonic() - self._keys_at < KEY_TTL:
            return self._keys
        async with self._lock:
            if time.monotonic() - self._keys_at >= KEY_TTL:
                self._keys = tuple(await asyncio.gather(*(self._key(s) for s in SOURCES)))
                self._keys_at = time.monotonic()
        return self._keys

    async def _key(self, service: str) -> str:
        try:
            response = await self.clients.clients[service].get("/api/v1/state-version")
            return str(response.json()["version"]) if response.status_code == 200 else f"?{time.time()}"
        except Exception:  # noqa: BLE001 - unknown state: never cached
            return f"?{time.time()}"

    async def etag(self, *parts: str) -> str:
        """A strong ETag for a public page: the page's identity and the services' state keys."""
        digest = hashlib.sha256("|".join((*parts, *await self.keys())).encode()).hexdigest()[:32]
        return f'"p-{digest}"'

    async def read(self, key: tuple[Any, ...], load: Callable[[], Awaitable[Any]]) -> Any:
        """`load()`'s answer, from memory while the services' state is unchanged."""
        keys = await self.keys()
        hit = self._memo.get(key)
        if hit is not None and hit[0] == keys and not any(k.startswith("?") for k in keys):
            return hit[1]
        value = await load()
        if len(self._memo) > 500:  # many distinct pages (each QPV, each engagement…): start again
            self._memo.clear()
        self._memo[key] = (keys, value)
        return value

    async def get(self, service: str, path: str, **params: Any) -> Any:
        """A GET with the public identity, remembered while nothing changes."""
        return await self.read((service, path, tuple(sorted(params.items()))),
                               lambda: self.calls.get(service, path, **params))

    async def optional(self, service: str, path: str, default: Any, **params: Any) -> Any:
        """Like `get`, with `default` when the service refuses or does not answer (the page does without)."""
        try:
            return await self.get(service, path, **params)
        except (ServiceError, ServiceUnavailable):
            return default

    # --- what the portal reads ---------------------------------------------------------------------------

    async def engagements(self) -> list[dict[str, Any]]:
        return await self.get("engagements", "/api/v1/public/engagements")

    async def engagement(self, number: int) -> dict[str, Any]:
        return await self.get("engagements", f"/api/v1/public/engagements/{number}")

    async def values(self, **filters: Any) -> list[dict[str, Any]]:
        """Approved indicator values (the open-data rows), filtered by `engagement` or `qpv`."""
        answer = await self.optional("indicateurs", "/api/v1/exports/values.json", {"values": []}, **filters)
        return answer["values"]

    async def qpv(self) -> list[dict[str, Any]]:
        return await self.optional("participation", "/api/v1/qpv", [])

    async def bodies(self) -> list[dict[str, Any]]:
        return await self.optional("participation", "/api/v1/bodies", [])

    async def meetings(self, **filters: Any) -> list[dict[str, Any]]:
        return await self.optional("participation", "/api/v1/meetings", [], **filters)

    async def decisions(self, **filters: Any) -> list[dict[str, Any]]:
        return await self.optional("participation", "/api/v1/decisions", [], **filters)

    async def opinions(self, **filters: Any) -> list[dict[str, Any]]:
        """Residents' opinions and the answers owed (participation's public view: no person's name)."""
        return await self.optional("participation", "/api/v1/opinions", [], **filters)

    async def organisation_names(self) -> dict[str, str]:
        return {o["id"]: o["name"] for o in await self.optional("participation", "/api/v1/organisations", [])}

    async def news(self, kind: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        return await self.optional("participation", "/api/v1/news", [], kind=kind, limit=limit)


def store(request: Request) -> PublicStore:
    """The app's public store (built on first use, around the app's service clients)."""
    state = request.app.state
    if getattr(state, "public_store", None) is None or state.public_store.clients is not state.clients:
        state.public_store = PublicStore(state.clients)
    return state.public_store
