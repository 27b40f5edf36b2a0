"""Row helpers every service shares: get a row or a French 404, and the guarded update of optimistic concurrency.

A guarded update puts the writer's expectations (the version it read, a state, a flag) in the UPDATE's WHERE
clause, so two writers racing past the same read cannot both win; the loser gets a 409 carrying the current
row, to start again from it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Conflict, NotFound

M = TypeVar("M", bound=SQLModel)


async def get_or_404(session: AsyncSession, model: type[M], key: Any, message: str) -> M:
    """The row with this primary key, or a `NotFound` carrying `message` (French, shown to the person)."""
    row = await session.get(model, key)
    if row is None:
        raise NotFound(message)
    return row


async def guarded_update(session: AsyncSession, model: type[M], key: Any, *, expect: dict[str, Any],
                         values: dict[str, Any], conflict: str,
                         current: Callable[[M], Any] | None = None) -> None:
    """UPDATE the row `key` with `values` only while each column in `expect` still has its expected value.

    When another writer got there first, the transaction is rolled back and `Conflict(conflict)` is raised,
    with `current` (the row as it is now, rendered by `current`) when given. The session's copy of the row is
    refreshed on success, since the UPDATE went around the identity map.
    """
    table = model.__table__  # type: ignore[attr-defined]
    [pk] = table.primary_key.columns
    condition = [pk == key] + [table.c[column] == value for column, value in expect.items()]
    result = await session.exec(table.update().where(*condition).values(**values))  # type: ignore[call-overload]
    if result.rowcount == 1:
        row = await session.get(model, key)
        if row is not None:
            await session.refresh(row)
        return
    await session.rollback()
    fresh = await session.get(model, key, populate_existing=True)
    details = {"current": current(fresh)} if current is not None and fresh is not None else {}
    raise Conflict(conflict, **details)
