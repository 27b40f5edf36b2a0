"""Pooled PostgreSQL connections: one that PostgreSQL closed while it sat idle in the pool (a restart, an idle
timeout, an administrator) is found out and replaced before a request uses it, without a round trip at every
checkout (`kernel.db.ping_idle_connections`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from kernel import db as kernel_db
from kernel.db import Database


@pytest.fixture
async def pg(database_factory: Any) -> AsyncIterator[tuple[Database, str]]:
    url = database_factory("postgres", "pool")
    database = Database(url)
    yield database, url
    await database.dispose()


async def backend_pid(database: Database) -> int:
    async with database.session() as session:
        return int((await session.exec(text("SELECT pg_backend_pid()"))).scalar_one())  # type: ignore[call-overload]


def terminate(url: str, pid: int) -> None:
    """What a restart or an idle timeout does to the pooled connection: PostgreSQL ends its backend."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        assert conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)


async def test_a_connection_closed_while_idle_is_replaced_before_use(pg: tuple[Database, str],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    database, url = pg
    monkeypatch.setattr(kernel_db, "IDLE_PING_SECONDS", 0.0)  # any idle time counts
    first = await backend_pid(database)
    terminate(url, first)
    # The next request is served, on a new connection.
    assert await backend_pid(database) != first


async def test_a_recently_used_connection_is_not_pinged(pg: tuple[Database, str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The other side of the saving: within the idle delay the connection goes out as it is, so one closed
    meanwhile fails that one request (as one closed in the middle of a request would), and the pool is renewed."""
    database, url = pg
    monkeypatch.setattr(kernel_db, "IDLE_PING_SECONDS", 3600.0)
    first = await backend_pid(database)
    terminate(url, first)
    with pytest.raises(DBAPIError):
        await backend_pid(database)
    assert await backend_pid(database) != first
