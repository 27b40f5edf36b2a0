"""What the public portal reads from the services, from the memo of `gateway.cache` (in memory until the services'
data changes); an ETag built from the services' state keys lets a browser get a `304` for nothing.

All reads go with the public identity: each service shows the public what it decides the public may see
(participation hides non-public decisions, names of members who did not agree; engagements has its public view).
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import Request

from gateway.cache import StateMemo, shared


class PublicStore:
    """The portal's reads, through the app's memo."""

    def __init__(self, memo: StateMemo) -> None:
        self.memo = memo
        self.get, self.optional = memo.get, memo.optional

    async def etag(self, *parts: str) -> str:
        """A strong ETag for a public page: the page's identity and the services' state keys."""
        digest = hashlib.sha256("|".join((*parts, *await self.memo.keys())).encode()).hexdigest()[:32]
        return f'"p-{digest}"'

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
    """The app's public store."""
    return PublicStore(shared(request.app.state.clients))
