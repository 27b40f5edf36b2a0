"""The indicators' files through the gateway: the import of a file (previewed, then recorded all or nothing once
confirmed; one message per bad line), its templates, and the exports (approved values only)."""

from __future__ import annotations

import io
import json
import re
from typing import Any

from openpyxl import load_workbook

from tests.conftest import auth
from tests.gateway.indicator_helpers import (
    HTMX,
    SECRETARIAT,
    definition,
    definitions_ready,
    submissions,
    text_of,
    value_form,
)

# --- import of a file ---------------------------------------------------------------------------------------

async def upload(client: Any, token: str, content: bytes | str, htmx: bool = True, name: str = "valeurs.csv") -> Any:
    headers = {**HTMX, "X-CSRF-Token": token} if htmx else {}
    data = {} if htmx else {"csrf_token": token}
    body = content.encode("utf-8") if isinstance(content, str) else content
    return await client.post("/indicateurs/import", headers=headers, data=data, files={"file": (name, body)})


def preview_id(response: Any) -> str:
    found = re.search(r'action="/indicateurs/import/(\d+)/confirmer"', response.text)
    assert found, "no confirmation form in the preview"
    return found[1]


async def test_a_file_with_several_bad_rows_shows_one_message_per_row_and_records_nothing(gateway, stack) -> None:
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
        f"{places['id']};2024;;;provisoire;;",                # 9 no value: skipped, counted
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
    assert "8 lignes : 1 ligne vide ignorée, 6 erreurs." in text
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


async def test_a_valid_file_is_previewed_then_recorded_once_confirmed(gateway, stack) -> None:
    places = await definition(stack, 24, "Nombre de places")
    lines = ["indicateur,periode,qpv,valeur,qualification,commentaire,source"]
    lines += [f"{places['id']},{year},,{100 + year - 2015},definitif,\"comptage, CAF\"," for year in (2015, 2016)]
    lines += [f"{places['id']},2017,,,definitif,,"]
    who = await gateway.account("caf", name="Claude CAF")
    async with gateway.client() as client:
        token = await gateway.logged_in(client, who)
        previewed = await upload(client, token, "\r\n".join(lines))
        nothing_yet = await submissions(stack, places["id"], period="2015")
        confirmed = await client.post(f"/indicateurs/import/{preview_id(previewed)}/confirmer",
                                      headers={**HTMX, "X-CSRF-Token": token})
        twice = await client.post(f"/indicateurs/import/{preview_id(previewed)}/confirmer",
                                  headers={**HTMX, "X-CSRF-Token": token})
        again = await upload(client, token, "\r\n".join(lines))
        lines[2] = f"{places['id']},2016,,150,definitif,,"
        corrected = await upload(client, token, "\r\n".join(lines), htmx=False)
        plain = await client.post(f"/indicateurs/import/{preview_id(corrected)}/confirmer",
                                  data={"csrf_token": token})
        after = await client.get(plain.headers["location"].split("#")[0])
        empty = await upload(client, token, "")
    assert previewed.status_code == 200
    words = text_of(previewed)
    assert "3 lignes : 2 valeurs à enregistrer, 1 ligne vide ignorée, 0 erreur." in words
    assert "rien n'est encore enregistré" in words and "Confirmer : enregistrer 2 valeurs" in words
    assert nothing_yet == []
    assert confirmed.status_code == 201
    assert "Import terminé : 2 valeurs enregistrées" in text_of(confirmed)
    assert twice.status_code == 404 and "n'existe plus" in text_of(twice)
    assert "0 valeur à enregistrer" in text_of(again) and "2 lignes identiques" in text_of(again)
    assert "il n'y a rien à enregistrer" in text_of(again)
    assert "<html" in corrected.text and "correction (remplace 101)" in text_of(corrected)
    assert plain.status_code == 303 and plain.headers["location"].startswith("/indicateurs/import?import=")
    assert "Import terminé : 1 valeur enregistrée" in text_of(after)
    assert empty.status_code == 422 and "Choisissez un fichier" in text_of(empty)
    found = {s["period"]: s for s in await submissions(stack, places["id"])}
    assert (found["2015"]["value"], found["2016"]["value"]) == (100, 150) and "2017" not in found
    assert found["2015"]["state"] == "soumis" and found["2015"]["comment"] == "comptage, CAF"


async def test_the_templates_list_the_organisation_s_values_with_read_only_reminders(gateway, stack) -> None:
    defs = await definitions_ready(stack)
    qpv = (await stack["indicateurs"].client.get("/api/v1/qpv", headers=auth(SECRETARIAT))).json()
    mine = [d for d in defs if "caf" in d["responsible"]]
    expected = sum((len(d["qpv"]) or len(qpv)) if d["by_qpv"] else 1 for d in mine)
    who = await gateway.account("caf")
    async with gateway.client() as client:
        await gateway.logged_in(client, who)
        as_csv = await client.get("/indicateurs/import/modele.csv")
        as_xlsx = await client.get("/indicateurs/import/modele.xlsx")
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    lines = as_csv.content.decode("utf-8-sig").splitlines()
    assert lines[0] == ("indicateur;libellé;engagement;unité;periode;qpv;quartier;valeur;qualification;commentaire;"
                        "source")
    assert len(lines) == 1 + expected
    assert {int(line.split(";")[0]) for line in lines[1:]} == {d["id"] for d in mine}
    assert as_xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(as_xlsx.content))["Valeurs"]
    header = [c.value for c in sheet[1]]
    assert header == lines[0].split(";")
    assert sheet.max_row == 1 + expected and sheet.protection.sheet
    first = sheet[2]
    label = next(d for d in mine if d["id"] == first[0].value)["label"]
    assert first[1].value == label and first[1].protection.locked, "the label is a read-only reminder"
    assert not first[header.index("valeur")].protection.locked, "the value is to be typed"


async def test_a_file_past_the_limit_is_refused_while_it_streams_into_the_gateway(stack, tmp_path) -> None:
    from gateway.app import create_app
    from tests.gateway.conftest import Gateway, gateway_settings, transports_for

    settings = gateway_settings(tmp_path, upload_max_bytes=200_000)
    app = create_app(settings, transports=transports_for(stack))
    async with app.router.lifespan_context(app):
        gw = Gateway(app, settings)
        who = await gw.account("caf")
        async with gw.client() as client:
            token = await gw.logged_in(client, who)
            htmx = await upload(client, token, b"x" * 600_000)
            plain = await upload(client, token, b"x" * 600_000, htmx=False)
    assert htmx.status_code == 413 and "Fichier trop volumineux" in text_of(htmx)
    assert plain.status_code == 413 and "<html" in plain.text


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
