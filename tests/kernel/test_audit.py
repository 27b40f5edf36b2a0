"""The audit log: every change recorded with who, for whom, when, before and after; readable by administrators;
append-only in the database itself (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.conftest import ADMIN, auth, identity
from tests.engagements.conftest import default_contract, engagements  # noqa: F401 - fixtures

NANTES = identity("ville-nantes", "referent", name="Camille Référente")


async def entries(client: Any, **params: Any) -> list[dict[str, Any]]:
    r = await client.get("/audit", params=params, headers=auth(ADMIN))
    assert r.status_code == 200, r.text
    return r.json()["entries"]


async def test_a_pilots_update_is_logged_with_actor_organisation_before_and_after(engagements) -> None:  # noqa: F811
    c = engagements.client
    detail = (await c.get("/api/v1/engagements/9", headers=auth(NANTES))).json()
    version = next(p for p in detail["parts"] if p["organisation_id"] == "ville-nantes")["version"]
    r = await c.patch("/api/v1/engagements/9/parts/ville-nantes", headers=auth(NANTES),
                      json={"version": version, "status": "en_cours", "progress": 40, "comment": "Lancement"})
    assert r.status_code == 200, r.text

    [change] = await entries(c, table="pilot_part", operation="update")  # a guarded UPDATE statement
    assert (change["actor_name"], change["actor_id"], change["organisation_id"]) == (
        "Camille Référente", NANTES.user_id, "ville-nantes")
    assert change["before"]["status"] == "a_lancer" and change["after"]["status"] == "en_cours"
    assert change["before"]["progress"] == 0 and change["after"]["progress"] == 40
    assert "title" not in change["after"], "an update lists the columns that changed"
    [history] = await entries(c, table="progress_change", operation="insert")  # an ORM insert
    assert history["after"]["comment"] == "Lancement" and history["actor_name"] == "Camille Référente"
    assert history["at"].endswith("+00:00")

    loaded = await entries(c, table="engagement", actor="Admin", limit=500)
    assert len(loaded) == 50 and {e["operation"] for e in loaded} == {"insert"}, "the contract load, by its admin"
    assert await entries(c, organisation="ville-nantes", table="engagement") == []


async def test_only_administrators_read_the_log(engagements) -> None:  # noqa: F811
    c = engagements.client
    assert (await c.get("/audit")).status_code == 401
    for who in (NANTES, identity("nantes-metropole", "secretariat")):
        r = await c.get("/audit", headers=auth(who))
        assert r.status_code == 403 and r.json()["code"] == "forbidden"


@pytest.mark.parametrize("statement", ["UPDATE audit_entry SET actor_name = 'personne'",
                                       "DELETE FROM audit_entry"])
async def test_the_log_is_append_only_in_the_database(engagements, statement: str) -> None:  # noqa: F811
    db = engagements.runtime.db
    async with db.engine.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM audit_entry"))).scalar_one()
    assert count > 0
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.engine.begin() as conn:
            await conn.execute(text(statement))
    async with db.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM audit_entry WHERE actor_name = 'personne'"))
                ).scalar_one() == 0
        assert (await conn.execute(text("SELECT count(*) FROM audit_entry"))).scalar_one() == count
