"""The secretariat's validation queue: submitted values across indicators beside the previous value of their
series, filters, the four-eyes rule (even for an account holding both roles), and bulk approval one value at a
time, each under its own rules."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from services.indicateurs.service import common
from tests.conftest import auth, identity
from tests.indicateurs.conftest import CAF, NANTES, SECRETARIAT, find_definition, submit, wait_for
from tests.indicateurs.test_events import published


async def approve(c, who, submission_id: int) -> dict:  # type: ignore[no-untyped-def]
    r = await c.post(f"/api/v1/submissions/{submission_id}/approve", headers=auth(who))
    assert r.status_code == 200, r.text
    return r.json()


async def test_the_queue_shows_each_value_beside_its_series_and_filters(indicateurs) -> None:
    c = indicateurs.client
    places = await find_definition(c, 24, "Nombre de places")
    children = await find_definition(c, 42, "Nombre d'enfants inscrits")
    await approve(c, SECRETARIAT, (await submit(c, CAF, places["id"], "2019", 100))["id"])
    await approve(c, SECRETARIAT, (await submit(c, CAF, places["id"], "2021", 200))["id"])
    jump = await submit(c, CAF, places["id"], "2022", 420, comment="nouvelle crèche")  # +110 % from 2021
    steady = await submit(c, CAF, places["id"], "2020", 110)  # +10 % from 2019
    first = await submit(c, NANTES, children["id"], "2022", 35)  # no past
    await submit(c, NANTES, children["id"], "2023", 36, draft=True)  # a draft is not waiting

    r = await c.get("/api/v1/validation-queue", headers=auth(SECRETARIAT))
    assert r.status_code == 200, r.text
    queue = r.json()
    assert queue["total"] == 3
    by_id = {i["id"]: i for i in queue["items"]}
    assert list(by_id) == [steady["id"], jump["id"], first["id"]], "in contract order, then by period"
    assert (by_id[jump["id"]]["previous_period"], by_id[jump["id"]]["previous_value"]) == ("2021", 200)
    assert by_id[jump["id"]]["variation"] == 1.1 and by_id[jump["id"]]["large_variation"] is True
    assert (by_id[steady["id"]]["previous_value"], by_id[steady["id"]]["large_variation"]) == (100, False)
    assert by_id[first["id"]]["previous_value"] is None and by_id[first["id"]]["large_variation"] is False
    assert by_id[jump["id"]]["engagement_title"] and not by_id[jump["id"]]["own"]

    async def ids(**params) -> list[int]:  # type: ignore[no-untyped-def]
        found = await c.get("/api/v1/validation-queue", params=params, headers=auth(SECRETARIAT))
        assert found.status_code == 200, found.text
        return [i["id"] for i in found.json()["items"]]

    assert await ids(organisation="ville-nantes") == [first["id"]]
    assert await ids(engagement=24) == [steady["id"], jump["id"]]
    assert await ids(period="2022") == [jump["id"], first["id"]]
    campaign = await c.post("/api/v1/campaigns", headers=auth(SECRETARIAT), json={
        "title": "Bilan 2020", "period": "2020", "closes_on": (common.today() + timedelta(days=9)).isoformat()})
    assert await ids(campaign=campaign.json()["id"]) == [steady["id"]]
    refused = await c.get("/api/v1/validation-queue", headers=auth(CAF))
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"


async def test_nobody_approves_or_returns_a_value_they_entered_even_with_both_roles(indicateurs) -> None:
    c = indicateurs.client
    places = await find_definition(c, 24, "Nombre de places")
    both = identity("caf", "referent", "secretariat", name="Dominique Deux-Casquettes")
    mine = await submit(c, both, places["id"], "2020", 12)
    queued = (await c.get("/api/v1/validation-queue", headers=auth(both))).json()["items"]
    assert [(i["id"], i["own"]) for i in queued] == [(mine["id"], True)]

    r = await c.post(f"/api/v1/submissions/{mine['id']}/approve", headers=auth(both))
    assert r.status_code == 403 and r.json()["rule"] == "four_eyes"
    assert "quatre yeux" in r.json()["message"]
    r = await c.post(f"/api/v1/submissions/{mine['id']}/reject", headers=auth(both), json={"reason": "Doute"})
    assert r.status_code == 403 and r.json()["rule"] == "four_eyes"
    bulk = await c.post("/api/v1/submissions/approvals", headers=auth(both), json={"ids": [mine["id"]]})
    assert bulk.status_code == 200 and bulk.json()["approved"] == []
    assert [(x["id"], x["code"]) for x in bulk.json()["refused"]] == [(mine["id"], "forbidden")]
    still = (await c.get(f"/api/v1/submissions/{mine['id']}", headers=auth(SECRETARIAT))).json()
    assert still["state"] == "soumis"

    assert (await approve(c, SECRETARIAT, mine["id"]))["state"] == "approuve", "another person may"


async def test_nobody_approves_a_draft_they_submitted_for_its_author_even_with_both_roles(indicateurs) -> None:
    c = indicateurs.client
    places = await find_definition(c, 24, "Nombre de places")
    author = identity("caf", "referent", name="Alex Saisie")
    both = identity("caf", "referent", "secretariat", name="Dominique Deux-Casquettes")
    draft = await submit(c, author, places["id"], "2021", 14, draft=True)
    sent = await c.post(f"/api/v1/submissions/{draft['id']}/submit", headers=auth(both))
    assert sent.status_code == 200 and sent.json()["state"] == "soumis"

    queued = (await c.get("/api/v1/validation-queue", headers=auth(both))).json()["items"]
    assert (draft["id"], True) in [(i["id"], i["own"]) for i in queued], "shown as theirs in the queue"
    r = await c.post(f"/api/v1/submissions/{draft['id']}/approve", headers=auth(both))
    assert r.status_code == 403 and r.json()["rule"] == "four_eyes" and "soumis" in r.json()["message"]
    bulk = await c.post("/api/v1/submissions/approvals", headers=auth(both), json={"ids": [draft["id"]]})
    assert bulk.json()["approved"] == [] and bulk.json()["refused"][0]["code"] == "forbidden"
    r = await c.post(f"/api/v1/submissions/{draft['id']}/reject", headers=auth(both), json={"reason": "Doute"})
    assert r.status_code == 403 and r.json()["rule"] == "four_eyes"
    assert (await approve(c, SECRETARIAT, draft["id"]))["state"] == "approuve", "a third person may"


async def test_a_hundred_values_approved_at_once_each_under_its_own_rules(indicateurs, nats_url) -> None:
    c = indicateurs.client
    places = await find_definition(c, 24, "Nombre de places")
    aides = await find_definition(c, 24, "Nombre d'aides")
    csv = "indicateur;periode;qpv;valeur\n" + "".join(
        f"{d['id']};{year};;{year - 2000}\n" for d in (places, aides) for year in range(2030, 2080))
    r = await c.post("/api/v1/imports", headers={**auth(CAF), "Content-Type": "text/csv"}, content=csv.encode())
    assert r.status_code == 201 and r.json()["recorded"] == 100, r.text
    waiting = (await c.get("/api/v1/validation-queue", params={"organisation": "caf"},
                           headers=auth(SECRETARIAT))).json()["items"]
    assert len(waiting) == 100
    # A page at a time: the same order, the count of every matching value, the filters' choices from them all.
    pages = [(await c.get("/api/v1/validation-queue", params={"organisation": "caf", "offset": offset, "limit": 40},
                          headers=auth(SECRETARIAT))).json() for offset in (0, 40, 80)]
    assert [len(page["items"]) for page in pages] == [40, 40, 20]
    assert [i["id"] for page in pages for i in page["items"]] == [i["id"] for i in waiting]
    assert {(page["matching"], page["limit"]) for page in pages} == {(100, 40)}
    assert "caf" in pages[2]["choices"]["organisations"] and "2079" in pages[2]["choices"]["periods"]
    too_big = await c.get("/api/v1/validation-queue", params={"limit": 501}, headers=auth(SECRETARIAT))
    assert too_big.status_code == 422 and too_big.json()["message"]

    async def all_sent() -> bool:
        return await indicateurs.runtime.relay.backlog() == 0  # type: ignore[union-attr]

    await wait_for(all_sent, what="the import's events published")
    before = len(await published(nats_url, indicateurs.namespace))
    before_internal = len(await published(nats_url, indicateurs.namespace, "indicateurs-internal"))
    r = await c.post("/api/v1/submissions/approvals", headers=auth(SECRETARIAT),
                     json={"ids": [i["id"] for i in waiting]})
    assert r.status_code == 200, r.text
    assert sorted(r.json()["approved"]) == sorted(i["id"] for i in waiting) and r.json()["refused"] == []
    await wait_for(all_sent, what="the approvals' events published")
    events = (await published(nats_url, indicateurs.namespace))[before:]
    assert Counter(e.type for _, e in events) == {"cdv.indicateurs.value.approved": 100}
    assert {e.data["submission_id"] for _, e in events} == {i["id"] for i in waiting}
    detailed = (await published(nats_url, indicateurs.namespace, "indicateurs-internal"))[before_internal:]
    assert Counter(e.type for _, e in detailed) == {"cdv.indicateurs-internal.submission.validated": 100}
    queue = (await c.get("/api/v1/validation-queue", headers=auth(SECRETARIAT))).json()
    assert queue["items"] == [] and queue["total"] == 0

    # Each value's own rules: an approved one, one corrected meanwhile, one unknown are refused on their own.
    fresh = await submit(c, CAF, places["id"], "2001", 1)
    corrected = await submit(c, CAF, places["id"], "2002", 2)
    await submit(c, CAF, places["id"], "2002", 3, version=1)
    r = await c.post("/api/v1/submissions/approvals", headers=auth(SECRETARIAT),
                     json={"ids": [waiting[0]["id"], corrected["id"], fresh["id"], 99_999_999]})
    assert r.json()["approved"] == [fresh["id"]]
    refused = {x["id"]: x["code"] for x in r.json()["refused"]}
    assert refused == {waiting[0]["id"]: "conflict", corrected["id"]: "conflict", 99_999_999: "not_found"}
    forbidden = await c.post("/api/v1/submissions/approvals", headers=auth(CAF), json={"ids": [fresh["id"]]})
    assert forbidden.status_code == 403
