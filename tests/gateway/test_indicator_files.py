"""The indicators' files through the gateway: the CSV import (checked, then imported all or nothing; one message
per bad line), its template, and the open-data exports (approved values only)."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.gateway.indicator_helpers import (
    HTMX,
    definition,
    definitions_ready,
    submissions,
    text_of,
    value_form,
)

# --- CSV import ----------------------------------------------------------------------------------------------

async def upload(client: Any, token: str, text: str, action: str = "importer", htmx: bool = True) -> Any:
    headers = {**HTMX, "X-CSRF-Token": token} if htmx else {}
    data = {"action": action} if htmx else {"action": action, "csrf_token": token}
    return await client.post("/indicateurs/import", headers=headers, data=data,
                             files={"file": ("valeurs.csv", text.encode("utf-8"), "text/csv")})


async def test_a_csv_with_several_bad_rows_shows_one_message_per_row_and_records_nothing(gateway, stack) -> None:
    places = await definition(stack, 24, "Nombre de places")
    aides = await definition(stack, 24, "Nombre d'aides")
    not_caf = await definition(stack, 42, "Nombre d'enfants inscrits")
    lines = [
        "indicateur;periode;qpv;valeur;qualification;commentaire;source",
        f"{places['id']};2022;;120;définitif;;Fichier CAF",   # 2 valid
        "99999;2022;;5;provisoire;;",                         # 3 unknown indicator
        f"{places['id']};2022-S1;;5;provisoire;;",            # 4 period outside the periodicity
        f"{aides['id']};2022;;douze;provisoire;;",            # 5 not a number
        f"{places['id']};2023;;-3;provisoire;;",              # 6 negative
        f"{places['id']};2022;;121;définitif;;",              # 7 duplicate of line 2
        f"{not_caf['id']};2022;;7;provisoire;;",              # 8 organisation not responsible
    ]
    who = await gateway.account("caf", name="Claude CAF")
    async with gateway.client() as client:
        token = await gateway.logged_in(client, who)
        page = await client.get("/indicateurs/import")
        response = await upload(client, token, "\n".join(lines) + "\n")
        plain = await upload(client, token, "\n".join(lines) + "\n", htmx=False)
    assert "Format du fichier" in page.text and "<code>qualification</code>" in page.text
    assert f"<code>{places['id']}</code>" in page.text  # the organisation's indicator numbers
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<div id="resultat-import"')
    text = text_of(response)
    assert "Fichier refusé : 6 lignes invalides" in text and "Rien n'a été enregistré." in text
    rows = re.findall(r'<tr><th scope="row">(\d+)</th><td>(.*?)</td></tr>', text)
    assert [int(line) for line, _ in rows] == [3, 4, 5, 6, 7, 8], "one message per bad row, none for good ones"
    reasons = dict(rows)
    assert reasons["3"].startswith("Indicateur inconnu « 99999 »")
    assert "période hors périodicité" in reasons["4"].lower()
    assert "valeur non numérique « douze »" in reasons["5"].lower()
    assert "valeur négative impossible" in reasons["6"].lower()
    assert "ligne en double" in reasons["7"].lower()
    assert "organisation non responsable" in reasons["8"].lower()
    assert plain.status_code == 422 and "<html" in plain.text and "Fichier refusé : 6 lignes invalides" in \
        text_of(plain)
    for d in (places, aides, not_caf):
        assert await submissions(stack, d["id"], period="2022") == []


async def test_a_valid_csv_is_checked_then_imported(gateway, stack) -> None:
    places = await definition(stack, 24, "Nombre de places")
    lines = ["indicateur,periode,qpv,valeur,qualification,commentaire,source"]
    lines += [f"{places['id']},{year},,{100 + year - 2015},definitif,\"comptage, CAF\"," for year in (2015, 2016)]
    who = await gateway.account("caf", name="Claude CAF")
    async with gateway.client() as client:
        token = await gateway.logged_in(client, who)
        checked = await upload(client, token, "\r\n".join(lines), action="verifier")
        nothing_yet = await submissions(stack, places["id"], period="2015")
        imported = await upload(client, token, "\r\n".join(lines))
        again = await upload(client, token, "\r\n".join(lines), htmx=False)
        after = await client.get(again.headers["location"].split("#")[0])
        empty = await upload(client, token, "")
    assert checked.status_code == 200
    assert "Fichier valide : 2 lignes" in text_of(checked) and "Rien n'a encore été enregistré." in text_of(checked)
    assert nothing_yet == []
    assert imported.status_code == 201
    assert "Import terminé : 2 lignes lues" in text_of(imported)
    assert "2 nouvelles valeurs et 0 correction enregistrées et soumises au secrétariat" in text_of(imported)
    assert again.status_code == 303 and again.headers["location"].startswith("/indicateurs/import?import=")
    assert "0 nouvelle valeur et 0 correction" in text_of(after) and "2 lignes identiques" in text_of(after)
    assert empty.status_code == 422 and "Choisissez un fichier CSV" in text_of(empty)
    found = {s["period"]: s for s in await submissions(stack, places["id"])}
    assert (found["2015"]["value"], found["2016"]["value"]) == (100, 101)
    assert found["2015"]["state"] == "soumis" and found["2015"]["comment"] == "comptage, CAF"


async def test_the_import_template_lists_the_organisations_indicators(gateway, stack) -> None:
    defs = await definitions_ready(stack)
    who = await gateway.account("caf")
    async with gateway.client() as client:
        await gateway.logged_in(client, who)
        response = await client.get("/indicateurs/import/modele.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    lines = response.text.lstrip("\ufeff").splitlines()
    assert lines[0] == "indicateur;periode;qpv;valeur;qualification;commentaire;source"
    ids = {int(line.split(";")[0]) for line in lines[1:]}
    assert ids == {d["id"] for d in defs if "caf" in d["responsible"]}


# --- exports -------------------------------------------------------------------------------------------------

async def test_the_exports_through_the_gateway_hold_approved_values_only(gateway, stack) -> None:
    d = await definition(stack, 33, "Nombre de marches exploratoires")
    referent = await gateway.account("ville-nantes")
    secretariat = await gateway.account("nantes-metropole", "secretariat")
    async with gateway.client() as ref, gateway.client() as sec:
        token = await gateway.logged_in(ref, referent)
        for period, value in (("2016", "7"), ("2017", "8")):
            await ref.post(f"/indicateurs/{d['id']}/valeurs", headers={**HTMX, "X-CSRF-Token": token},
                           data=value_form(token, period, value))
        sec_token = await gateway.logged_in(sec, secretariat)
        [approved] = await submissions(stack, d["id"], period="2016")
        await sec.post(f"/indicateurs/{d['id']}/valeurs/{approved['id']}/approuver",
                       headers={**HTMX, "X-CSRF-Token": sec_token})
        page = await ref.get("/indicateurs/exports")
        as_csv = await ref.get("/indicateurs/exports/valeurs.csv", params={"indicator": d["id"], "sep": ";"})
        as_json = await ref.get("/indicateurs/exports/valeurs.json", params={"indicator": d["id"]})
        bad = await ref.get("/indicateurs/exports/valeurs.csv", params={"indicator": "abc"})
    assert page.status_code == 200 and "<code>approved_at</code>" in page.text and "<code>qpv_code</code>" in page.text
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.headers["content-disposition"] == 'attachment; filename="valeurs-indicateurs.csv"'
    lines = as_csv.text.splitlines()
    assert lines[0].startswith("contract_id;engagement_number;indicator_id")
    assert len(lines) == 2 and ";2016;" in lines[1] and ";7;" in lines[1], "the approved value only"
    body = json.loads(as_json.content)
    assert body["count"] == 1 and [(v["period"], v["value"]) for v in body["values"]] == [("2016", 7)]
    assert bad.status_code == 400 and "doit être un numéro" in text_of(bad)
