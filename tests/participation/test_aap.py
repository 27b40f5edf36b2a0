"""The appel à projets in participation: calls, projects, funders' decisions and payments, who may do what,
what the public sees (never a pending or refused project), imports validated whole."""

from __future__ import annotations

from typing import Any

from services.participation.aap_format import association_number, luhn_ok
from tests.conftest import identity
from tests.participation.aap_helpers import CAF, METROPOLE, NOT_A_FUNDER, call_body, funder_file, line
from tests.participation.conftest import SECRETARIAT

PUBLIC = identity(None, name="Visiteur", user_id="public")
PUBLIC.roles = []


async def _project(gov: Any, n: int, **extra: Any) -> dict:
    return await gov.ok("POST", "/aap/calls/2025/projects", json={
        "association_name": f"Association {n}", "association_id": f"W44200{n:04d}", "title": f"Projet {n}",
        "summary": "Ateliers", "qpv": ["malakoff"], "amount_asked": 10_000, **extra})


def test_association_numbers() -> None:
    assert association_number("w442 001 234") == ("W442001234", None)
    assert luhn_ok("732829320") and association_number("732 829 320") == ("732829320", None)
    assert "clé de contrôle" in (association_number("732829321")[1] or "")
    assert "RNA" in (association_number("12345")[1] or "")


async def test_only_the_secretariat_opens_a_call_and_a_funder_decides_for_its_own_organisation(gov) -> None:
    refused = await gov.call("PUT", "/aap/calls/2025", METROPOLE, json=call_body())
    assert refused.status_code == 403
    await gov.ok("PUT", "/aap/calls/2025", json=call_body())
    assert (await gov.call("POST", "/aap/calls/2025/projects", NOT_A_FUNDER, json={
        "association_name": "A", "association_id": "W442000001", "title": "T", "qpv": ["malakoff"],
        "amount_asked": 1}) ).status_code == 403
    project = await _project(gov, 1)
    decision = {"decision": "accorde", "amount_granted": 8000, "decided_on": "2025-03-01"}
    path = f"/aap/projects/{project['id']}/fundings"
    assert (await gov.call("PUT", f"{path}/nantes-metropole", CAF, json=decision)).status_code == 403
    assert (await gov.call("PUT", f"{path}/nantes-metropole", NOT_A_FUNDER, json=decision)).status_code == 403
    assert (await gov.call("PUT", f"{path}/pole-emploi", SECRETARIAT, json=decision)).status_code == 422
    await gov.ok("PUT", f"{path}/nantes-metropole", METROPOLE, json=decision)
    too_much = await gov.call("POST", f"{path}/nantes-metropole/payments", METROPOLE,
                              json={"paid_on": "2025-04-01", "amount": 9000})
    assert too_much.status_code == 422 and "restent à verser" in too_much.json()["message"]
    before = await gov.call("POST", f"{path}/nantes-metropole/payments", METROPOLE,
                            json={"paid_on": "2025-02-01", "amount": 1000})
    assert before.status_code == 422
    assert (await gov.call("POST", f"{path}/nantes-metropole/payments", CAF,
                           json={"paid_on": "2025-04-01", "amount": 1000})).status_code == 403
    await gov.ok("POST", f"{path}/nantes-metropole/payments", METROPOLE, json={"paid_on": "2025-04-10", "amount": 6000})
    seen = await gov.ok("GET", f"/aap/projects/{project['id']}", PUBLIC)
    assert seen["amount_granted"] == 8000 and seen["paid_total"] == 6000
    assert seen["fundings"][0]["payments"][0]["days_after_decision"] == 40
    assert "recorded_by" not in seen["fundings"][0]


async def test_pending_and_refused_projects_are_never_public(gov) -> None:
    await gov.ok("PUT", "/aap/calls/2025", json=call_body())
    pending, refused, funded = await _project(gov, 1), await _project(gov, 2), await _project(gov, 3)
    await gov.ok("PUT", f"/aap/projects/{refused['id']}/fundings/caf", CAF,
                 json={"decision": "refuse", "decided_on": "2025-03-01"})
    await gov.ok("PUT", f"/aap/projects/{funded['id']}/fundings/caf", CAF,
                 json={"decision": "accorde", "amount_granted": 3000, "decided_on": "2025-03-01"})
    await gov.ok("PUT", f"/aap/projects/{funded['id']}/fundings/nantes-metropole", METROPOLE,
                 json={"decision": "refuse", "decided_on": "2025-03-02"})
    for who in (PUBLIC, NOT_A_FUNDER):
        for hidden in (pending, refused):
            assert (await gov.call("GET", f"/aap/projects/{hidden['id']}", who)).status_code == 404
        assert (await gov.call("GET", "/aap/calls/2025/projects", who)).status_code == 403
        year = await gov.ok("GET", "/aap/funded/2025", who)
        assert [p["title"] for p in year["projects"]] == ["Projet 3"]
        assert [f["funder_id"] for f in year["projects"][0]["fundings"]] == ["caf"]  # the refusal stays private
        rows = await gov.ok("GET", "/aap/funded-projects", who)
        assert {r["titre"] for r in rows} == {"Projet 3"}
    every = await gov.ok("GET", "/aap/calls/2025/projects", CAF)
    assert {p["title"]: p["status"] for p in every} == {"Projet 1": "depose", "Projet 2": "refuse",
                                                       "Projet 3": "accorde"}


async def test_a_file_with_one_bad_line_writes_nothing_and_names_the_line(gov) -> None:
    await gov.ok("PUT", "/aap/calls/2025", json=call_body())
    content = funder_file(line(1), line(2, rna="123456789"), line(3, decision="refusé", granted=""))
    response = await gov.call("POST", "/aap/calls/2025/imports", CAF, params={"funder_id": "caf"}, content=content,
                              headers={"Content-Type": "text/csv"})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_rows"
    assert body["errors"] == [{"line": 3, "reason": "SIREN « 123456789 » invalide (clé de contrôle fausse)"}]
    assert await gov.ok("GET", "/aap/calls/2025/projects") == []
    other = await gov.call("POST", "/aap/calls/2025/imports", CAF, params={"funder_id": "nantes-metropole"},
                           content=funder_file(line(1)), headers={"Content-Type": "text/csv"})
    assert other.status_code == 403


async def test_a_windows_1252_file_with_commas_is_previewed_then_confirmed(gov) -> None:
    await gov.ok("PUT", "/aap/calls/2025", json=call_body())
    text = funder_file(line(1, paid_on="2025-04-09", paid="5000"), line(2, decision="refusé", granted=""))
    content = text.decode().replace(";", ",").replace("Un résumé, avec", "Un résumé avec").encode("cp1252")
    preview = await gov.ok("POST", "/aap/calls/2025/imports/previews", METROPOLE,
                           params={"funder_id": "nantes-metropole"}, files={"file": ("liste.csv", content)})
    assert (preview["lines"], preview["granted"], preview["refused"], preview["payments"]) == (2, 1, 1, 1)
    assert await gov.ok("GET", "/aap/calls/2025/projects") == []
    assert (await gov.call("POST", f"/aap/imports/previews/{preview['preview_id']}/confirm", CAF)).status_code == 404
    done = await gov.ok("POST", f"/aap/imports/previews/{preview['preview_id']}/confirm", METROPOLE)
    assert (done["created"], done["payments_recorded"]) == (2, 1)
    projects = await gov.ok("GET", "/aap/calls/2025/projects")
    assert {p["summary"] for p in projects} == {"Un résumé avec des accents : été"}
    again = await gov.ok("POST", "/aap/calls/2025/imports", METROPOLE, params={"funder_id": "nantes-metropole"},
                         content=content, headers={"Content-Type": "text/csv"})
    assert (again["created"], again["payments_recorded"]) == (0, 0)  # the same list twice: nothing new
