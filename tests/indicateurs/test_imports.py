"""CSV import: validated as a whole, one French reason per bad line, all or nothing."""

from __future__ import annotations

from sqlmodel import func, select

from services.indicateurs.models import Submission
from tests.conftest import auth
from tests.indicateurs.conftest import CAF, NANTES, SECRETARIAT, find_definition, not_computed, refine, submit

HEADER = "indicateur;periode;qpv;valeur;qualification;commentaire;source"


async def caf_definitions(c) -> tuple[dict, dict, dict]:  # type: ignore[no-untyped-def]
    places = await find_definition(c, 24, "Nombre de places")
    aides = await refine(c, await find_definition(c, 24, "Nombre d'aides"), by_qpv=True)
    evolution = await refine(c, await find_definition(c, 24, "Évolution"), unit="%", negative_allowed=True)
    return places, aides, evolution


async def post_csv(c, who, text: str, **params):  # type: ignore[no-untyped-def]
    return await c.post("/api/v1/imports", headers={**auth(who), "Content-Type": "text/csv"},
                        content=text.encode("utf-8"), params=params)


async def test_a_file_with_bad_rows_is_refused_whole_with_one_reason_per_bad_row(indicateurs) -> None:
    c = indicateurs.client
    places, aides, evolution = await caf_definitions(c)
    nantes_only = await find_definition(c, 42, "Nombre d'enfants inscrits")  # not the CAF's
    lines = [
        HEADER,
        f"{places['id']};2020;;120;définitif;;Fichier CAF",        # 2 valid
        "99999;2020;;5;provisoire;;",                              # 3 indicateur inconnu
        f"{aides['id']};2020;atlantide;5;provisoire;;",            # 4 QPV inconnu
        f"{places['id']};2020-S1;;5;provisoire;;",                 # 5 période hors périodicité
        f"{aides['id']};2020;malakoff;douze;provisoire;;",         # 6 valeur non numérique
        f"{places['id']};2021;;-3;provisoire;;",                   # 7 valeur négative impossible
        f"{places['id']};2020;;121;définitif;;",                   # 8 ligne en double (of 2)
        f"{nantes_only['id']};2020;;7;provisoire;;",               # 9 organisation non responsable
        f"{aides['id']};2020;;7;provisoire;;",                     # 10 QPV manquant
        f"{places['id']};2022;malakoff;7;provisoire;;",            # 11 QPV non attendu
        f"{places['id']};2023;;7;certain;;",                       # 12 qualification inconnue
        f"{places['id']};2024;;7",                                 # 13 nombre de colonnes
        f"{evolution['id']};2020;;-2,5;estimé;\"baisse ; nette\";INSEE",  # 14 valid (negative allowed)
        f"{aides['id']};2020;dervallieres;1 234,5;provisoire;;",   # 15 valid
    ]
    r = await post_csv(c, CAF, "\n".join(lines) + "\n")
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "invalid_rows" and "rien n'a été enregistré" in body["message"]
    reasons = {e["line"]: e["reason"] for e in body["errors"]}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], "one message per bad row, none for good ones"
    assert len(body["errors"]) == 11
    expected = {
        3: "indicateur inconnu « 99999 »",
        4: "QPV inconnu « atlantide »",
        5: "période hors périodicité",
        6: "valeur non numérique « douze »",
        7: "valeur négative impossible",
        8: "ligne en double : même indicateur, période et QPV qu'à la ligne 2",
        9: "organisation non responsable",
        10: "QPV manquant",
        11: "QPV non attendu",
        12: "qualification inconnue « certain »",
        13: "nombre de colonnes incorrect",
    }
    for line, needle in expected.items():
        assert needle in reasons[line], (line, reasons[line])
    recorded = (await c.get("/api/v1/submissions", headers=auth(SECRETARIAT))).json()
    assert not_computed(recorded) == [], "nothing recorded (the secretariat sees only the computed coverage)"


async def test_a_valid_file_imports_completely_and_a_second_import_records_nothing(indicateurs) -> None:
    c = indicateurs.client
    places, aides, evolution = await caf_definitions(c)
    qpv = [q["id"] for q in (await c.get("/api/v1/qpv", headers=auth(CAF))).json()]
    lines = ["indicateur,periode,qpv,valeur,qualification,commentaire,source"]
    lines += [f"{places['id']},{year},,{100 + year - 2015},definitif,,Fichier CAF" for year in range(2015, 2021)]
    lines += [f"{aides['id']},2020,{q},{i * 10},provisoire,\"comptage, à confirmer\"," for i, q in enumerate(qpv)]
    lines += [f"{evolution['id']},2020,,-1.5,estime,,"]
    r = await post_csv(c, CAF, "\ufeff" + "\r\n".join(lines))
    assert r.status_code == 201, r.text
    report = r.json()
    rows = 6 + len(qpv) + 1
    assert (report["rows"], report["recorded"], report["corrected"], report["unchanged"]) == (rows, rows, 0, 0)
    values = (await c.get("/api/v1/submissions", headers=auth(CAF))).json()
    assert len(values) == rows and all(v["state"] == "soumis" and v["import_id"] == report["import_id"]
                                       for v in values)
    malakoff = next(v for v in values if v["qpv_id"] == "malakoff")
    assert malakoff["comment"] == "comptage, à confirmer"
    run = (await c.get(f"/api/v1/imports/{report['import_id']}", headers=auth(CAF))).json()
    assert run["recorded"] == rows and run["actor_name"] == "Claude CAF"
    assert (await c.get(f"/api/v1/imports/{report['import_id']}", headers=auth(NANTES))).status_code == 403

    again = (await post_csv(c, CAF, "\r\n".join(lines))).json()
    assert (again["recorded"], again["corrected"], again["unchanged"]) == (0, 0, rows)

    lines[1] = f"{places['id']},2015,,99,definitif,,Fichier CAF corrigé"
    changed = (await post_csv(c, CAF, "\r\n".join(lines))).json()
    assert (changed["recorded"], changed["corrected"], changed["unchanged"]) == (0, 1, rows - 1)
    history = (await c.get("/api/v1/submissions", params={"indicator": places["id"], "period": "2015",
                                                          "all_versions": True}, headers=auth(CAF))).json()
    assert [(h["version"], h["value"], h["latest"]) for h in history] == [(2, 99, True), (1, 100, False)]


async def test_upload_as_a_form_and_dry_run(indicateurs) -> None:
    c = indicateurs.client
    places = await find_definition(c, 24, "Nombre de places")
    text = f"{HEADER}\n{places['id']};2019;;42;provisoire;;\n"
    checked = await c.post("/api/v1/imports", params={"dry_run": True}, headers=auth(CAF),
                           files={"file": ("caf.csv", text.encode(), "text/csv")})
    assert checked.status_code == 200 and checked.json()["dry_run"] and checked.json()["recorded"] == 1
    assert checked.json()["import_id"] is None
    assert (await c.get("/api/v1/submissions", headers=auth(CAF))).json() == []
    done = await c.post("/api/v1/imports", headers=auth(CAF), files={"file": ("caf.csv", text.encode(), "text/csv")})
    assert done.status_code == 201, done.text
    run = (await c.get(f"/api/v1/imports/{done.json()['import_id']}", headers=auth(CAF))).json()
    assert run["filename"] == "caf.csv"


async def test_file_level_problems_are_reported_on_their_line(indicateurs) -> None:
    c = indicateurs.client
    places = await find_definition(c, 24, "Nombre de places")
    bad_header = await post_csv(c, CAF, f"indicateur;periode;valeur;qualite\n{places['id']};2020;4;provisoire\n")
    assert bad_header.status_code == 422
    [error] = bad_header.json()["errors"]
    assert error["line"] == 1 and "colonne inconnue « qualite »" in error["reason"]
    assert "colonne « qpv » absente" in error["reason"]

    neither = f"{HEADER}\n{places['id']};2020;;4;provisoire;déjà;\n".encode("latin-1") + b"\x81\n"
    r = await c.post("/api/v1/imports", headers={**auth(CAF), "Content-Type": "text/csv"}, content=neither)
    assert r.status_code == 422 and r.json()["errors"][0]["reason"].startswith("encodage non reconnu")
    empty = await post_csv(c, CAF, HEADER + "\n")
    assert empty.status_code == 422 and "aucune valeur" in empty.json()["errors"][0]["reason"]


async def test_a_field_past_the_csv_readers_default_limit_is_a_line_error(indicateurs) -> None:
    c = indicateurs.client
    places = await find_definition(c, 24, "Nombre de places")
    long = "a" * 200_000  # the csv module's default field limit is 131,072 characters
    text = f"{HEADER}\n{places['id']};2020;;4;provisoire;;\n{places['id']};2021;;5;provisoire;{long};\n"
    r = await post_csv(c, CAF, text)
    assert r.status_code == 422, r.text[:300]
    assert r.json()["code"] == "invalid_rows" and [e["line"] for e in r.json()["errors"]] == [3]
    quoted = f'{HEADER}\n{places["id"]};2021;;5;provisoire;"{long}";\n'
    r = await post_csv(c, CAF, quoted)
    assert r.status_code == 422 and [e["line"] for e in r.json()["errors"]] == [2]
    assert (await c.get("/api/v1/submissions", headers=auth(CAF))).json() == [], "nothing recorded"


async def test_only_a_referent_imports_and_existing_values_are_corrected_not_overwritten(indicateurs) -> None:
    c = indicateurs.client
    places = await find_definition(c, 24, "Nombre de places")
    text = f"{HEADER}\n{places['id']};2020;;42;provisoire;;\n"
    r = await post_csv(c, SECRETARIAT, text)
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    typed = await submit(c, CAF, places["id"], "2020", 40)
    approved = await c.post(f"/api/v1/submissions/{typed['id']}/approve", headers=auth(SECRETARIAT))
    assert approved.status_code == 200
    report = (await post_csv(c, CAF, text)).json()
    assert report["corrected"] == 1
    history = (await c.get("/api/v1/submissions", params={"all_versions": True}, headers=auth(CAF))).json()
    assert [(h["version"], h["value"], h["state"]) for h in history] == [(2, 42, "soumis"), (1, 40, "approuve")]


async def test_a_valid_ten_thousand_line_file_imports_completely(indicateurs) -> None:
    c = indicateurs.client
    nantes = [d for d in (await c.get("/api/v1/definitions", headers=auth(NANTES))).json()
              if "ville-nantes" in d["responsible"]][:20]
    for d in nantes:
        await refine(c, d, periodicity="trimestrielle", by_qpv=True)
    qpv = [q["id"] for q in (await c.get("/api/v1/qpv", headers=auth(NANTES))).json()]
    slots = [(d["id"], f"{year}-T{t}", q) for year in range(2001, 2016) for d in nantes for t in range(1, 5)
             for q in qpv][:10_000]
    text = HEADER + "\n" + "".join(f"{i};{p};{q};{n % 500};provisoire;;\n" for n, (i, p, q) in enumerate(slots))
    r = await post_csv(c, NANTES, text)
    assert r.status_code == 201, r.text[:2000]
    assert (r.json()["rows"], r.json()["recorded"]) == (10_000, 10_000)
    async with indicateurs.runtime.db.session() as session:
        count = (await session.exec(select(func.count()).select_from(Submission)
                                    .where(Submission.import_id == r.json()["import_id"]))).one()
    assert count == 10_000
    # 10,000 rows fill the first years completely (20 indicators × 4 quarters × 15 QPV = 1,200 rows a year).
    done = (await c.get("/api/v1/completeness", params={"period": "2005", "organisation": "ville-nantes"},
                        headers=auth(SECRETARIAT))).json()
    broken_down = [i for i in done["indicators"] if i["indicator_id"] in {d["id"] for d in nantes}]
    assert all(i["complete"] and i["expected"] == 4 * len(qpv) for i in broken_down)
