"""The audit log: every change of a service's rows, with who made it, for whom, when, before and after.

Generic and total: session listeners record each INSERT, UPDATE and DELETE of the service's tables (all but the
outbox, the inbox and the log itself) in `audit_entry`, in the same transaction as the change, whether it went
through the ORM (`session.add`, a flush) or a statement (`guarded_update`, a bulk `delete(...)`). The actor is
a context variable: the verified identity of the request (set by `current_identity`), a consumer's name for
changes made on an event, « système » for periodic jobs. The table is append-only: database triggers refuse
UPDATE and DELETE (installed by each service's migration, `install_append_only`), and nothing in the product
writes to it but these listeners.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session

TABLE = "audit_entry"
SKIPPED = frozenset({"outbox", "inbox", TABLE})
# Columns whose values are secrets: the log says they changed, never what they hold.
SECRET_WORDS = ("secret", "token", "password", "hash")
MAX_TEXT = 2000  # longer text (a file's content, a long comment) is cut: the log shows changes, not archives


@dataclass(frozen=True)
class Actor:
    name: str
    user_id: str | None = None
    organisation_id: str | None = None


SYSTEM = Actor("système")
_actor: ContextVar[Actor] = ContextVar("cdv_audit_actor", default=SYSTEM)


def set_actor(actor: Actor) -> None:
    """Who the changes of the current request or task are made by (kept until the task ends)."""
    _actor.set(actor)


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def audit_table(metadata: MetaData) -> Table:
    return Table(
        TABLE,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("at", DateTime(timezone=True), nullable=False, index=True),
        Column("actor_id", String(64)),
        Column("actor_name", String(255), nullable=False),
        Column("organisation_id", String(64), index=True),
        Column("table_name", String(64), nullable=False, index=True),
        Column("row_key", String(255), nullable=False),
        Column("operation", String(8), nullable=False),  # insert / update / delete
        Column("before", Text),  # JSON object of the columns before (null for an insert)
        Column("after", Text),  # JSON object of the columns after (null for a delete)
    )


# --- append-only, enforced by the database -------------------------------------------------------------------

_PG = [
    f"""CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION '{TABLE} is append-only'; END $$ LANGUAGE plpgsql""",
    f"CREATE TRIGGER {TABLE}_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
    f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only()",
    f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_append_only()",
]
_SQLITE = [
    f"CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END",
    f"CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END",
]


def install_append_only(op: Any) -> None:
    """For a migration: the triggers that refuse any UPDATE, DELETE (and TRUNCATE) of the log."""
    for statement in _PG if op.get_bind().dialect.name == "postgresql" else _SQLITE:
        op.execute(statement)


def remove_append_only(op: Any) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_change ON {TABLE}")
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}")
        op.execute(f"DROP FUNCTION IF EXISTS {TABLE}_append_only()")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_delete")


# --- recording -----------------------------------------------------------------------------------------------

def _plain(column: str, value: Any) -> Any:
    if value is None:
        return None
    if any(word in column.lower() for word in SECRET_WORDS):
        return "(masqué)"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"({len(value)} octets)"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT] + "…"
    if isinstance(value, (str, int, float, bool)):
        return value
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


def _dump(values: dict[str, Any] | None) -> str | None:
    return None if values is None else json.dumps(values, ensure_ascii=False, sort_keys=True)


def _entry(table: Table, operation: str, key: Any, before: dict[str, Any] | None,
           after: dict[str, Any] | None) -> dict[str, Any]:
    actor = _actor.get()
    return {"at": datetime.now(UTC), "actor_id": actor.user_id, "actor_name": actor.name[:255],
            "organisation_id": actor.organisation_id, "table_name": table.name, "row_key": str(key)[:255],
            "operation": operation, "before": _dump(before), "after": _dump(after)}


def _row_key(table: Table, values: dict[str, Any]) -> str:
    return "/".join(str(values.get(c.name)) for c in table.primary_key.columns)


class AuditRecorder:
    """Installs the listeners on a session class, writing to `metadata`'s `audit_entry`."""

    def __init__(self, metadata: MetaData) -> None:
        self.log = metadata.tables[TABLE]
        self.audited = {name for name in metadata.tables if name not in SKIPPED}

    def install(self, session_class: type[Session]) -> None:
        event.listen(session_class, "before_flush", self._before_flush)
        event.listen(session_class, "after_flush", self._after_flush)
        event.listen(session_class, "do_orm_execute", self._on_execute)

    def _table_of(self, obj: Any) -> Table | None:
        table = getattr(type(obj), "__table__", None)
        return table if isinstance(table, Table) and table.name in self.audited else None

    def _object_values(self, table: Table, obj: Any) -> dict[str, Any]:
        state = inspect(obj)
        return {c.name: _plain(c.name, getattr(obj, prop.key)) for prop in state.mapper.column_attrs
                for c in prop.columns if c.table is table}

    def _before_flush(self, session: Session, _context: Any, _instances: Any) -> None:
        # A deleted row's values must be read before the DELETE runs.
        pending = session.info.setdefault("audit_deleted", [])
        for obj in session.deleted:
            table = self._table_of(obj)
            if table is not None:
                values = self._object_values(table, obj)
                pending.append(_entry(table, "delete", _row_key(table, values), values, None))

    def _after_flush(self, session: Session, _context: Any) -> None:
        entries: list[dict[str, Any]] = session.info.pop("audit_deleted", [])
        for obj in session.new:
            table = self._table_of(obj)
            if table is not None:
                values = self._object_values(table, obj)
                entries.append(_entry(table, "insert", _row_key(table, values), None, values))
        for obj in session.dirty:
            table = self._table_of(obj)
            if table is None or obj in session.deleted:
                continue
            before: dict[str, Any] = {}
            after: dict[str, Any] = {}
            state = inspect(obj)
            for prop in state.mapper.column_attrs:
                history = state.attrs[prop.key].history
                if history.added or history.deleted:
                    name = prop.columns[0].name
                    old = history.deleted[0] if history.deleted else None
                    new = history.added[0] if history.added else None
                    if old != new:
                        before[name], after[name] = _plain(name, old), _plain(name, new)
            if after:
                entries.append(_entry(table, "update", _row_key(table, self._object_values(table, obj)),
                                      before, after))
        if entries:
            session.connection().execute(log_insert(self.log), entries)

    def _on_execute(self, state: ORMExecuteState) -> Any:
        if not (state.is_update or state.is_delete):
            return None
        table = getattr(state.statement, "table", None)
        if not isinstance(table, Table) or table.name not in self.audited:
            return None
        connection = state.session.connection()
        query = select(table)
        if state.statement.whereclause is not None:  # type: ignore[attr-defined]
            query = query.where(state.statement.whereclause)  # type: ignore[attr-defined]
        pks = list(table.primary_key.columns)
        before = [dict(row._mapping) for row in connection.execute(query)]
        result = state.invoke_statement()
        entries = []
        for old in before:
            if state.is_delete:
                values = {c.name: _plain(c.name, old[c.name]) for c in table.columns}
                entries.append(_entry(table, "delete", _row_key(table, values), values, None))
                continue
            found = connection.execute(select(table).where(*[p == old[p.name] for p in pks])).first()
            entry = None if found is None else update_entry(table, old, dict(found._mapping))
            if entry is not None:
                entries.append(entry)
        if entries:
            connection.execute(log_insert(self.log), entries)
        return result


# --- statements the ORM does not see -------------------------------------------------------------------------

@functools.cache
def log_insert(log: Table) -> Any:
    """The log's INSERT, built once per log (see `kernel.db`)."""
    return log.insert()


def log_of(table: Table) -> Table | None:
    """The audit log of `table`'s service, or None when `table` is not audited (the outbox, the inbox, the log)."""
    return None if table.name in SKIPPED else table.metadata.tables.get(TABLE)


def update_entry(table: Table, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any] | None:
    """The log entry of one row's UPDATE from its columns before and after, or None when nothing changed.

    For writers that already hold both (`kernel.rows.guarded_update` reads the row after with RETURNING), so that
    the log costs one INSERT rather than a read before and a read after."""
    changed = [c for c in table.columns if new[c.name] != old.get(c.name)]
    if not changed:
        return None
    key = _row_key(table, {c.name: new[c.name] for c in table.primary_key.columns})
    return _entry(table, "update", key, {c.name: _plain(c.name, old.get(c.name)) for c in changed},
                  {c.name: _plain(c.name, new[c.name]) for c in changed})
