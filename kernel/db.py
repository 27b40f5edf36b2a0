"""Database engine and sessions: SQLite (WAL) by default, PostgreSQL when a URL says so.

Statements on a hot path (every request, every event) are built once, with bound parameters, and executed with
their values: SQLAlchemy builds a `select(...)` and its cache key anew on each call, which cost as much as running
it on SQLite (an inbox INSERT and its lookup: 520 µs built per call, 260 µs built once).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy import MetaData, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import registry
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

# Stable constraint names so that Alembic migrations name things the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_registry() -> registry:
    """A mapper registry with its own MetaData: each service keeps its tables apart from the others'."""
    return registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))


def async_url(url: str) -> str:
    """Normalises a database URL to its async driver (aiosqlite / psycopg)."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return u.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if u.get_backend_name() == "postgresql":
        return u.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def sync_url(url: str) -> str:
    """The same database through a synchronous driver (for Alembic)."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return u.set(drivername="sqlite").render_as_string(hide_password=False)
    if u.get_backend_name() == "postgresql":
        return u.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode, NORMAL syncs at checkpoints rather than at every commit: a crash of the process loses nothing,
    # a power cut may lose the last commits (never the file). PostgreSQL is the production database.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def install_sqlite_pragmas(engine) -> None:  # type: ignore[no-untyped-def]
    """WAL lets readers go on while the relay or a request writes."""
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)


# A pooled connection unused for longer than this is checked with a round trip before it is handed out.
IDLE_PING_SECONDS = 10.0


def ping_idle_connections(engine) -> None:  # type: ignore[no-untyped-def]
    """SQLAlchemy's `pool_pre_ping`, for connections that sat idle only.

    The pre-ping costs a round trip (`SELECT 1`) at every checkout: a tenth of a write's CPU on PostgreSQL. A
    connection handed back less than `IDLE_PING_SECONDS` ago was working then, so it goes out unchecked; one
    that sat longer (a restart or a timeout may have closed it meanwhile) is pinged, and replaced if the ping
    fails, as the pre-ping does. A connection that breaks while in use fails its request either way, and
    SQLAlchemy then renews the whole pool.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, _proxy) -> None:  # type: ignore[no-untyped-def]
        returned = record.info.get("checked_in")
        if returned is None or time.monotonic() - returned < IDLE_PING_SECONDS:
            return  # just opened, or recently working
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError() from exc  # the pool drops it and hands out a new one


class InlineSqlite(aiosqlite.Connection):
    """aiosqlite's connection with its calls run on the event loop's thread rather than handed to its worker.

    A statement on a local SQLite file takes microseconds; the hand-off to the worker thread and back (a queue,
    a future, a wake-up of the loop) cost more than the statement, several times per statement (execute, fetch,
    close), and made most of a write's CPU in the services. Only connecting and closing still use the thread.
    The process has one connection (see `Database`), so no session of this process can hold a lock another waits
    for; another process holding the file (two instances on one SQLite file) makes this one wait up to
    `busy_timeout`, the loop with it: past one instance, use PostgreSQL.
    """

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


def _inline_sqlite(database: str, **kwargs: Any) -> InlineSqlite:
    connection = InlineSqlite(partial(sqlite3.connect, database, **kwargs), 64)
    connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own
    return connection


class Database:
    """An engine and its session factory; calls `on_commit` hooks when a session that wrote events commits."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = async_url(url)
        kwargs: dict = {"echo": echo}
        if is_sqlite(self.url):
            # SQLite takes one writer at a time and makes the others sleep and retry (1, 2, 5… up to 100 ms):
            # one connection per process queues the sessions on the event loop instead, with no sleep and no
            # stale-snapshot failure. Sessions are short (no session waits on the network), so this is cheap.
            kwargs.update(pool_size=1, max_overflow=0, connect_args={"async_creator_fn": _inline_sqlite})
        else:
            kwargs.update(pool_size=10, max_overflow=10)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        install_sqlite_pragmas(self.engine.sync_engine)
        if not is_sqlite(self.url):
            ping_idle_connections(self.engine.sync_engine)
        self.on_commit: list[Callable[[], None]] = []

        class _Session(Session):
            """A sync session class of our own, so the commit hook applies to this database only."""

        def _after_commit(session: Session) -> None:
            if session.info.pop("outbox_dirty", False):
                for hook in self.on_commit:
                    hook()

        event.listen(_Session, "after_commit", _after_commit)
        self.session_class = _Session  # for listeners of this database only (the audit log)
        self.sessionmaker = async_sessionmaker(
            self.engine, class_=AsyncSession, sync_session_class=_Session, expire_on_commit=False
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker() as session:
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")

    async def dispose(self) -> None:
        await self.engine.dispose()
