"""Campaigns: a collection window per period, to-do lists, locking when it closes, recorded reopening."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from services.indicateurs.service import common
from tests.conftest import auth
from tests.indicateurs.conftest import (
    CAF,
    DSDEN,
    NANTES,
    SECRETARIAT,
    find_definition,
    refine,
    submit,
    wait_for,
)


async def open_campaign(c, title: str, period: str, closes_on: date) -> dict:  # type: ignore[no-untyped-def]
    r = await c.post("/api/v1/campaigns", headers=auth(SECRETARIAT),
                     json={"title": title, "period": period, "closes_on": closes_on.isoformat()})
    assert r.status_code == 201, r.text
    return r.json()


async def test_only_the_secretariat_opens_one_campaign_per_period(indicateurs) -> None:
    c = indicateurs.client
    later = common.today() + timedelta(days=30)
    body = {"title": "Bilan 2020", "period": "2020", "closes_on": later.isoformat()}
    r = await c.post("/api/v1/campaigns", headers=auth(CAF), json=body)
    assert r.status_code == 403 and "secrétariat" in r.json()["message"]
    campaign = await open_campaign(c, "Bilan 2020", "2020", later)
    assert (campaign["status"], campaign["locked"], campaign["opened_by_name"]) == ("ouverte", False,
                                                                                     "Sacha Secrétariat")
    assert campaign["history"][0]["action"] == "ouverture"
    same = await c.post("/api/v1/campaigns", headers=auth(SECRETARIAT), json=body)
    assert same.status_code == 409 and "Bilan 2020" in same.json()["message"]
    past = await c.post("/api/v1/campaigns", headers=auth(SECRETARIAT),
                        json={**body, "period": "2019", "closes_on": "2019-01-31"})
    assert past.status_code == 422 and "déjà passée" in past.json()["message"]
    bad = await c.post("/api/v1/campaigns", headers=auth(SECRETARIAT), json={**body, "period": "2020-Q1"})
    assert bad.status_code == 422 and "Période invalide" in bad.json()["message"]
    assert [x["title"] for x in (await c.get("/api/v1/campaigns", headers=auth(CAF))).json()] == ["Bilan 2020"]


async def test_todo_lists_what_an_organisation_still_owes(indicateurs) -> None:
    c = indicateurs.client
    places = await find_definition(c, 28, "Nombre de collèges")
    pupils = await refine(c, await find_definition(c, 28, "Nombre de collégiens"), by_qpv=True,
                          qpv=["malakoff", "bottiere-pin-sec"], periodicity="semestrielle")
    campaign = await open_campaign(c, "Bilan 2021", "2021", common.today() + timedelta(days=10))
    url = f"/api/v1/campaigns/{campaign['id']}/todo"

    todo = (await c.get(url, headers=auth(DSDEN))).json()
    also = len((await c.get("/api/v1/definitions", params={"engagement": 27}, headers=auth(DSDEN))).json())
    assert todo["organisation_id"] == "etat-dsden" and todo["expected"] == also + 1 + 2 * 2
    owed = {(o["indicator_id"], o["period"], o["qpv_id"]): o["status"] for o in todo["owed"]
            if o["engagement_number"] == 28}
    assert owed == {(places["id"], "2021", None): "manquant",
                    (pupils["id"], "2021-S1", "bottiere-pin-sec"): "manquant",
                    (pupils["id"], "2021-S1", "malakoff"): "manquant",
                    (pupils["id"], "2021-S2", "bottiere-pin-sec"): "manquant",
                    (pupils["id"], "2021-S2", "malakoff"): "manquant"}

    done = await submit(c, DSDEN, places["id"], "2021", 9)
    await submit(c, DSDEN, pupils["id"], "2021-S1", 40, qpv_id="malakoff", draft=True)
    returned = await submit(c, DSDEN, pupils["id"], "2021-S2", 41, qpv_id="malakoff")
    await c.post(f"/api/v1/submissions/{returned['id']}/reject", headers=auth(SECRETARIAT),
                 json={"reason": "Chiffre du S1 reporté"})
    todo = (await c.get(url, headers=auth(DSDEN))).json()
    owed = {(o["indicator_id"], o["period"], o["qpv_id"]): (o["status"], o["reason"]) for o in todo["owed"]
            if o["engagement_number"] == 28}
    assert (places["id"], "2021", None) not in owed, f"{done['id']} was submitted"
    assert owed[(pupils["id"], "2021-S1", "malakoff")] == ("brouillon", None)
    assert owed[(pupils["id"], "2021-S2", "malakoff")] == ("a_reprendre", "Chiffre du S1 reporté")
    assert len(owed) == 4

    assert (await c.get(url, params={"organisation": "etat-dsden"}, headers=auth(NANTES))).status_code == 403
    by_secretariat = (await c.get(url, params={"organisation": "etat-dsden"}, headers=auth(SECRETARIAT))).json()
    assert len(by_secretariat["owed"]) == also + 4
    assert (await c.get(url, headers=auth(SECRETARIAT))).status_code == 422, "the secretariat names the organisation"


async def test_a_correction_sent_back_is_owed_even_when_an_older_version_was_approved(indicateurs) -> None:
    c = indicateurs.client
    places = await find_definition(c, 28, "Nombre de collèges")
    campaign = await open_campaign(c, "Bilan 2026", "2026", common.today() + timedelta(days=10))
    first = await submit(c, DSDEN, places["id"], "2026", 12)
    assert (await c.post(f"/api/v1/submissions/{first['id']}/approve", headers=auth(SECRETARIAT))).status_code \
        == 200
    correction = await submit(c, DSDEN, places["id"], "2026", 21, version=first["version"])
    r = await c.post(f"/api/v1/submissions/{correction['id']}/reject", headers=auth(SECRETARIAT),
                     json={"reason": "21 ou 12 ? Les chiffres semblent inversés."})
    assert r.status_code == 200, r.text
    todo = (await c.get(f"/api/v1/campaigns/{campaign['id']}/todo", headers=auth(DSDEN))).json()
    owed = [(o["status"], o["reason"]) for o in todo["owed"] if o["indicator_id"] == places["id"]]
    assert owed == [("a_reprendre", "21 ou 12 ? Les chiffres semblent inversés.")]
    completeness = (await c.get("/api/v1/completeness", params={"period": "2026"}, headers=auth(DSDEN))).json()
    line = next(i for i in completeness["indicators"] if i["indicator_id"] == places["id"])
    assert line["received"] == line["expected"], "the approved version still counts as received"


async def test_closing_locks_the_period_until_the_secretariat_reopens_it(indicateurs) -> None:
    c = indicateurs.client
    d = await find_definition(c, 24, "Nombre de places")
    campaign = await open_campaign(c, "Bilan 2020", "2020", common.today() + timedelta(days=10))
    first = await submit(c, CAF, d["id"], "2020", 10)

    refused = await c.post(f"/api/v1/campaigns/{campaign['id']}/close", headers=auth(CAF), json={})
    assert refused.status_code == 403
    closed = await c.post(f"/api/v1/campaigns/{campaign['id']}/close", headers=auth(SECRETARIAT),
                          json={"reason": "Préparation du COPIL"})
    assert closed.status_code == 200 and closed.json()["locked"] and closed.json()["status"] == "close"

    r = await c.post("/api/v1/submissions", headers=auth(CAF),
                     json={"indicator_id": d["id"], "period": "2020", "value": 11, "version": 1})
    assert r.status_code == 409 and r.json()["code"] == "period_locked"
    assert "Bilan 2020" in r.json()["message"] and "rouvrir" in r.json()["message"]
    later_period = await submit(c, CAF, d["id"], "2021", 12)  # other periods are not concerned
    assert later_period["state"] == "soumis"
    approve = await c.post(f"/api/v1/submissions/{first['id']}/approve", headers=auth(SECRETARIAT))
    assert approve.status_code == 200, "validation goes on in a locked period"
    places = await find_definition(c, 24, "Nombre de places")
    csv = f"indicateur;periode;qpv;valeur;qualification\n{places['id']};2020;;13;provisoire\n"
    imported = await c.post("/api/v1/imports", headers={**auth(CAF), "Content-Type": "text/csv"}, content=csv)
    assert imported.status_code == 422 and "période verrouillée" in imported.json()["errors"][0]["reason"]

    no_reason = await c.post(f"/api/v1/campaigns/{campaign['id']}/reopen", headers=auth(SECRETARIAT),
                             json={"reason": ""})
    assert no_reason.status_code == 422
    by_referent = await c.post(f"/api/v1/campaigns/{campaign['id']}/reopen", headers=auth(CAF),
                               json={"reason": "Oubli"})
    assert by_referent.status_code == 403
    reopened = await c.post(f"/api/v1/campaigns/{campaign['id']}/reopen", headers=auth(SECRETARIAT),
                            json={"reason": "La CAF corrige le nombre de places"})
    assert reopened.status_code == 200 and not reopened.json()["locked"]
    history = reopened.json()["history"]
    assert [(h["action"], h["actor_name"]) for h in history] == [
        ("reouverture", "Sacha Secrétariat"), ("cloture", "Sacha Secrétariat"), ("ouverture", "Sacha Secrétariat")]
    assert history[0]["reason"] == "La CAF corrige le nombre de places"
    assert history[1]["reason"] == "Préparation du COPIL"
    assert (await submit(c, CAF, d["id"], "2020", 11, version=1))["version"] == 2


async def test_simultaneous_closings_of_a_campaign_one_wins(indicateurs) -> None:
    c = indicateurs.client
    campaign = await open_campaign(c, "Bilan 2023", "2023", common.today() + timedelta(days=10))
    url = f"/api/v1/campaigns/{campaign['id']}/close"
    results = await asyncio.gather(*(c.post(url, headers=auth(SECRETARIAT), json={"reason": f"Clôture {i}"})
                                     for i in range(3)))
    assert sorted(r.status_code for r in results) == [200, 409, 409]
    assert all("Bilan 2023" in r.json()["message"] for r in results if r.status_code == 409)
    found = (await c.get(f"/api/v1/campaigns/{campaign['id']}", headers=auth(CAF))).json()
    assert [h["action"] for h in found["history"]] == ["cloture", "ouverture"], "closed once, on record once"


async def test_a_campaign_closes_by_itself_once_its_day_has_passed(indicateurs, monkeypatch) -> None:
    c = indicateurs.client
    d = await find_definition(c, 24, "Nombre de places")
    closes_on = common.today() + timedelta(days=3)
    campaign = await open_campaign(c, "Bilan S1 2022", "2022-S1", closes_on)
    semestrial = await refine(c, await find_definition(c, 24, "Nombre d'aides"), periodicity="trimestrielle")

    monkeypatch.setattr(common, "today", lambda: closes_on)  # the last day still accepts values
    await submit(c, CAF, semestrial["id"], "2022-T2", 10)

    monkeypatch.setattr(common, "today", lambda: closes_on + timedelta(days=1))
    r = await c.post("/api/v1/submissions", headers=auth(CAF),
                     json={"indicator_id": semestrial["id"], "period": "2022-T1", "value": 10})
    assert r.status_code == 409 and r.json()["code"] == "period_locked", "a quarter inside the semester is locked"
    assert (await submit(c, CAF, d["id"], "2022", 10))["state"] == "soumis", "the year is not the semester"

    async def closed_on_record() -> bool:
        found = (await c.get(f"/api/v1/campaigns/{campaign['id']}", headers=auth(CAF))).json()
        return found["status"] == "close"

    await wait_for(closed_on_record, what="the sweep closing the campaign")
    found = (await c.get(f"/api/v1/campaigns/{campaign['id']}", headers=auth(CAF))).json()
    assert found["history"][0]["automatic"] and found["history"][0]["actor_name"] == "Clôture automatique"

    stale_date = await c.post(f"/api/v1/campaigns/{campaign['id']}/reopen", headers=auth(SECRETARIAT),
                              json={"reason": "Retard de la CAF"})
    assert stale_date.status_code == 422 and "nouvelle date de clôture" in stale_date.json()["message"]
    reopened = await c.post(f"/api/v1/campaigns/{campaign['id']}/reopen", headers=auth(SECRETARIAT),
                            json={"reason": "Retard de la CAF",
                                  "closes_on": (closes_on + timedelta(days=8)).isoformat()})
    assert reopened.status_code == 200, reopened.text
    assert await submit(c, CAF, semestrial["id"], "2022-T1", 10)
