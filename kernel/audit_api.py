"""`GET /audit` of every service: its latest changes, newest first, filtered; administrators only."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import MetaData, select

from kernel.audit import SKIPPED, TABLE
from kernel.errors import Forbidden
from kernel.identity import IdentityDep
from kernel.ids import Id


def entry_out(row: Any, service: str) -> dict[str, Any]:
    m = row._mapping
    at = m["at"] if m["at"].tzinfo else m["at"].replace(tzinfo=UTC)  # SQLite gives back naive UTC
    return {"id": m["id"], "service": service, "at": at.isoformat(),
            "actor_id": m["actor_id"], "actor_name": m["actor_name"], "organisation_id": m["organisation_id"],
            "table": m["table_name"], "row_key": m["row_key"], "operation": m["operation"],
            "before": json.loads(m["before"]) if m["before"] else None,
            "after": json.loads(m["after"]) if m["after"] else None}


def audit_router(metadata: MetaData, service: str) -> Any:
    """`GET /audit`: the service's latest changes, newest first, filtered; administrators only."""
    log = metadata.tables[TABLE]
    router = APIRouter(tags=["journal"])

    @router.get("/audit")
    async def audit_entries(
        request: Request, who: IdentityDep,
        table: str | None = Query(None, max_length=64, description="Table (kind of object) changed"),
        actor: str | None = Query(None, max_length=255, description="Part of the actor's name"),
        organisation: str | None = Query(None, max_length=64, description="The actor's organisation"),
        operation: str | None = Query(None, pattern="^(insert|update|delete)$"),
        since: datetime | None = Query(None, description="Changes at or after this time"),
        before_id: Id | None = None,  # paging: entries older than this one
        limit: int = Query(100, ge=1, le=500),
    ) -> dict[str, Any]:
        """The latest changes of this service's data: who, for which organisation, when, before and after."""
        if not who.has("admin"):
            raise Forbidden("Le journal des modifications est réservé aux administrateurs de la plateforme.")
        query = select(log).order_by(log.c.id.desc()).limit(limit)
        if table:
            query = query.where(log.c.table_name == table)
        if actor:
            query = query.where(log.c.actor_name.contains(actor, autoescape=True))
        if organisation:
            query = query.where(log.c.organisation_id == organisation)
        if operation:
            query = query.where(log.c.operation == operation)
        if since is not None:
            query = query.where(log.c.at >= (since.astimezone(UTC) if since.tzinfo else since))
        if before_id is not None:
            query = query.where(log.c.id < before_id)
        async with request.app.state.runtime.db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {"service": service, "tables": sorted(n for n in metadata.tables if n not in SKIPPED),
                "entries": [entry_out(r, service) for r in rows]}

    return router
