"""Row helpers every service shares: get a row or a French 404, and the guarded update of optimistic concurrency.

A guarded update puts the writer's expectations (the version it read, a state, a flag) in the UPDATE's WHERE
clause, so two writers racing past the same read cannot both win; the loser gets a 409 carrying the current
row, to start again from it. `guarded_update_all` does the same for many rows at once, all or none (a bulk
import superseding the values it corrects).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

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
    with `current` (the row as it is now, rendered by `current`) when given. The session's copy of the row is
    refreshed on success, since the UPDATE went around the identity map.
    """
    if await _update_where(session, model, [key], expect, values) == 1:
        row = await session.get(model, key)
        if row is not None:
            await session.refresh(row)
        return
    await session.rollback()
    fresh = await session.get(model, key, populate_existing=True)
    details = {"current": current(fresh)} if current is not None and fresh is not None else {}
    raise Conflict(conflict, **details)


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
