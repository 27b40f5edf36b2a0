"""The administrators' audit log page: every service's changes, merged, filterable; nobody else opens it."""

from __future__ import annotations

import uuid

from tests.conftest import auth, identity


async def test_an_administrator_sees_a_referents_change_with_before_and_after(gateway, stack) -> None:
    name = f"Référente {uuid.uuid4().hex[:6]}"
    who = identity("ville-nantes", "referent", name=name)
    eng = stack["engagements"].client
    detail = (await eng.get("/api/v1/engagements/9", headers=auth(who))).json()
    part = next(p for p in detail["parts"] if p["organisation_id"] == "ville-nantes")
    progress = part["progress"] + 5 if part["progress"] <= 95 else part["progress"] - 5
    r = await eng.patch("/api/v1/engagements/9/parts/ville-nantes", headers=auth(who),
                        json={"version": part["version"], "status": part["status"], "progress": progress,
                              "comment": "Point d'étape"})
    assert r.status_code == 200, r.text

    admin = await gateway.account(None, "admin", name="Alix Admin")
    async with gateway.client() as client:
        await gateway.logged_in(client, admin)
        page = await client.get("/admin/journal", params={"actor": name})
        assert page.status_code == 200
        assert "Journal des modifications" in page.text and 'aria-current="page">Journal' in page.text
        assert name in page.text and "(ville-nantes)" in page.text
        assert "<code>pilot_part</code>" in page.text and "modification" in page.text
        assert f"{part['progress']} → {progress}" in page.text
        assert "Point d&#39;étape" in page.text, "the history row's insert, with its comment"

        only = await client.get("/admin/journal", params={"actor": name, "service": "indicateurs"})
        assert "Aucune modification ne correspond" in only.text
        deletes = await client.get("/admin/journal", params={"actor": name, "operation": "delete"})
        assert "Aucune modification ne correspond" in deletes.text
        bad = await client.get("/admin/journal", params={"since": "hier"})
        assert bad.status_code == 200 and "Date invalide" in bad.text


async def test_the_journal_is_for_administrators_only(gateway) -> None:
    async with gateway.client() as client:
        anonymous = await client.get("/admin/journal")
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/connexion")
        await gateway.logged_in(client, await gateway.account("nantes-metropole", "secretariat"))
        refused = await client.get("/admin/journal")
        assert refused.status_code == 403 and "réservée aux administrateurs" in refused.text
