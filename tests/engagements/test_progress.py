"""Pilots report their part of an engagement: authorization, history, optimistic concurrency, events."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta

import nats

import kernel.identity
from gateway.contract import loader
from kernel.events import CATALOGUE, CloudEvent
from kernel.identity import HEADER, sign_identity
from kernel.logs import Summarised
from tests.conftest import ADMIN, SECRET, auth, identity

NANTES = identity("ville-nantes", "referent", name="Camille Référente")
DDSP = identity("etat-ddsp", "referent", name="Dominique DDSP")
SECRETARIAT = identity("nantes-metropole", "secretariat", name="Sacha Secrétariat")


async def part_of(client, number: int, org: str) -> dict:
    detail = (await client.get(f"/api/v1/engagements/{number}", headers=auth(NANTES))).json()
    return next(p for p in detail["parts"] if p["organisation_id"] == org)


def update(version: int, **fields) -> dict:
    return {"version": version, "status": "en_cours", "progress": 40, "comment": "Lancement", **fields}


async def test_referent_of_a_pilot_updates_its_part_and_history_records_who_and_what(engagements) -> None:
    c = engagements.client
    before = await part_of(c, 9, "ville-nantes")
    r = await c.patch("/api/v1/engagements/9/parts/ville-nantes", headers=auth(NANTES),
                      json=update(before["version"], qpv=["grand-bellevue"], next_milestone="Bilan au COPIL",
                                  next_milestone_date="2027-03-15"))
    assert r.status_code == 200, r.text
    detail = r.json()
    mine = next(p for p in detail["parts"] if p["organisation_id"] == "ville-nantes")
    assert (mine["status"], mine["progress"], mine["version"]) == ("en_cours", 40, before["version"] + 1)
    assert mine["updated_by_name"] == "Camille Référente"
    entry = detail["history"][0]
    assert entry["actor_name"] == "Camille Référente" and entry["actor_organisation_id"] == "ville-nantes"
    assert entry["changes"]["status"] == ["a_lancer", "en_cours"]
    assert entry["changes"]["progress"] == [0, 40]
    assert entry["changes"]["next_milestone_date"] == [None, "2027-03-15"]
    assert "grand-bellevue" in detail["qpv"]


def test_identity_helpers_sign_distinct_people() -> None:
    assert NANTES.user_id != DDSP.user_id


async def test_co_pilots_keep_their_own_accounts_beside_a_consolidated_status(engagements) -> None:
    c = engagements.client
    nantes = await part_of(c, 9, "ville-nantes")
    ddsp = await part_of(c, 9, "etat-ddsp")
    assert (await c.patch("/api/v1/engagements/9/parts/ville-nantes", headers=auth(NANTES),
                          json=update(nantes["version"], status="realise", progress=100))).status_code == 200
    r = await c.patch("/api/v1/engagements/9/parts/etat-ddsp", headers=auth(DDSP),
                      json=update(ddsp["version"], status="a_lancer", progress=0, comment="Pas encore"))
    detail = r.json()
    parts = {p["organisation_id"]: p for p in detail["parts"]}
    assert parts["ville-nantes"]["status"] == "realise" and parts["ville-nantes"]["comment"] == "Lancement"
    assert parts["etat-ddsp"]["status"] == "a_lancer" and parts["etat-ddsp"]["comment"] == "Pas encore"
    assert detail["status"] == "en_cours", "one pilot done, another not started: work is under way"
    assert 0 < detail["progress"] < 100


async def test_authorization_matrix(engagements) -> None:
    c = engagements.client
    url = "/api/v1/engagements/24/parts/caf"  # 24: the CAF alone pilots it
    version = (await part_of(c, 24, "caf"))["version"]
    other = await c.patch(url, headers=auth(NANTES), json=update(version))
    assert other.status_code == 403 and other.json()["code"] == "forbidden"
    own_org_other_part = await c.patch("/api/v1/engagements/9/parts/etat-ddsp", headers=auth(NANTES),
                                       json=update((await part_of(c, 9, "etat-ddsp"))["version"]))
    assert own_org_other_part.status_code == 403, "a co-pilot cannot overwrite another pilot's account"
    assert (await c.patch(url, json=update(version))).status_code == 401
    forged = {HEADER: sign_identity(identity("caf", "referent"), "not-the-secret", "engagements")}
    assert (await c.patch(url, headers=forged, json=update(version))).status_code == 401
    assert (await c.get("/api/v1/engagements/24")).status_code == 401
    assert (await part_of(c, 24, "caf"))["version"] == version, "refused writes change nothing"

    caf = identity("caf", "referent")
    assert (await c.patch(url, headers=auth(caf), json=update(version))).status_code == 200
    r = await c.patch(url, headers=auth(SECRETARIAT), json=update(version + 1, progress=60))
    assert r.status_code == 200 and (await part_of(c, 24, "caf"))["progress"] == 60
    assert (await c.get("/api/v1/engagements/24", headers=auth(DDSP))).status_code == 200, "everyone may read"


async def test_an_identity_expires_in_seconds(engagements, monkeypatch, caplog) -> None:
    import itsdangerous.timed

    token = sign_identity(identity("caf", "referent"), SECRET, "engagements")
    fresh = await engagements.client.get("/api/v1/engagements/24", headers={HEADER: token})
    assert fresh.status_code == 200
    with monkeypatch.context() as m:  # signed 7 s ago: still valid, but late, and operators are warned of the queue
        m.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp",
                  lambda self: int((datetime.now(UTC) - timedelta(seconds=7)).timestamp()))
        late = sign_identity(identity("caf", "referent"), SECRET, "engagements")
    monkeypatch.setattr(kernel.identity, "LATE_CALLS", Summarised(kernel.identity.log))  # none said before
    with caplog.at_level(logging.WARNING, logger="kernel.identity"):
        assert (await engagements.client.get("/api/v1/engagements/24", headers={HEADER: late})).status_code == 200
    assert "requests are queueing" in caplog.text
    later = datetime.now(UTC) + timedelta(seconds=12)  # a token copied from one call, replayed moments later
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: int(later.timestamp()))
    r = await engagements.client.get("/api/v1/engagements/24", headers={HEADER: token})
    assert r.status_code == 401 and r.json()["code"] == "unauthenticated" and "expirée" in r.json()["message"]
    assert r.json()["reason"] == "expired"  # told apart from a forged one: the gateway says « très sollicitée »


async def test_an_identity_signed_for_another_service_is_refused(engagements) -> None:
    secretariat = identity("nantes-metropole", "secretariat")
    url = "/api/v1/engagements/24/parts/caf"
    version = (await part_of(engagements.client, 24, "caf"))["version"]
    for audience in ("indicateurs", "participation", "*"):
        token = {HEADER: sign_identity(secretariat, SECRET, audience)}
        r = await engagements.client.patch(url, headers=token, json=update(version, progress=99))
        assert r.status_code == 401 and "autre service" in r.json()["message"], audience
        assert "reason" not in r.json()
    assert (await part_of(engagements.client, 24, "caf"))["version"] == version, "nothing written"
    mine = {HEADER: sign_identity(secretariat, SECRET, "engagements")}
    assert (await engagements.client.get("/api/v1/engagements/24", headers=mine)).status_code == 200


async def test_second_writer_from_the_same_version_gets_a_conflict_with_the_newer_value(engagements) -> None:
    c = engagements.client
    version = (await part_of(c, 35, "ville-nantes"))["version"]
    first = await c.patch("/api/v1/engagements/35/parts/ville-nantes", headers=auth(NANTES),
                          json=update(version, comment="Premier"))
    second = await c.patch("/api/v1/engagements/35/parts/ville-nantes", headers=auth(SECRETARIAT),
                           json=update(version, comment="Second", progress=10))
    assert first.status_code == 200
    assert second.status_code == 409
    body = second.json()
    assert body["code"] == "conflict" and body["current"]["comment"] == "Premier"
    assert body["current"]["version"] == version + 1
    assert (await part_of(c, 35, "ville-nantes"))["comment"] == "Premier"


async def test_simultaneous_writers_one_wins(engagements) -> None:
    c = engagements.client
    version = (await part_of(c, 36, "nantes-metropole"))["version"]
    metro = identity("nantes-metropole", "referent")
    results = await asyncio.gather(*(c.patch("/api/v1/engagements/36/parts/nantes-metropole", headers=auth(metro),
                                             json=update(version, comment=f"écrit par {i}")) for i in range(4)))
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409, 409, 409]
    detail = (await c.get("/api/v1/engagements/36", headers=auth(metro))).json()
    assert len(detail["history"]) == 1


async def test_invalid_updates_are_refused_and_change_nothing(engagements) -> None:
    c = engagements.client
    version = (await part_of(c, 24, "caf"))["version"]
    caf = identity("caf", "referent")
    for bad in ({"progress": 140}, {"status": "fini"}, {"qpv": ["atlantide"]}, {"next_milestone_date": "demain"}):
        r = await c.patch("/api/v1/engagements/24/parts/caf", headers=auth(caf), json=update(version, **bad))
        assert r.status_code == 422, (bad, r.text)
    assert (await part_of(c, 24, "caf"))["version"] == version


async def test_each_change_publishes_a_detailed_internal_event_and_its_public_view(engagements, nats_url,
                                                                                    namespace) -> None:
    nc = await nats.connect(nats_url)
    received: asyncio.Queue = asyncio.Queue()
    public: asyncio.Queue = asyncio.Queue()
    await nc.subscribe(f"{namespace}.engagements-internal.engagement.progress_updated", cb=received.put)
    await nc.subscribe(f"{namespace}.engagements.>", cb=public.put)
    try:
        c = engagements.client
        version = (await part_of(c, 28, "etat-dsden"))["version"]
        dsden = identity("etat-dsden", "referent", name="Alix DSDEN")
        assert (await c.patch("/api/v1/engagements/28/parts/etat-dsden", headers=auth(dsden),
                              json=update(version, status="en_cours", progress=25,
                                          comment="Note du pilote 28"))).status_code == 200
        while True:
            msg = await asyncio.wait_for(received.get(), timeout=10)
            event = CloudEvent.model_validate(json.loads(msg.data))
            if event.data["engagement_number"] == 28 and event.data["actor_name"] == "Alix DSDEN":
                break
        assert msg.headers["Nats-Msg-Id"] == event.id
        assert event.specversion == "1.0" and event.type == "cdv.engagements-internal.engagement.progress_updated"
        assert event.subject == "engagement/28" and event.source == "/cdv/engagements"
        payload = CATALOGUE[event.type].model_validate(event.data)
        assert payload.before.status == "a_lancer" and payload.after.status == "en_cours"
        assert payload.after.progress == 25 and set(payload.changed) >= {"status", "progress", "comment"}
        assert payload.organisation_id == "etat-dsden" and payload.actor_organisation_id == "etat-dsden"
        assert payload.after.comment == "Note du pilote 28"
        # Its public view: the same change, without the person nor the comment.
        while True:
            shown = CloudEvent.model_validate(json.loads((await asyncio.wait_for(public.get(), timeout=10)).data))
            if shown.subject == "engagement/28" and shown.data.get("version") == payload.version:
                break
        assert shown.type == "cdv.engagements.engagement.progress_updated_v2"
        after = payload.after.model_dump(mode="json", exclude={"comment", "actions"})
        assert shown.data["after"] == {**after, "actions": [{"index": a.index, "status": a.status}
                                                            for a in payload.after.actions]}
        assert "actor_name" not in shown.data and "Note du pilote" not in shown.model_dump_json()
    finally:
        await nc.close()


async def test_reloading_keeps_progress_and_history(engagements, default_contract) -> None:
    c = engagements.client
    version = (await part_of(c, 24, "caf"))["version"]
    caf = identity("caf", "referent")
    await c.patch("/api/v1/engagements/24/parts/caf", headers=auth(caf), json=update(version, progress=70))
    url = f"/api/v1/contracts/{default_contract.contract.id}"

    same = await c.put(url, json=loader.engagements_part(default_contract), headers=auth(ADMIN))
    assert same.json()["added"] == [] and same.json()["changed"] == []

    amended = default_contract.model_copy(deep=True)
    amended.contract.version = "2020"
    target = next(e for e in amended.engagements if e.number == 24)
    target.title = "Favoriser les modes de garde des jeunes enfants."
    target.pilots.append(type(target.pilots[0])(organisation="ville-nantes"))
    report = (await c.put(url, json=loader.engagements_part(amended), headers=auth(ADMIN))).json()
    assert report["changed"] == [24] and report["version"] == "2020"
    detail = (await c.get("/api/v1/engagements/24", headers=auth(caf))).json()
    assert detail["title"] == "Favoriser les modes de garde des jeunes enfants."
    parts = {p["organisation_id"]: p for p in detail["parts"]}
    assert parts["caf"]["progress"] == 70 and parts["ville-nantes"]["status"] == "a_lancer"
    assert len(detail["history"]) == 1


async def test_only_an_administrator_loads_a_contract(engagements, default_contract) -> None:
    r = await engagements.client.put(f"/api/v1/contracts/{default_contract.contract.id}",
                                     json=loader.engagements_part(default_contract), headers=auth(SECRETARIAT))
    assert r.status_code == 403


async def test_a_catalogue_with_an_unknown_pilot_is_refused_whole(engagements, default_contract) -> None:
    c = engagements.client
    body = loader.engagements_part(default_contract)
    body["engagements"][0]["title"] = "Titre modifié qui ne doit pas apparaître"
    body["engagements"][5]["pilots"][0]["organisation"] = "vile-de-nantes"
    r = await c.put(f"/api/v1/contracts/{default_contract.contract.id}", json=body, headers=auth(ADMIN))
    assert r.status_code == 422 and "vile-de-nantes" in r.json()["message"]
    unchanged = (await c.get("/api/v1/engagements/1", headers=auth(NANTES))).json()
    assert unchanged["title"] != body["engagements"][0]["title"]


async def test_overview_filters(engagements) -> None:
    c = engagements.client
    h = auth(NANTES)
    all_ = (await c.get("/api/v1/engagements", headers=h)).json()
    assert [e["number"] for e in all_] == list(range(1, 51))
    axis4 = (await c.get("/api/v1/engagements", params={"axis": 4}, headers=h)).json()
    assert axis4 and all(e["axis_number"] == 4 for e in axis4)
    caf = (await c.get("/api/v1/engagements", params={"pilot": "caf"}, headers=h)).json()
    assert 24 in [e["number"] for e in caf] and all("caf" in e["pilots"] for e in caf)
    qpv = (await c.get("/api/v1/engagements", params={"qpv": "dervallieres"}, headers=h)).json()
    assert 5 in [e["number"] for e in qpv]
    culture = (await c.get("/api/v1/engagements", params={"theme": "culture"}, headers=h)).json()
    assert {e["theme_id"] for e in culture} == {"culture"}
    started = (await c.get("/api/v1/engagements", params={"status": "a_lancer"}, headers=h)).json()
    assert len(started) == 50


async def test_a_pilot_may_report_per_action(engagements) -> None:
    c = engagements.client
    version = (await part_of(c, 9, "ville-nantes"))["version"]
    detail_actions = [{"index": 0, "status": "realise", "comment": "Délégués présentés aux habitants"},
                      {"index": 2, "status": "en_cours"}]
    r = await c.patch("/api/v1/engagements/9/parts/ville-nantes", headers=auth(NANTES),
                      json=update(version, actions=detail_actions))
    assert r.status_code == 200, r.text
    mine = next(p for p in r.json()["parts"] if p["organisation_id"] == "ville-nantes")
    assert [(a["index"], a["status"]) for a in mine["actions"]] == [(0, "realise"), (2, "en_cours")]
    assert r.json()["history"][0]["changes"]["actions"][0] == []
    too_far = await c.patch("/api/v1/engagements/9/parts/ville-nantes", headers=auth(NANTES),
                            json=update(version + 1, actions=[{"index": 7, "status": "realise"}]))
    assert too_far.status_code == 422 and too_far.json()["field"] == "actions"
    assert (await part_of(c, 9, "ville-nantes"))["version"] == version + 1


async def test_an_organisations_list_with_parts_comes_in_one_call(engagements) -> None:
    c = engagements.client
    listing = (await c.get("/api/v1/engagements/with-parts", params={"pilot": "caf"}, headers=auth(NANTES))).json()
    summaries = (await c.get("/api/v1/engagements", params={"pilot": "caf"}, headers=auth(NANTES))).json()
    assert [e["number"] for e in listing] == [e["number"] for e in summaries]
    one = next(e for e in listing if e["number"] == 24)
    assert one == {k: v for k, v in (await c.get("/api/v1/engagements/24", headers=auth(NANTES))).json().items()
                   if k not in ("history", "history_total")}


async def test_the_detail_gives_the_latest_changes_and_how_many_there_are(engagements) -> None:
    """The history grows with every update: a detail gives the latest ones (more on demand) and the total."""
    c, caf = engagements.client, identity("caf", "referent")
    before = (await c.get("/api/v1/engagements/24", headers=auth(NANTES))).json()["history_total"]
    for progress in (11, 12, 13, 14):
        version = (await part_of(c, 24, "caf"))["version"]
        r = await c.patch("/api/v1/engagements/24/parts/caf", headers=auth(caf),
                          json=update(version, progress=progress))
        assert r.status_code == 200, r.text
    two = (await c.get("/api/v1/engagements/24", params={"history": 2}, headers=auth(NANTES))).json()
    assert two["history_total"] == before + 4
    assert [h["changes"]["progress"][1] for h in two["history"]] == [14, 13]
    more = (await c.get("/api/v1/engagements/24", params={"history": 4}, headers=auth(NANTES))).json()
    assert [h["changes"]["progress"][1] for h in more["history"]] == [14, 13, 12, 11]
    # A save's answer for a card (which shows no history) carries none, with the new part and the total.
    version = (await part_of(c, 24, "caf"))["version"]
    card = await c.patch("/api/v1/engagements/24/parts/caf", params={"history": 0}, headers=auth(caf),
                         json=update(version, progress=15))
    assert card.status_code == 200, card.text
    assert card.json()["history"] == [] and card.json()["history_total"] == before + 5
    assert next(p for p in card.json()["parts"] if p["organisation_id"] == "caf")["progress"] == 15
