"""The row helpers of the kernel on SQLite and PostgreSQL: get or a French 404, and guarded updates (optimistic
concurrency in the UPDATE itself: one winner, the loser gets a conflict carrying the current row)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import Field, SQLModel, select

from kernel import rows
from kernel.db import Database, new_registry
from kernel.errors import Conflict, NotFound
from kernel.rows import get_or_404, guarded_update, guarded_update_all

registry = new_registry()


class Base(SQLModel, registry=registry):
    pass


class Note(Base, table=True):
    id: int | None = Field(default=None, primary_key=True)
    text: str
    state: str = "brouillon"
    latest: bool = True
    version: int = 1


def as_dict(note: Note) -> dict[str, Any]:
    return {"id": note.id, "text": note.text, "version": note.version}


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request: pytest.FixtureRequest, database_factory: Any) -> AsyncIterator[Database]:
    database = Database(database_factory(request.param, "rows"))
    async with database.engine.begin() as conn:
        await conn.run_sync(registry.metadata.create_all)  # test scaffolding only; services use their migrations
    yield database
    await database.dispose()


async def add_notes(db: Database, *texts: str) -> list[int]:
    async with db.session() as session:
        notes = [Note(text=t) for t in texts]
        session.add_all(notes)
        await session.commit()
        return [n.id or 0 for n in notes]


async def read(db: Database, note_id: int) -> Note:
    async with db.session() as session:
        return (await session.exec(select(Note).where(Note.id == note_id))).one()


async def test_get_or_404_gives_the_row_or_a_french_not_found(db: Database) -> None:
    [note_id] = await add_notes(db, "ordre du jour")
    async with db.session() as session:
        assert (await get_or_404(session, Note, note_id, "absente")).text == "ordre du jour"
        with pytest.raises(NotFound) as missing:
            await get_or_404(session, Note, note_id + 1, f"La note n° {note_id + 1} n'existe pas.")
    assert missing.value.status_code == 404 and missing.value.code == "not_found"
    assert missing.value.message == f"La note n° {note_id + 1} n'existe pas."


async def test_of_two_writers_who_read_the_same_version_one_wins_the_other_gets_the_current_row(db: Database) -> None:
    [note_id] = await add_notes(db, "version lue par les deux")
    # The second writer is another instance of the service (its own engine): within one process, SQLite's
    # sessions take turns on the process's one connection and never interleave like this.
    elsewhere = Database(db.url)
    async with db.session() as first, elsewhere.session() as second:
        mine = await first.get(Note, note_id)
        theirs = await second.get(Note, note_id)
        assert mine is not None and theirs is not None and mine.version == theirs.version == 1

        await guarded_update(first, Note, note_id, expect={"version": 1},
                             values={"text": "première écriture", "version": 2}, conflict="perdu")
        assert (mine.text, mine.version) == ("première écriture", 2), "the winner's copy is refreshed"
        await first.commit()

        second.add(Note(text="écrite dans la même transaction que la perdante"))
        await second.flush()
        with pytest.raises(Conflict) as lost:
            await guarded_update(second, Note, note_id, expect={"version": 1},
                                 values={"text": "seconde écriture", "version": 2},
                                 conflict="Cette note vient d'être modifiée par quelqu'un d'autre.",
                                 current=as_dict)
    await elsewhere.dispose()
    assert lost.value.status_code == 409
    assert lost.value.message == "Cette note vient d'être modifiée par quelqu'un d'autre."
    assert lost.value.details == {"current": {"id": note_id, "text": "première écriture", "version": 2}}
    assert (await read(db, note_id)).text == "première écriture"
    async with db.session() as session:
        texts = (await session.exec(select(Note.text))).all()
    assert texts == ["première écriture"], "the loser's whole transaction is rolled back"


async def test_a_guard_on_a_state_refuses_a_row_that_left_it(db: Database) -> None:
    [note_id] = await add_notes(db, "à valider")
    async with db.session() as session:
        await guarded_update(session, Note, note_id, expect={"state": "brouillon", "latest": True},
                             values={"state": "soumis"}, conflict="perdu")
        await session.commit()
        with pytest.raises(Conflict) as lost:
            await guarded_update(session, Note, note_id, expect={"state": "brouillon"}, values={"state": "soumis"},
                                 conflict="Cette note n'est plus un brouillon.")
    assert lost.value.details == {}, "no current row unless asked for"
    assert (await read(db, note_id)).state == "soumis"


async def test_a_bulk_guarded_update_changes_all_rows_or_none(db: Database) -> None:
    ids = await add_notes(db, *(f"valeur {i}" for i in range(rows.CHUNK * 2 + 5)))  # several UPDATEs
    async with db.session() as session:
        await guarded_update_all(session, Note, ids[:-2], expect={"latest": True}, values={"latest": False},
                                 conflict="perdu")
        await session.commit()
    async with db.session() as session:
        still_latest = (await session.exec(select(Note.id).where(Note.latest))).all()
    assert sorted(still_latest) == sorted(ids[-2:])

    async with db.session() as session:
        with pytest.raises(Conflict) as lost:
            # One of the rows was superseded already: none of the others may change.
            await guarded_update_all(session, Note, [ids[-1], ids[0], ids[-2]], expect={"latest": True},
                                     values={"latest": False},
                                     conflict="Des valeurs ont été corrigées pendant l'import.")
    assert lost.value.message == "Des valeurs ont été corrigées pendant l'import."
    assert (await read(db, ids[-1])).latest and (await read(db, ids[-2])).latest

    async with db.session() as session:
        await guarded_update_all(session, Note, [], expect={"latest": True}, values={"latest": False},
                                 conflict="perdu")  # nothing to supersede is no conflict
