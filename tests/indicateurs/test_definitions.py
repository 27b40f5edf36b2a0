"""Definitions follow the contract; the secretariat refines them, versioned, with optimistic concurrency."""

from __future__ import annotations

from gateway.contract import loader
from tests.conftest import ADMIN, auth
from tests.indicateurs.conftest import CAF, SECRETARIAT, find_definition, refine, submit, wait_for


async def test_every_indicator_label_of_the_contract_becomes_a_definition(indicateurs, default_contract) -> None:
    c = indicateurs.client
    places = await find_definition(c, 24, "Nombre de places")
    assert places["responsible"] == ["caf"], "the engagement's pilots report it unless said otherwise"
    assert (places["unit"], places["periodicity"], places["by_qpv"], places["target"]) == \
        ("nombre", "annuelle", False, None)
    detail = (await c.get(f"/api/v1/definitions/{places['id']}", headers=auth(CAF))).json()
    assert [h["version"] for h in detail["history"]] == [1]
    assert detail["history"][0]["actor_name"] == "Chargement du contrat"
    qpv = (await c.get("/api/v1/qpv", headers=auth(CAF))).json()
    assert {q["id"] for q in qpv} == {q.id for q in default_contract.qpv}
    assert all("code" in q for q in qpv)


async def test_secretariat_refines_a_definition_and_its_history_is_kept(indicateurs) -> None:
    c = indicateurs.client
    d = await find_definition(c, 24, "Nombre de places")
    updated = await refine(c, d, unit="places", periodicity="semestrielle", target=1200, by_qpv=True,
                           qpv=["malakoff", "dervallieres"], responsible=["caf", "ville-nantes"])
    assert updated["version"] == d["version"] + 1
    assert (updated["unit"], updated["periodicity"], updated["target"], updated["by_qpv"]) == \
        ("places", "semestrielle", 1200, True)
    assert updated["qpv"] == ["dervallieres", "malakoff"] and updated["responsible"] == ["caf", "ville-nantes"]
    assert updated["updated_by_name"] == "Sacha Secrétariat"
    newest, oldest = updated["history"]
    assert newest["version"] == 2 and oldest["version"] == 1
    assert set(newest["changed"]) == {"unit", "periodicity", "target", "by_qpv", "qpv", "responsible"}
    assert oldest["unit"] == "nombre" and oldest["responsible"] == ["caf"], "the old version stays as it was"

    # A partial change touches only what is sent.
    again = await refine(c, updated, target=None)
    assert again["target"] is None and again["unit"] == "places" and again["version"] == 3


async def test_only_the_secretariat_refines_and_a_stale_version_gets_a_conflict(indicateurs) -> None:
    c = indicateurs.client
    d = await find_definition(c, 24, "Nombre de places")
    url = f"/api/v1/definitions/{d['id']}"
    r = await c.patch(url, headers=auth(CAF), json={"version": d["version"], "unit": "%"})
    assert r.status_code == 403 and r.json()["code"] == "forbidden" and "secrétariat" in r.json()["message"]
    await refine(c, d, unit="%")
    stale = await c.patch(url, headers=auth(SECRETARIAT), json={"version": d["version"], "unit": "euros"})
    assert stale.status_code == 409
    body = stale.json()
    assert body["code"] == "conflict" and body["current"]["unit"] == "%" and body["current"]["version"] == 2
    assert (await c.get(url, headers=auth(CAF))).json()["unit"] == "%"


async def test_bad_refinements_are_refused_in_french(indicateurs) -> None:
    c = indicateurs.client
    d = await find_definition(c, 24, "Nombre de places")
    url = f"/api/v1/definitions/{d['id']}"
    cases = [
        ({"unit": "litres"}, "unit"),
        ({"periodicity": "mensuelle"}, "periodicity"),
        ({"responsible": ["caf", "cafe"]}, "Organisation inconnue : cafe"),
        ({"responsible": []}, "responsible"),
        ({"qpv": ["atlantide"]}, "QPV inconnu : atlantide"),
    ]
    for body, needle in cases:
        r = await c.patch(url, headers=auth(SECRETARIAT), json={"version": d["version"], **body})
        assert r.status_code == 422, (body, r.text)
        assert r.json()["code"] == "invalid" and needle in r.text, r.text
    missing = await c.patch(url, headers=auth(SECRETARIAT), json={"unit": "%"})
    assert missing.status_code == 422 and "version : champ obligatoire" in missing.json()["message"]
    assert (await c.get(url, headers=auth(CAF))).json()["version"] == d["version"], "nothing changed"


async def test_periodicity_and_breakdown_are_fixed_once_values_exist(indicateurs) -> None:
    c = indicateurs.client
    d = await find_definition(c, 24, "Nombre de places")
    await submit(c, CAF, d["id"], "2020", 10)
    r = await c.patch(f"/api/v1/definitions/{d['id']}", headers=auth(SECRETARIAT),
                      json={"version": d["version"], "periodicity": "trimestrielle"})
    assert r.status_code == 409 and "périodicité" in r.json()["message"]
    assert (await refine(c, d, target=50))["target"] == 50, "the target may still change"


async def test_a_contract_reload_keeps_the_secretariat_refinements(indicateurs, default_contract) -> None:
    c = indicateurs.client
    d = await find_definition(c, 24, "Nombre de places")
    dropped = await find_definition(c, 24, "Évolution")
    await refine(c, d, unit="places", responsible=["caf", "ville-nantes"])
    amended = default_contract.model_copy(deep=True)
    amended.contract.version = "2020"
    e24 = next(e for e in amended.engagements if e.number == 24)
    e24.title = "Favoriser les modes de garde des jeunes enfants."
    e24.pilots.append(type(e24.pilots[0])(organisation="departement-loire-atlantique"))
    e24.indicators = [i for i in e24.indicators if not i.label.startswith("Évolution")]
    r = await indicateurs.engagements.put(f"/api/v1/contracts/{amended.contract.id}",
                                          json=loader.engagements_part(amended), headers=auth(ADMIN))
    assert r.status_code == 200 and r.json()["changed"] == [24]

    async def followed() -> bool:
        found = (await c.get("/api/v1/definitions", params={"engagement": 24}, headers=auth(CAF))).json()
        return len(found) == 2 and all(x["engagement_title"].startswith("Favoriser") for x in found)

    await wait_for(followed, what="definitions following the new contract")
    places = await find_definition(c, 24, "Nombre de places")
    assert places["unit"] == "places" and places["responsible"] == ["caf", "ville-nantes"], \
        "named by the secretariat: the contract's pilots no longer override them"
    other = await find_definition(c, 24, "Nombre d'aides")
    assert set(other["responsible"]) == {"caf", "departement-loire-atlantique"}
    retired = (await c.get(f"/api/v1/definitions/{dropped['id']}", headers=auth(CAF))).json()
    assert retired["active"] is False and retired["history"][0]["changed"] == ["active"]
