"""The engagements' status for the COPIL as .xlsx and CSV, with the overview's filters; what a pilot typed is
neutralised when a spreadsheet would run it as a formula."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.gateway.test_engagements import HTMX, form, part, piloted_by


async def test_the_status_export_follows_the_filters_and_neutralises_formulas(gateway, stack) -> None:
    numbers = await piloted_by(stack, "etat-ddsp")
    before = await part(stack, numbers[0], "etat-ddsp")
    referent = await gateway.account("etat-ddsp", name="Sam DDSP")
    secretariat = await gateway.account("nantes-metropole", "secretariat", name="Claire Dubois")
    async with gateway.client() as ref, gateway.client() as client:
        token = await gateway.logged_in(ref, referent)
        saved = await ref.post(f"/engagements/{numbers[0]}/parts/etat-ddsp", headers={**HTMX, "X-CSRF-Token": token},
                               data=form(before["version"], status="en_cours", progress="55",
                                         comment='=HYPERLINK("http://exemple.invalid";"voir")',
                                         next_milestone="@bilan de mi-parcours"))
        assert saved.status_code == 200, saved.text
        await gateway.logged_in(client, secretariat)
        page = await client.get("/vue-d-ensemble?pilote=etat-ddsp")
        as_xlsx = await client.get("/vue-d-ensemble/export.xlsx?pilote=etat-ddsp")
        as_csv = await client.get("/vue-d-ensemble/export.csv?pilote=etat-ddsp")
        everything = await client.get("/vue-d-ensemble/export.csv")
    assert 'href="/vue-d-ensemble/export.xlsx?pilote=etat-ddsp"' in page.text
    assert as_xlsx.status_code == 200 and as_xlsx.headers["content-disposition"].startswith("attachment;")
    workbook = load_workbook(io.BytesIO(as_xlsx.content))
    engagements = list(workbook["Engagements"].iter_rows(values_only=True))
    assert engagements[0][:2] == ("N°", "Engagement")
    assert sorted(r[0] for r in engagements[1:]) == sorted(numbers)
    parts = list(workbook["Parts des pilotes"].iter_rows(min_row=2))
    ddsp = "État – Direction départementale de la sécurité publique"
    mine = next(r for r in parts if r[0].value == numbers[0] and r[2].value == ddsp)
    assert (mine[3].value, mine[4].value) == ("En cours", 55)
    assert mine[8].value == "'=HYPERLINK(\"http://exemple.invalid\";\"voir\")" and mine[8].data_type == "s"
    assert mine[5].value == "'@bilan de mi-parcours"
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0][0] == "N°" and sorted(int(r[0]) for r in rows[1:]) == sorted(numbers)
    assert len(list(csv.reader(io.StringIO(everything.content.decode("utf-8-sig"))))) == 51
