"""Completeness per period, series with target, and open-data exports of approved values only."""

from __future__ import annotations

import csv
import io

from gateway.contract import loader
from services.indicateurs.exports import EXPORT_COLUMNS
from tests.conftest import ADMIN, auth
from tests.indicateurs.conftest import (
    CAF,
    DSDEN,
    NANTES,
    REZE,
    SECRETARIAT,
    find_definition,
    refine,
    submit,
    wait_for,
)


async def approve(c, submission: dict) -> None:  # type: ignore[no-untyped-def]
    r = await c.post(f"/api/v1/submissions/{submission['id']}/approve", headers=auth(SECRETARIAT))
    assert r.status_code == 200, r.text


async def test_completeness_names_who_still_owes_what(indicateurs) -> None:
    c = indicateurs.client
    participation = await find_definition(c, 40, "Participation des habitants")  # St-Herblain, Rezé, Nantes
    pupils = await refine(c, await find_definition(c, 28, "Nombre de collégiens"), by_qpv=True,
                          qpv=["malakoff", "breil"])
    await submit(c, NANTES, participation["id"], "2020", 300)
    returned = await submit(c, REZE, participation["id"], "2020", 80)
    await c.post(f"/api/v1/submissions/{returned['id']}/reject", headers=auth(SECRETARIAT), json={"reason": "Doublon"})
    await approve(c, await submit(c, DSDEN, pupils["id"], "2020", 25, qpv_id="breil"))

    report = (await c.get("/api/v1/completeness", params={"period": "2020"}, headers=auth(SECRETARIAT))).json()
    by_id = {i["indicator_id"]: i for i in report["indicators"]}
    p = by_id[participation["id"]]
    assert (p["expected"], p["received"], p["complete"]) == (3, 1, False)
    assert sorted(p["missing_organisations"]) == ["ville-reze", "ville-saint-herblain"]
    assert {(m["organisation_id"], m["status"]) for m in p["missing"]} == {("ville-reze", "a_reprendre"),
                                                                           ("ville-saint-herblain", "manquant")}
    q = by_id[pupils["id"]]
    assert (q["expected"], q["received"]) == (2, 1)
    assert [(m["organisation_id"], m["qpv_id"]) for m in q["missing"]] == [("etat-dsden", "malakoff")]
    assert report["expected"] == sum(i["expected"] for i in report["indicators"]) and report["received"] == 2
    assert 0 < report["rate"] < 1

    own = (await c.get("/api/v1/completeness", params={"period": "2020"}, headers=auth(REZE))).json()
    assert own["organisation_id"] == "ville-reze"
    assert all(m["organisation_id"] == "ville-reze" for i in own["indicators"] for m in i["missing"])
    assert (await c.get("/api/v1/completeness", params={"period": "2020", "organisation": "caf"},
                        headers=auth(REZE))).status_code == 403
    bad = await c.get("/api/v1/completeness", params={"period": "l'an dernier"}, headers=auth(REZE))
    assert bad.status_code == 422 and "Période invalide" in bad.json()["message"]
    first_quarter = (await c.get("/api/v1/completeness", params={"period": "2020-T1"},
                                 headers=auth(SECRETARIAT))).json()
    assert first_quarter["expected"] == 0, "annual indicators owe nothing for a quarter"


async def test_series_and_exports_show_approved_values_only(indicateurs) -> None:
    c = indicateurs.client
    places = await refine(c, await find_definition(c, 24, "Nombre de places"), target=150)
    aides = await refine(c, await find_definition(c, 24, "Nombre d'aides"), by_qpv=True, unit="euros")
    for year, value in ((2018, 100), (2019, 120)):
        await approve(c, await submit(c, CAF, places["id"], str(year), value, qualification="definitif"))
    v1 = await submit(c, CAF, places["id"], "2020", 130)
    await approve(c, v1)
    await submit(c, CAF, places["id"], "2020", 135, version=1)  # correction pending: 130 stays exported
    await submit(c, CAF, places["id"], "2021", 140)  # submitted, not approved: not exported
    await approve(c, await submit(c, CAF, aides["id"], "2020", 5000.5, qpv_id="malakoff"))
    await approve(c, await submit(c, CAF, aides["id"], "2020", 7000, qpv_id="dervallieres"))

    series = (await c.get(f"/api/v1/definitions/{places['id']}/series", headers=auth(NANTES))).json()
    assert series["target"] == 150 and series["periods"] == ["2018", "2019", "2020"]
    assert [(p["period"], p["value"], p["version"]) for p in series["points"]] == [
        ("2018", 100, 1), ("2019", 120, 1), ("2020", 130, 1)]
    by_qpv = (await c.get(f"/api/v1/definitions/{aides['id']}/series", headers=auth(NANTES))).json()
    assert by_qpv["by_qpv"] and {(p["qpv_id"], p["qpv_name"]) for p in by_qpv["points"]} == {
        ("malakoff", "Malakoff"), ("dervallieres", "Dervallières")}

    r = await c.get("/api/v1/exports/values.csv", params={"engagement": 24}, headers=auth(NANTES))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    assert [(x["indicator_id"], x["period"], x["qpv_id"], x["value"]) for x in rows] == [
        (str(places["id"]), "2018", "", "100"), (str(places["id"]), "2019", "", "120"),
        (str(places["id"]), "2020", "", "130"),
        (str(aides["id"]), "2020", "dervallieres", "7000"), (str(aides["id"]), "2020", "malakoff", "5000.5")]
    first = rows[0]
    assert (first["contract_id"], first["engagement_number"], first["unit"], first["qualification"],
            first["organisation_id"], first["version"]) == ("nantes-metropole-2019", "24", "nombre", "definitif",
                                                            "caf", "1")
    assert first["indicator_label"] == "Nombre de places" and first["approved_at"].startswith("20")

    semicolon = await c.get("/api/v1/exports/values.csv", params={"period": "2019", "sep": ";"}, headers=auth(CAF))
    assert semicolon.text.splitlines()[0].startswith("contract_id;engagement_number;")
    assert len(semicolon.text.strip().splitlines()) == 2

    data = (await c.get("/api/v1/exports/values.json", params={"indicator": aides["id"], "qpv": "malakoff"},
                        headers=auth(NANTES))).json()
    assert data["count"] == 1 and data["columns"] == EXPORT_COLUMNS
    [value] = data["values"]
    assert list(value) == list(EXPORT_COLUMNS)
    assert (value["value"], value["unit"], value["qpv_id"], value["period"]) == (5000.5, "euros", "malakoff", "2020")
    assert data["filters"] == {"indicator": aides["id"], "qpv": "malakoff"}
    assert (await c.get("/api/v1/exports/values.json", params={"engagement": 1}, headers=auth(NANTES))).json()[
        "count"] == 0
    latest = (await c.get("/api/v1/latest-values", params={"engagement": 24}, headers=auth(NANTES))).json()
    assert [(x["indicator_id"], x["period"]) for x in latest] == [
        (places["id"], "2020"), (aides["id"], "2020"), (latest[2]["indicator_id"], None)]
    assert [p["value"] for p in latest[0]["values"]] == [130] and latest[0]["target"] == 150
    assert len(latest[1]["values"]) == 2 and latest[2]["values"] == []
    schema = (await c.get("/api/v1/exports/schema", headers=auth(NANTES))).json()
    assert list(schema) == list(EXPORT_COLUMNS) and all(v["description"] for v in schema.values())
    assert (await c.get("/api/v1/exports/values.csv")).status_code == 401


async def test_qpv_national_codes_come_from_participation_and_join_the_exports(indicateurs, default_contract) -> None:
    c = indicateurs.client
    registry = loader.participation_part(default_contract)
    malakoff = next(q for q in registry["qpv"] if q["id"] == "malakoff")
    malakoff["code"] = "QP044TEST"  # a made-up code: the contract file carries none yet
    r = await indicateurs.participation.put("/api/v1/registry", json=registry, headers=auth(ADMIN))
    assert r.status_code == 200 and r.json()["qpv_changed"] == ["malakoff"]

    async def coded() -> bool:
        found = (await c.get("/api/v1/qpv", headers=auth(CAF))).json()
        return any(q["id"] == "malakoff" and q["code"] == "QP044TEST" for q in found)

    await wait_for(coded, what="the QPV code reaching indicateurs")
    aides = await refine(c, await find_definition(c, 24, "Nombre d'aides"), by_qpv=True)
    by_code = await submit(c, CAF, aides["id"], "2020", 3, qpv_id="qp044test")
    assert (by_code["qpv_id"], by_code["qpv_code"]) == ("malakoff", "QP044TEST"), "a QPV may be named by its code"
    await approve(c, by_code)
    data = (await c.get("/api/v1/exports/values.json", params={"qpv": "QP044TEST"}, headers=auth(CAF))).json()
    assert [(v["qpv_id"], v["qpv_code"]) for v in data["values"]] == [("malakoff", "QP044TEST")]
