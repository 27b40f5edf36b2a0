"""Row helpers every service shares: get a row or a French 404, and the guarded update of optimistic concurrency.

A guarded update puts the writer's expectations (the version it read, a state, a flag) in the UPDATE's WHERE
clause, so two writers racing past the same read cannot both win; the loser gets a 409 carrying the current
row, to start again from it. `guarded_update_all` does the same for many rows at once, all or none (a bulk
import superseding the values it corrects).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Table, bindparam, inspect
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel import audit
from kernel.errors import Conflict, NotFound

M = TypeVar("M", bound=SQLModel)
CHUNK = 1000  # keys per UPDATE in bulk (well under SQLite's bound-parameter limit)


async def get_or_404(session: AsyncSession, model: type[M], key: Any, message: str) -> M:
    """The row with this primary key, or a `NotFound` carrying `message` (French, shown to the person)."""
    row = await session.get(model, key)
    if row is None:
        raise NotFound(message)
    return row


async def _update_where(session: AsyncSession, model: type[SQLModel], keys: Sequence[Any], expect: dict[str, Any],
                        values: dict[str, Any]) -> int:
    """UPDATEs the rows `keys` that still meet `expect`; returns how many did."""
    table = model.__table__  # type: ignore[attr-defined]
    [pk] = table.primary_key.columns
    updated = 0
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start:start + CHUNK]
        condition = [pk.in_(chunk) if len(chunk) > 1 else pk == chunk[0]]
        condition += [table.c[column] == value for column, value in expect.items()]
        result = await session.exec(table.update().where(*condition).values(**values))  # type: ignore[call-overload]
        updated += result.rowcount
    return updated


async def guarded_update(session: AsyncSession, model: type[M], key: Any, *, expect: dict[str, Any],
                         values: dict[str, Any], conflict: str,
                         current: Callable[[M], Any] | None = None) -> None:
    """UPDATE the row `key` with `values` only while each column in `expect` still has its expected value.

    When another writer got there first, the transaction is rolled back and `Conflict(conflict)` is raised,
    with `current` (the row as it is now, rendered by `current`) when given. The session's copy of the row takes
    the values the UPDATE wrote (read back with RETURNING, in the same statement), and the audit log gets the
    change from the row as the session held it before: one UPDATE and one INSERT, no read before or after.
    """
    await session.flush()  # what the caller added goes first, as a statement through the session would have it
    row = await session.get(model, key)
    before = _held(row)
    if row is not None and before is None:  # partly expired: read it again in this transaction
        row = await session.get(model, key, populate_existing=True)
        before = _held(row)
    table = model.__table__  # type: ignore[attr-defined]
    statement = _guarded_statement(table, tuple((c, v is None) for c, v in expect.items()), tuple(values))
    params = {"_key": key, **{f"_expect_{c}": v for c, v in expect.items() if v is not None},
              **{f"_value_{c}": v for c, v in values.items()}}
    connection = await session.connection()
    written = (await connection.execute(statement, params)).first()
    if written is not None:
        after = dict(written._mapping)
        log, entry = audit.log_of(table), audit.update_entry(table, before or {}, after)
        if log is not None and entry is not None:
            await connection.execute(audit.log_insert(log), [entry])
        if row is not None:
            for prop in inspect(row).mapper.column_attrs:
                set_committed_value(row, prop.key, after[prop.columns[0].name])
        return
    await session.rollback()
    fresh = await session.get(model, key, populate_existing=True)
    details = {"current": current(fresh)} if current is not None and fresh is not None else {}
    raise Conflict(conflict, **details)


@functools.cache
def _guarded_statement(table: Table, expect: tuple[tuple[str, bool], ...], values: tuple[str, ...]) -> Any:
    """A guarded UPDATE … RETURNING with bound parameters, built once per table and set of columns (see
    `kernel.db`). `expect` names each column with whether the value expected is None (`IS NULL`, not a
    parameter)."""
    [pk] = table.primary_key.columns
    return (table.update()
            .where(pk == bindparam("_key"), *[table.c[c].is_(None) if null else
                                              table.c[c] == bindparam(f"_expect_{c}", type_=table.c[c].type)
                                              for c, null in expect])
            .values({c: bindparam(f"_value_{c}", type_=table.c[c].type) for c in values})
            .returning(*table.columns))


def _held(row: Any) -> dict[str, Any] | None:
    """The row's columns as the session holds them, without loading anything (None if one is not loaded)."""
    if row is None:
        return None
    state = inspect(row)
    held = {}
    for prop in state.mapper.column_attrs:
        if prop.key not in state.dict:
            return None
        held[prop.columns[0].name] = state.dict[prop.key]
    return held


async def guarded_update_all(session: AsyncSession, model: type[M], keys: Sequence[Any], *, expect: dict[str, Any],
                             values: dict[str, Any], conflict: str) -> None:
    """UPDATE every row in `keys` with `values`, all or none: each must still meet `expect`.

    If any of them no longer does (another writer got there first), the transaction is rolled back and
    `Conflict(conflict)` is raised. Rows the session holds are not refreshed (a bulk write usually holds none:
    read them again if needed).
    """
    keys = list(dict.fromkeys(keys))
    if await _update_where(session, model, keys, expect, values) == len(keys):
        return
    await session.rollback()
    raise Conflict(conflict)
