"""The secretariat's validation queue through the gateway: filters, the previous value and large variations, a
selection approved after a confirmation, a value sent back with a reason, the four-eyes rule for an account
holding both roles; referents are turned away."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import auth, identity
from tests.gateway.indicator_helpers import HTMX, SECRETARIAT, definition, submissions, text_of, value_form


async def submit(stack: dict[str, Any], who: Any, indicator_id: int, period: str, value: float) -> dict[str, Any]:
    r = await stack["indicateurs"].client.post("/api/v1/submissions", headers=auth(who), json={
        "indicator_id": indicator_id, "period": period, "value": value})
    assert r.status_code == 201, r.text
    return r.json()


def rows(page: Any) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="valeur-(\d+)"', page.text)]


async def test_the_queue_filters_confirms_a_selection_and_sends_one_back(gateway, stack) -> None:
    places = await definition(stack, 24, "Nombre de places")
    children = await definition(stack, 42, "Nombre d'enfants inscrits")
    caf, nantes = identity("caf", name="Claude CAF"), identity("ville-nantes", name="Léa Moreau")
    old = await submit(stack, caf, places["id"], "2040", 100)
    approved = await stack["indicateurs"].client.post(f"/api/v1/submissions/{old['id']}/approve",
                                                      headers=auth(SECRETARIAT))
    assert approved.status_code == 200
    jump = await submit(stack, caf, places["id"], "2041", 250)
    steady = await submit(stack, caf, places["id"], "2042", 260)
    other = await submit(stack, nantes, children["id"], "2041", 31)
    secretariat = await gateway.account("nantes-metropole", "secretariat", name="Claire Dubois")
    referent = await gateway.account("caf", name="Claude CAF")
    async with gateway.client() as client, gateway.client() as ref:
        token = await gateway.logged_in(client, secretariat)
        await gateway.logged_in(ref, referent)
        refused = await ref.get("/indicateurs/validation")
        page = await client.get("/indicateurs/validation")
        only_caf = await client.get("/indicateurs/validation?organisation=caf&periode=2041",
                                    headers={**HTMX, "HX-Target": "file-attente"})
        confirm = await client.post("/indicateurs/validation/approuver", headers={**HTMX, "X-CSRF-Token": token},
                                    data={"ids": [str(jump["id"]), str(other["id"])], "action": "selection"})
        assert [s["state"] for s in await submissions(stack, places["id"], period="2041")] == ["soumis"], \
            "nothing approved before the confirmation"
        done = await client.post("/indicateurs/validation/approuver", headers={**HTMX, "X-CSRF-Token": token},
                                 data={"ids": [str(jump["id"]), str(other["id"])], "confirme": "1"})
        empty_reason = await client.post("/indicateurs/validation/renvoyer",
                                         headers={**HTMX, "X-CSRF-Token": token},
                                         data={"renvoyer": str(steady["id"]), f"motif-{steady['id']}": " "})
        sent_back = await client.post("/indicateurs/validation/renvoyer", data={
            "csrf_token": token, "renvoyer": str(steady["id"]), f"motif-{steady['id']}": "Chiffre de 2041 repris ?",
            "organisation": "caf"})
        after = await client.get(sent_back.headers["location"])
    assert refused.status_code == 403 and "réservée au secrétariat" in text_of(refused)

    mine = {jump["id"], steady["id"], other["id"]}
    assert mine <= set(rows(page))
    jump_row = re.search(rf'<tr id="valeur-{jump["id"]}" class="queue__row--flag">(.*?)</tr>', page.text, re.DOTALL)
    assert jump_row, "a large variation is flagged"
    assert "+150 %" in text_of(page).split(f'id="valeur-{jump["id"]}"')[1].split("</tr>")[0]
    assert "forte variation" in jump_row[1] and "100" in jump_row[1]
    assert only_caf.text.lstrip().startswith('<div id="file-attente"')
    assert jump["id"] in rows(only_caf) and other["id"] not in rows(only_caf) and steady["id"] not in rows(only_caf)

    words = text_of(confirm)
    assert confirm.status_code == 200 and "Approuver 2 valeurs ?" in words
    assert "Oui, approuver ces 2 valeurs" in words and 'name="confirme" value="1"' in confirm.text
    assert done.status_code == 200 and "2 valeurs approuvées" in text_of(done)
    assert jump["id"] not in rows(done) and other["id"] not in rows(done) and steady["id"] in rows(done)
    assert [s["state"] for s in await submissions(stack, children["id"], period="2041")] == ["approuve"]

    assert empty_reason.status_code == 422 and "Indiquez le motif du renvoi" in text_of(empty_reason)
    assert sent_back.status_code == 303
    assert sent_back.headers["location"] == "/indicateurs/validation?organisation=caf&fait=renvoye"
    assert "Valeur renvoyée pour reprise" in text_of(after) and steady["id"] not in rows(after)
    [returned] = await submissions(stack, places["id"], period="2042")
    assert (returned["state"], returned["reason"]) == ("a_reprendre", "Chiffre de 2041 repris ?")


async def test_an_account_with_both_roles_cannot_approve_its_own_value(gateway, stack) -> None:
    d = await definition(stack, 24, "Nombre de places")
    both = await gateway.account("caf", "referent", "secretariat", name="Dominique Deux-Casquettes")
    colleague = await gateway.account("nantes-metropole", "secretariat", name="Claire Dubois")
    async with gateway.client() as client, gateway.client() as other:
        token = await gateway.logged_in(client, both)
        entered = await client.post(f"/indicateurs/{d['id']}/valeurs", headers={**HTMX, "X-CSRF-Token": token},
                                    data=value_form(token, "2043", "77"))
        assert entered.status_code == 201, entered.text
        [mine] = await submissions(stack, d["id"], period="2043")
        page = await client.get("/indicateurs/validation")
        forced = await client.post("/indicateurs/validation/approuver", headers={**HTMX, "X-CSRF-Token": token},
                                   data={"seul": str(mine["id"])})
        on_its_page = await client.post(f"/indicateurs/{d['id']}/valeurs/{mine['id']}/approuver",
                                        headers={**HTMX, "X-CSRF-Token": token})
        other_token = await gateway.logged_in(other, colleague)
        by_colleague = await other.post("/indicateurs/validation/approuver",
                                        headers={**HTMX, "X-CSRF-Token": other_token}, data={"seul": str(mine["id"])})
    row = text_of(page).split(f'id="valeur-{mine["id"]}"')[1].split("</tr>")[0]
    assert 'name="ids"' not in row and "règle des quatre yeux" in row
    assert forced.status_code == 409 and "quatre yeux" in text_of(forced)
    assert on_its_page.status_code == 403 and "quatre yeux" in text_of(on_its_page)
    assert by_colleague.status_code == 200 and "1 valeur approuvée" in text_of(by_colleague)
    assert [s["state"] for s in await submissions(stack, d["id"], period="2043")] == ["approuve"]


async def test_a_long_queue_comes_a_page_at_a_time(gateway, stack) -> None:
    aides = await definition(stack, 24, "Nombre d'aides")
    c = stack["indicateurs"].client
    csv = "indicateur;periode;qpv;valeur\n" + "".join(f"{aides['id']};{year};;{year - 2000}\n"
                                                       for year in range(2044, 2095))
    caf = identity("caf", name="Claude CAF")
    r = await c.post("/api/v1/imports", headers={**auth(caf), "Content-Type": "text/csv"}, content=csv.encode())
    assert r.status_code == 201 and r.json()["recorded"] == 51, r.text
    mine = [s["id"] for s in await submissions(stack, aides["id"]) if s["state"] == "soumis"]
    secretariat = await gateway.account("nantes-metropole", "secretariat", name="Claire Dubois")
    try:
        async with gateway.client() as client:
            await gateway.logged_in(client, secretariat)
            query = "organisation=caf&engagement=24"
            first = await client.get(f"/indicateurs/validation?{query}")
            second = await client.get(f"/indicateurs/validation?{query}&page=2",
                                      headers={**HTMX, "HX-Target": "file-attente"})
        on_first, on_second = rows(first), rows(second)
        assert len(on_first) == 50 and on_second and not set(on_first) & set(on_second)
        assert set(mine) <= set(on_first) | set(on_second)
        words = text_of(first)
        assert re.search(r"\d+ valeurs à valider (sur \d+ )?— page 1 sur 2 \(valeurs 1 à 50\)", words), words
        assert f'href="/indicateurs/validation?{query.replace("&", "&amp;")}&amp;page=2"' in first.text
        assert "Page précédente" in second.text and "Page suivante" not in second.text
        assert len(first.text) < 200_000  # 243 KB at 100 rows before paging
    finally:  # the shared stack's queue as the other tests expect it
        done = await c.post("/api/v1/submissions/approvals", headers=auth(SECRETARIAT), json={"ids": mine})
        assert done.status_code == 200 and not done.json()["refused"], done.text
