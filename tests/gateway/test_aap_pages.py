"""Appel à projets pages over HTTP: a resident without an account reads the funded projects, their totals and a
project's page, and downloads the open data; pending and refused projects never show; each new route lets only
the right roles act (secretariat, the funder's own referents), participation deciding."""

from __future__ import annotations

import csv
import html
import io
import re
from typing import Any

from gateway.pages.aap.opendata import SCHEMA
from tests.conftest import auth
from tests.gateway.conftest import csrf_of
from tests.participation.aap_helpers import METROPOLE, call_body, funder_file, line
from tests.participation.conftest import SECRETARIAT


async def _year_with_projects(stack: Any, year: int) -> dict[str, str]:
    """A call with three listed projects for the Métropole: funded, refused; and one pending. Their ids by title."""
    part = stack["participation"].client
    body = call_body(title=f"Appel à projets {year}", opens_on=f"{year - 1}-10-01", closes_on=f"{year - 1}-12-15",
                     decisions_by=f"{year}-04-30")
    response = await part.put(f"/api/v1/aap/calls/{year}", json=body, headers=auth(SECRETARIAT))
    assert response.status_code == 200, response.text
    content = funder_file(line(1), line(2, decision="refusé", granted=""))
    content = content.replace(b"2025-03-10", f"{year}-03-10".encode())
    content = content.replace(b"Projet n\xc2\xb0 1", "Théâtre forum à Malakoff".encode())
    response = await part.post(f"/api/v1/aap/calls/{year}/imports", params={"funder_id": "nantes-metropole"},
                               content=content, headers={**auth(METROPOLE), "Content-Type": "text/csv"})
    assert response.status_code == 201, response.text
    response = await part.post(f"/api/v1/aap/calls/{year}/projects", headers=auth(SECRETARIAT), json={
        "association_name": "En attente", "association_id": "W442009999", "title": "Projet en attente",
        "qpv": ["breil"], "amount_asked": 900})
    assert response.status_code == 201
    projects = (await part.get(f"/api/v1/aap/calls/{year}/projects", headers=auth(SECRETARIAT))).json()
    return {p["title"]: p["id"] for p in projects}


async def test_a_resident_reads_the_funded_projects_and_downloads_them(gateway, stack) -> None:
    ids = await _year_with_projects(stack, 2031)
    async with gateway.client() as client:
        index = await client.get("/projets-finances")
        none = await client.get("/projets-finances/1990")  # a year without a call: said, with the years there are
        assert none.status_code == 404 and "Aucun appel à projets n'a été ouvert pour 1990" in html.unescape(none.text)
        assert 'href="/projets-finances/2031"' in none.text
        assert index.status_code == 200 and 'href="/projets-finances/2031"' in index.text
        page = await client.get("/projets-finances/2031")
        assert page.status_code == 200
        assert "Théâtre forum à Malakoff" in page.text and "Projet n° 2" not in page.text
        assert "Projet en attente" not in page.text and "5\u202f000 €" in page.text
        assert "600\u202f000 €" in page.text  # the Métropole's envelope
        filtered = await client.get("/projets-finances/2031", params={"qpv": "breil"})
        assert "Théâtre forum" not in filtered.text
        project = await client.get(f"/projets-finances/projet/{ids['Théâtre forum à Malakoff']}")
        assert project.status_code == 200 and "Nantes Métropole" in project.text and "5\u202f000 €" in project.text
        for hidden in ("Projet n° 2", "Projet en attente"):
            assert (await client.get(f"/projets-finances/projet/{ids[hidden]}")).status_code == 404
        assert (await client.get(f"/aap/projets/{ids['Projet n° 2']}")).status_code == 303  # login first

        # The page's links lead to the portal's registry of datasets, the first addresses too (for good).
        links = re.findall(r'href="(/donnees-ouvertes/projets-finances\.(?:csv|json))"', index.text)
        assert links == ["/donnees-ouvertes/projets-finances.csv", "/donnees-ouvertes/projets-finances.json"]
        for old, new in (("csv", "projets-finances.csv"), ("json", "projets-finances.json"),
                         ("schema.json", "datapackage.json")):
            moved = await client.get(f"/donnees/projets-finances.{old}")
            assert (moved.status_code, moved.headers["location"]) == (308, f"/donnees-ouvertes/{new}")
        assert (await client.get("/donnees/projets-finances.xls")).status_code == 404

        data = await client.get(links[0])
        assert data.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(data.content.decode("utf-8-sig")), delimiter=";"))
        assert list(rows[0]) == [f["name"] for f in SCHEMA["fields"]]
        titles = {r["titre"] for r in rows}
        assert "Théâtre forum à Malakoff" in titles and not titles & {"Projet n° 2", "Projet en attente"}
        mine = next(r for r in rows if r["titre"] == "Théâtre forum à Malakoff")
        assert (mine["financeur_id"], mine["montant_accorde"], mine["date_decision"], mine["demo"]) == (
            "nantes-metropole", "5000", "2031-03-10", "false")
        assert re.fullmatch(SCHEMA["fields"][3]["constraints"]["pattern"], mine["rna_siren"])
        as_json = (await client.get(links[1])).json()
        assert as_json["licence"]["name"] == "etalab-2.0"
        assert {p["titre"] for p in as_json["rows"]} == titles
        package = (await client.get("/donnees-ouvertes/datapackage.json")).json()
        described = next(r for r in package["resources"] if r["name"] == "projets-finances")["schema"]
        assert described["fields"] == SCHEMA["fields"]  # titles and constraints kept
        assert described["primaryKey"] == SCHEMA["primaryKey"]


async def test_each_role_may_do_only_its_part(gateway, stack) -> None:
    ids = await _year_with_projects(stack, 2032)
    pending = ids["Projet en attente"]
    secretariat = await gateway.account("nantes-metropole", "secretariat", name="Claire Secrétariat")
    metropole = await gateway.account("nantes-metropole", "referent", name="Référente Métropole")
    caf = await gateway.account("caf", "referent", name="Référent CAF")
    outsider = await gateway.account("pole-emploi", "referent", name="Référent Pôle emploi")
    decision = {"funder_id": "nantes-metropole", "decision": "accorde", "amount_granted": "700",
                "decided_on": "12/03/2032"}
    async with gateway.client() as anonymous:
        assert (await anonymous.get("/aap")).status_code == 303
        assert (await anonymous.get("/aap/2032")).status_code == 303
        assert (await anonymous.post(f"/aap/projets/{pending}/decision", data=decision)).status_code in (303, 403)
    async with gateway.client() as client:
        token = await gateway.logged_in(client, outsider)
        assert (await client.get("/aap/2032")).status_code == 403  # not a funder of this call
        refused = await client.post("/aap/appels", data={"csrf_token": token, "year": "2033", "title": "X",
                                                          "opens_on": "2032-10-01", "closes_on": "2032-12-01"})
        assert refused.status_code == 403 and "secrétariat" in refused.text
    async with gateway.client() as client:
        token = await gateway.logged_in(client, caf)
        page = await client.get("/aap/2032")
        assert page.status_code == 200 and "Projet en attente" in page.text and "Projet n° 2" in page.text
        other = await client.post(f"/aap/projets/{pending}/decision", data={**decision, "csrf_token": token})
        assert other.status_code == 403 and "référents de ce financeur" in other.text
    async with gateway.client() as client:
        token = await gateway.logged_in(client, metropole)
        no_csrf = await client.post(f"/aap/projets/{pending}/decision", data=decision)
        assert no_csrf.status_code == 403
        done = await client.post(f"/aap/projets/{pending}/decision", data={**decision, "csrf_token": token})
        assert done.status_code == 303, done.text
        paid = await client.post(f"/aap/projets/{pending}/versement", data={
            "csrf_token": token, "funder_id": "nantes-metropole", "amount": "900", "paid_on": "2032-04-01"})
        assert paid.status_code == 422 and "restent à verser" in paid.text
        bad = funder_file(line(1), line(2, rna="W12")).replace(b"2025-03-10", b"2032-03-10")
        shown = await client.post("/aap/2032/import", data={"csrf_token": token, "funder_id": "nantes-metropole"},
                                  files={"file": ("liste.csv", bad, "text/csv")})
        assert shown.status_code == 422 and "ligne 3" in shown.text and "rien n&#39;a été enregistré" in shown.text
    async with gateway.client() as client:
        token = await gateway.logged_in(client, secretariat)
        call = {"csrf_token": token, "year": "2033", "title": "Appel à projets 2033", "opens_on": "01/10/2032",
                "closes_on": "15/12/2032", "funders": ["caf"]}
        for typed in ("12k€", "-5000", "90 000,50"):
            wrong = await client.post("/aap/appels", data=call | {"envelope-caf": typed})
            shown = html.unescape(wrong.text)
            assert wrong.status_code == 422 and "Enveloppe de la Caisse d'allocations familiales" in shown, typed
            assert "envelopes" not in wrong.text
            kept = f'name="envelope-caf" inputmode="numeric" value="{typed}"'
            assert 'value="Appel à projets 2033"' in shown and kept in shown  # what was typed stays in the form
        assert (await client.get("/projets-finances/2033")).status_code == 404  # not opened
        reloaded = await client.get("/aap/appels")  # the refused form's address, reloaded: back to its page
        assert (reloaded.status_code, reloaded.headers["location"]) == (303, "/aap")
        opened = await client.post("/aap/appels", data=call | {"envelope-caf": "90 000"})
        assert opened.status_code == 303 and opened.headers["location"] == "/aap/2033?fait=appel"
        assert "90\u202f000 €" in (await client.get("/projets-finances/2033")).text
    async with gateway.client() as anonymous:
        assert "Projet en attente" in (await anonymous.get("/projets-finances/2032")).text  # granted now: public
        assert csrf_of((await anonymous.get("/connexion")).text)
