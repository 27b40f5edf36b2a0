"""Values through the API: submission, correction as new versions, validation, return for revision, rights."""

from __future__ import annotations

import asyncio

from tests.conftest import auth, identity
from tests.indicateurs.conftest import (
    CAF,
    DSDEN,
    NANTES,
    REZE,
    SECRETARIAT,
    find_definition,
    not_computed,
    refine,
    submit,
)


async def test_submit_correct_reject_resubmit_approve(indicateurs) -> None:
    c = indicateurs.client
    d = await find_definition(c, 24, "Nombre de places")

    first = await submit(c, CAF, d["id"], "2020", 120, qualification="provisoire", comment="Premier comptage",
                         source="Fichier CAF 12/2020")
    assert (first["state"], first["version"], first["latest"]) == ("soumis", 1, True)
    assert first["submitted_by_name"] == "Claude CAF" and first["organisation_id"] == "caf"
    assert first["source"] == "Fichier CAF 12/2020"

    corrected = await submit(c, CAF, d["id"], "2020", 118, qualification="estime", version=1)
    assert (corrected["version"], corrected["state"], corrected["value"]) == (2, "soumis", 118)
    assert [(v["version"], v["value"], v["latest"]) for v in corrected["history"]] == \
        [(2, 118, True), (1, 120, False)], "the old version stays visible, nothing overwritten"

    old = await c.post(f"/api/v1/submissions/{first['id']}/approve", headers=auth(SECRETARIAT))
    assert old.status_code == 409 and "plus récente" in old.json()["message"]

    no_reason = await c.post(f"/api/v1/submissions/{corrected['id']}/reject", headers=auth(SECRETARIAT),
                             json={"reason": "   "})
    assert no_reason.status_code == 422 and "motif est obligatoire" in no_reason.json()["message"]
    rejected = await c.post(f"/api/v1/submissions/{corrected['id']}/reject", headers=auth(SECRETARIAT),
                            json={"reason": "Le chiffre n'inclut pas les places de Rezé."})
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["state"] == "a_reprendre"

    seen = (await c.get(f"/api/v1/submissions/{corrected['id']}", headers=auth(CAF))).json()
    assert seen["state_label"] == "À reprendre" and seen["reason"] == "Le chiffre n'inclut pas les places de Rezé."
    assert seen["reviewed_by_name"] == "Sacha Secrétariat"
    twice = await c.post(f"/api/v1/submissions/{corrected['id']}/approve", headers=auth(SECRETARIAT))
    assert twice.status_code == 409 and "À reprendre" in twice.json()["message"]

    again = await submit(c, CAF, d["id"], "2020", 131, qualification="definitif", version=2,
                         comment="Rezé inclus")
    assert (again["version"], again["state"]) == (3, "soumis")
    approved = await c.post(f"/api/v1/submissions/{again['id']}/approve", headers=auth(SECRETARIAT))
    assert approved.status_code == 200
    body = approved.json()
    assert (body["state"], body["qualification"], body["reviewed_by_name"]) == \
        ("approuve", "definitif", "Sacha Secrétariat")
    assert [h["state"] for h in body["history"]] == ["approuve", "a_reprendre", "soumis"]

    mine = (await c.get("/api/v1/submissions", params={"indicator": d["id"]}, headers=auth(CAF))).json()
    assert [(s["version"], s["state"]) for s in mine] == [(3, "approuve")]
    every = (await c.get("/api/v1/submissions", params={"indicator": d["id"], "all_versions": True},
                         headers=auth(CAF))).json()
    assert [s["version"] for s in every] == [3, 2, 1]


async def test_a_draft_is_kept_then_submitted(indicateurs) -> None:
    c = indicateurs.client
    d = await find_definition(c, 28, "Nombre de collèges")
    draft = await submit(c, DSDEN, d["id"], "2021", 14, draft=True)
    assert draft["state"] == "brouillon" and draft["submitted_at"] is None
    early = await c.post(f"/api/v1/submissions/{draft['id']}/approve", headers=auth(SECRETARIAT))
    assert early.status_code == 409, "a draft is not the secretariat's to validate"
    r = await c.post(f"/api/v1/submissions/{draft['id']}/submit", headers=auth(DSDEN))
    assert r.status_code == 200 and r.json()["state"] == "soumis" and r.json()["submitted_at"]


async def test_only_referents_of_responsible_organisations_submit(indicateurs) -> None:
    c = indicateurs.client
    d = await find_definition(c, 24, "Nombre de places")  # the CAF alone reports it
    body = {"indicator_id": d["id"], "period": "2020", "value": 3}
    for who in (NANTES, SECRETARIAT, identity("caf", "integrator"), identity(None, "referent")):
        r = await c.post("/api/v1/submissions", headers=auth(who), json=body)
        assert r.status_code == 403, (who.roles, r.text)
        assert r.json()["code"] == "forbidden" and r.json()["message"]
    assert "ville-nantes" in (await c.post("/api/v1/submissions", headers=auth(NANTES), json=body)).json()["message"]
    assert (await c.post("/api/v1/submissions", json=body)).status_code == 401
    assert (await c.get("/api/v1/submissions", params={"indicator": d["id"]}, headers=auth(SECRETARIAT))).json() == []


async def test_only_the_secretariat_validates(indicateurs) -> None:
    c = indicateurs.client
    d = await find_definition(c, 24, "Nombre de places")
    s = await submit(c, CAF, d["id"], "2020", 5)
    for who in (CAF, NANTES, identity("nantes-metropole", "referent")):
        for action, body in (("approve", None), ("reject", {"reason": "non"})):
            r = await c.post(f"/api/v1/submissions/{s['id']}/{action}", headers=auth(who), json=body)
            assert r.status_code == 403 and r.json()["code"] == "forbidden", r.text
            assert "secrétariat" in r.json()["message"]
    assert (await c.get(f"/api/v1/submissions/{s['id']}", headers=auth(CAF))).json()["state"] == "soumis"
    admin = identity(None, "admin")
    assert (await c.post(f"/api/v1/submissions/{s['id']}/approve", headers=auth(admin))).status_code == 200


async def test_a_referent_reads_only_its_own_organisation_values(indicateurs) -> None:
    c = indicateurs.client
    d = await find_definition(c, 24, "Nombre de places")
    s = await submit(c, CAF, d["id"], "2020", 5)
    assert (await c.get(f"/api/v1/submissions/{s['id']}", headers=auth(NANTES))).status_code == 403
    r = await c.get("/api/v1/submissions", params={"organisation": "caf"}, headers=auth(NANTES))
    assert r.status_code == 403
    assert (await c.get("/api/v1/submissions", headers=auth(NANTES))).json() == []
    everyone = (await c.get("/api/v1/submissions", headers=auth(SECRETARIAT))).json()
    assert [v["id"] for v in not_computed(everyone)] == [s["id"]], "the secretariat reads every organisation's"


async def test_period_and_qpv_must_fit_the_definition(indicateurs) -> None:
    c = indicateurs.client
    d = await find_definition(c, 24, "Nombre de places")
    cases = [
        ({"period": "2020-S1"}, "Période hors périodicité"),
        ({"period": "2020-T5"}, "Période invalide"),
        ({"period": "vingt"}, "Période invalide"),
        ({"qpv_id": "malakoff"}, "n'est pas décliné par QPV"),
        ({"value": -4}, "négative est impossible"),
        ({"value": "beaucoup"}, "value : nombre attendu"),
        ({"qualification": "certain"}, "qualification : valeur non permise"),
        ({"indicator_id": 99999}, "L'indicateur n° 99999 n'existe pas"),
    ]
    for fields, needle in cases:
        body = {"indicator_id": d["id"], "period": "2020", "value": 4, **fields}
        r = await c.post("/api/v1/submissions", headers=auth(CAF), json=body)
        assert r.status_code in (404, 422), (fields, r.text)
        assert needle in r.json()["message"], (needle, r.text)

    by_qpv = await refine(c, await find_definition(c, 24, "Nombre d'aides"), by_qpv=True, periodicity="trimestrielle")
    missing = await c.post("/api/v1/submissions", headers=auth(CAF),
                           json={"indicator_id": by_qpv["id"], "period": "2020-T2", "value": 4})
    assert missing.status_code == 422 and "indiquez le QPV" in missing.json()["message"]
    unknown = await c.post("/api/v1/submissions", headers=auth(CAF),
                           json={"indicator_id": by_qpv["id"], "period": "2020-T2", "value": 4, "qpv_id": "atlantide"})
    assert unknown.status_code == 422 and "QPV inconnu" in unknown.json()["message"]
    ok = await submit(c, CAF, by_qpv["id"], "2020-t2", 4, qpv_id="malakoff")
    assert (ok["period"], ok["qpv_id"], ok["qpv_name"]) == ("2020-T2", "malakoff", "Malakoff")
    assert (await c.get("/api/v1/submissions", headers=auth(CAF))).json() == [
        {**{k: v for k, v in ok.items() if k != "history"}}]


async def test_a_first_value_or_correction_from_a_stale_version_gets_a_conflict(indicateurs) -> None:
    c = indicateurs.client
    d = await find_definition(c, 24, "Nombre de places")
    first = await submit(c, CAF, d["id"], "2020", 10)
    colleague = identity("caf", "referent", name="Dominique CAF")
    r = await c.post("/api/v1/submissions", headers=auth(colleague),
                     json={"indicator_id": d["id"], "period": "2020", "value": 11})
    assert r.status_code == 409 and r.json()["current"]["value"] == 10 and r.json()["current"]["version"] == 1
    await submit(c, CAF, d["id"], "2020", 12, version=first["version"])
    r = await c.post("/api/v1/submissions", headers=auth(colleague),
                     json={"indicator_id": d["id"], "period": "2020", "value": 13, "version": 1})
    assert r.status_code == 409 and r.json()["current"]["version"] == 2


async def test_simultaneous_corrections_one_wins(indicateurs) -> None:
    c = indicateurs.client
    d = await find_definition(c, 24, "Nombre de places")
    await submit(c, CAF, d["id"], "2020", 10)
    results = await asyncio.gather(*(c.post("/api/v1/submissions", headers=auth(CAF),
                                            json={"indicator_id": d["id"], "period": "2020", "value": 20 + i,
                                                  "version": 1}) for i in range(4)))
    assert sorted(r.status_code for r in results) == [201, 409, 409, 409]
    versions = (await c.get("/api/v1/submissions", params={"all_versions": True}, headers=auth(CAF))).json()
    assert [v["version"] for v in versions] == [2, 1]
    assert sum(v["latest"] for v in versions) == 1


async def test_co_pilots_report_their_own_values(indicateurs) -> None:
    c = indicateurs.client
    d = await find_definition(c, 40, "Participation des habitants")  # Saint-Herblain, Rezé, Nantes
    nantes = await submit(c, NANTES, d["id"], "2020", 300)
    reze = await submit(c, REZE, d["id"], "2020", 80)
    assert nantes["version"] == reze["version"] == 1, "each organisation has its own value, not a correction"


async def test_simultaneous_reviews_of_a_value_one_wins(indicateurs) -> None:
    c = indicateurs.client
    d = await find_definition(c, 24, "Nombre de places")
    value = await submit(c, CAF, d["id"], "2020", 10)
    url = f"/api/v1/submissions/{value['id']}"
    results = await asyncio.gather(*(c.post(f"{url}/approve", headers=auth(SECRETARIAT)) for _ in range(3)),
                                   c.post(f"{url}/reject", headers=auth(SECRETARIAT), json={"reason": "Source ?"}))
    assert sorted(r.status_code for r in results) == [200, 409, 409, 409]
    [winner] = [r.json() for r in results if r.status_code == 200]
    assert all(r.json()["code"] == "conflict" for r in results if r.status_code == 409)
    stored = (await c.get(url, headers=auth(CAF))).json()
    assert stored["state"] == winner["state"] in ("approuve", "a_reprendre")
    assert [h["version"] for h in stored["history"]] == [1], "a review changes the state, never adds a version"
