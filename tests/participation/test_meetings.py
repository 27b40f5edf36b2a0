"""Meetings and agendas through the participation API: lead time, daylight saving, publication, revisions, moves,
cancellations and their events."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta

import nats
import pytest

from tests.conftest import paris_today
from tests.participation.conftest import SECRETARIAT, day_at, person


async def _events(nats_url: str, subject: str) -> tuple[object, asyncio.Queue]:
    nc = await nats.connect(nats_url)
    queue: asyncio.Queue = asyncio.Queue()
    await nc.subscribe(subject, cb=queue.put)
    return nc, queue


async def _next(queue: asyncio.Queue, type_: str) -> dict:
    while True:
        event = json.loads((await asyncio.wait_for(queue.get(), 10)).data)
        if event["type"] == type_:
            return event


async def test_publishing_at_d20_is_on_time(gov, nats_url, namespace) -> None:
    nc, queue = await _events(nats_url, f"{namespace}.participation.meeting.>")
    try:
        meeting = await gov.meeting("copil", days_ahead=20, title="COPIL de printemps")
        assert meeting["lead_time"]["required_days"] == 15
        assert meeting["lead_time"]["days_left"] == 5 and meeting["lead_time"]["state"] == "soon"
        await gov.item(meeting["id"], "Bilan de l'emploi", engagements=[17], duration_minutes=30)
        published = await gov.publish(meeting["id"])
        assert published.status_code == 201, published.text
        assert published.json()["number"] == 1 and published.json()["on_time"] is True
        event = await _next(queue, "cdv.participation.meeting.agenda_published")
        data = event["data"]
        assert data["version"] == 1 and data["on_time"] is True and data["late_reason"] is None
        assert data["meeting"]["sequence"] == 1
        assert data["items"][0]["title"] == "Bilan de l'emploi" and data["items"][0]["engagements"] == [17]
        assert data["meeting"]["url"] == f"http://127.0.0.1:8100/reunions/{meeting['id']}"
        assert data["pack_url"].endswith(f"/reunions/{meeting['id']}/dossier.pdf")
    finally:
        await nc.close()


async def test_publishing_at_d5_needs_a_reason_shown_to_members(gov) -> None:
    member = person("Léa Membre")
    await gov.seat("copil", member)
    meeting = await gov.meeting("copil", days_ahead=5)
    await gov.item(meeting["id"], "Point unique")
    refused = await gov.publish(meeting["id"])
    assert refused.status_code == 422
    body = refused.json()
    assert body["field"] == "late_reason" and body["days_late"] == 10
    assert "Publication tardive" in body["message"] and "15 jours avant la réunion" in body["message"]
    view = await gov.view(meeting["id"])
    assert view["meeting"]["published_version"] == 0 and view["versions"] == []  # nothing half-saved

    accepted = await gov.publish(meeting["id"], reason="Intervenant confirmé tardivement.")
    assert accepted.status_code == 201 and accepted.json()["on_time"] is False
    seen = await gov.view(meeting["id"], member)
    assert seen["latest"]["late_reason"] == "Intervenant confirmé tardivement."
    assert seen["latest"]["on_time"] is False


async def test_lead_time_comes_from_settings(gov_factory, tmp_path) -> None:
    async with gov_factory(lead_time_copil=3, files_dir=tmp_path) as gov:
        meeting = await gov.meeting("copil", days_ahead=5)
        assert meeting["lead_time"]["required_days"] == 3
        await gov.item(meeting["id"], "Point")
        assert (await gov.publish(meeting["id"])).json()["on_time"] is True


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_daylight_saving_does_not_shift_meeting_times(gov_factory, backend, nats_url, namespace,
                                                            tmp_path) -> None:
    year = paris_today().year + 1
    last_sunday_march = max(date(year, 3, d) for d in range(25, 32) if date(year, 3, d).weekday() == 6)
    after_change = last_sunday_march + timedelta(days=2)
    nc, queue = await _events(nats_url, f"{namespace}.participation.meeting.scheduled")
    try:
        async with gov_factory(backend, files_dir=tmp_path) as gov:
            winter = await gov.ok("POST", "/meetings", json={"body_id": "gtc", "title": "GTC d'hiver",
                                                             "starts_at": f"{year}-02-10T09:30"})
            spring = await gov.ok("POST", "/meetings", json={"body_id": "gtc", "title": "GTC de printemps",
                                                             "starts_at": f"{after_change.isoformat()}T09:30"})
            assert winter["starts_at"] == f"{year}-02-10T09:30:00+01:00"
            assert spring["starts_at"] == f"{after_change.isoformat()}T09:30:00+02:00"
            listed = {m["id"]: m for m in await gov.ok("GET", "/meetings", params={"body_id": "gtc"})}
            assert listed[spring["id"]]["starts_at"].startswith(f"{after_change.isoformat()}T09:30:00")
            scheduled = {}
            while len(scheduled) < 2:
                e = await _next(queue, "cdv.participation.meeting.scheduled")
                scheduled[e["data"]["meeting"]["meeting_id"]] = e["data"]["meeting"]
            assert scheduled[spring["id"]]["starts_at"] == f"{after_change.isoformat()}T09:30:00+02:00"
            assert scheduled[spring["id"]]["timezone"] == "Europe/Paris"
    finally:
        await nc.close()


async def test_a_revision_is_a_new_version_with_its_changes(gov, nats_url, namespace) -> None:
    nc, queue = await _events(nats_url, f"{namespace}.participation.meeting.agenda_revised")
    try:
        meeting = await gov.meeting("copil", days_ahead=40)
        mid = meeting["id"]
        a = await gov.item(mid, "Accueil")
        await gov.item(mid, "Emploi")
        c = await gov.item(mid, "Santé")
        assert (await gov.publish(mid)).status_code == 201
        again = await gov.publish(mid)
        assert again.status_code == 422 and "Rien n'a changé depuis la version 1" in again.json()["message"]

        rev = (await gov.view(mid))["meeting"]["draft_rev"]
        await gov.ok("POST", f"/meetings/{mid}/items/{c['id']}/move", json={"position": 1, "draft_rev": rev})
        rev += 1
        await gov.ok("PUT", f"/meetings/{mid}/items/{a['id']}", json={"title": "Accueil et introduction",
                                                                       "duration_minutes": 10, "draft_rev": rev})
        await gov.item(mid, "Questions diverses")
        pending = (await gov.view(mid))["pending_changes"]
        assert [(c_["kind"], c_["title"]) for c_ in pending] == [
            ("moved", "Santé"), ("changed", "Accueil et introduction"), ("added", "Questions diverses")]
        revised = await gov.publish(mid)
        assert revised.status_code == 201 and revised.json()["number"] == 2

        event = (await _next(queue, "cdv.participation.meeting.agenda_revised"))["data"]
        assert event["version"] == 2 and event["previous_version"] == 1 and event["meeting"]["sequence"] == 2
        assert [c_["kind"] for c_ in event["changes"]] == ["moved", "changed", "added"]
        first = await gov.ok("GET", f"/meetings/{mid}/versions/1")
        assert [i["title"] for i in first["items"]] == ["Accueil", "Emploi", "Santé"]  # still readable
        second = await gov.ok("GET", f"/meetings/{mid}/versions/2")
        assert [i["title"] for i in second["items"]] == ["Santé", "Accueil et introduction", "Emploi",
                                                         "Questions diverses"]
        changes = await gov.ok("GET", f"/meetings/{mid}/changes", params={"since": 1})
        assert any(c_["kind"] == "moved" and c_["detail"] == "passe de la position 3 à la position 1"
                   for c_ in changes)
    finally:
        await nc.close()


async def test_concurrent_edits_of_the_agenda_conflict(gov) -> None:
    meeting = await gov.meeting("gtc", days_ahead=30)
    rev = (await gov.view(meeting["id"]))["meeting"]["draft_rev"]
    first = await gov.call("POST", f"/meetings/{meeting['id']}/items", json={"title": "Un", "draft_rev": rev})
    second = await gov.call("POST", f"/meetings/{meeting['id']}/items", json={"title": "Deux", "draft_rev": rev})
    assert first.status_code == 201 and second.status_code == 409
    assert second.json()["current"]["draft_rev"] == rev + 1
    assert [i["title"] for i in (await gov.view(meeting["id"]))["draft"]["items"]] == ["Un"]


async def test_moving_and_cancelling_raise_the_sequence_and_are_announced(gov, nats_url, namespace) -> None:
    nc, queue = await _events(nats_url, f"{namespace}.participation.meeting.>")
    try:
        meeting = await gov.meeting("gtc", days_ahead=30)
        await gov.item(meeting["id"], "Point")
        await gov.publish(meeting["id"])
        moved = await gov.ok("POST", f"/meetings/{meeting['id']}/move",
                             json={"starts_at": day_at(31, 14, 0), "place": "Salle B"})
        day = (paris_today() + timedelta(days=31)).isoformat()
        assert moved["sequence"] == 2 and moved["starts_at"].startswith(day)
        event = (await _next(queue, "cdv.participation.meeting.moved"))["data"]
        assert event["meeting"]["place"] == "Salle B" and event["previous_place"] == "Hôtel de Métropole"
        cancelled = await gov.ok("POST", f"/meetings/{meeting['id']}/cancel", json={"reason": "Quorum impossible"})
        assert cancelled["status"] == "cancelled" and cancelled["sequence"] == 3
        event = (await _next(queue, "cdv.participation.meeting.cancelled"))["data"]
        assert event["reason"] == "Quorum impossible" and event["agenda_was_published"] is True
        refused = await gov.item(meeting["id"], "Trop tard") if False else await gov.call(
            "POST", f"/meetings/{meeting['id']}/items", json={"title": "Trop tard", "draft_rev": 99})
        assert refused.status_code == 422 and "annulée" in refused.json()["message"]
    finally:
        await nc.close()


async def test_proposals_after_the_cut_off_are_refused_in_french(gov, nats_url, namespace) -> None:
    member = person("Karim Membre", "caf")
    await gov.seat("copil", member)
    meeting = await gov.meeting("copil", days_ahead=30)
    mid = meeting["id"]
    rev = meeting["draft_rev"]
    await gov.ok("PUT", f"/meetings/{mid}/cutoff", json={"proposals_until": str(paris_today() - timedelta(days=1)),
                                                        "draft_rev": rev})
    refused = await gov.call("POST", f"/meetings/{mid}/proposals", member, json={"title": "Point CAF"})
    assert refused.status_code == 422
    assert "la date limite est passée, votre proposition n'a pas été enregistrée" in refused.json()["message"]
    assert (await gov.view(mid, member))["proposals"] == []  # nothing half-saved

    await gov.ok("PUT", f"/meetings/{mid}/cutoff", json={"proposals_until": str(paris_today()), "draft_rev": rev + 1})
    nc, queue = await _events(nats_url, f"{namespace}.participation.agenda_item.>")
    try:
        proposal = await gov.ok("POST", f"/meetings/{mid}/proposals", member,
                                json={"title": "Point CAF", "engagements": [21]})
        declined = await gov.call("POST", f"/meetings/{mid}/proposals/{proposal['id']}/decision",
                                  json={"accepted": False, "version": 1})
        assert declined.status_code == 422 and declined.json()["field"] == "reason"
        accepted = await gov.ok("POST", f"/meetings/{mid}/proposals/{proposal['id']}/decision",
                                json={"accepted": True, "version": 1, "reason": "Bienvenu"})
        assert accepted["status"] == "accepted" and accepted["item_id"]
        mine = (await gov.view(mid, member))["proposals"]
        assert [(p["title"], p["status"]) for p in mine] == [("Point CAF", "accepted")]
        assert [i["title"] for i in (await gov.view(mid))["draft"]["items"]] == ["Point CAF"]
        proposed = (await _next(queue, "cdv.participation.agenda_item.proposed"))["data"]
        decided = (await _next(queue, "cdv.participation.agenda_item.decided"))["data"]
        assert proposed["proposer_organisation_id"] == "caf" and decided["accepted"] is True
        assert "Karim" not in json.dumps(proposed)  # public event: an opaque member id, no name
    finally:
        await nc.close()


async def test_lead_time_share_per_body_and_year(gov) -> None:
    on_time = await gov.meeting("gtc", days_ahead=25)
    await gov.item(on_time["id"], "Point")
    await gov.publish(on_time["id"])
    late = await gov.meeting("gtc", days_ahead=3)
    await gov.item(late["id"], "Point")
    await gov.publish(late["id"], reason="Retard")
    await gov.meeting("gtc", days_ahead=60)  # still time: not counted
    stats = await gov.ok("GET", "/lead-time-stats", SECRETARIAT)
    gtc = [s for s in stats if s["body_id"] == "gtc"]
    assert sum(s["meetings"] for s in gtc) == 2 and sum(s["on_time"] for s in gtc) == 1


async def test_a_publication_time_given_in_paris_is_stored_as_that_instant(gov) -> None:
    """A caller passing Paris time (as the demo did) must not shift the publication by an hour."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from services.participation.schemas import PublishIn
    from services.participation.service import agendas, meetings

    meeting = await gov.meeting("gtc", days_ahead=30)
    await gov.item(meeting["id"], "Point unique", duration_minutes=20)
    at = datetime.now(ZoneInfo("Europe/Paris")).replace(microsecond=0)
    runtime = gov.running.runtime
    async with runtime.db.session() as session:
        rev = (await meetings.get_meeting(session, meeting["id"])).draft_rev
        await agendas.publish(session, runtime.outbox, runtime.settings, SECRETARIAT, meeting["id"],
                              PublishIn(draft_rev=rev), at=at)
        await session.commit()
    [version] = (await gov.view(meeting["id"]))["versions"]
    published = datetime.fromisoformat(version["published_at"])
    published = published if published.tzinfo else published.replace(tzinfo=UTC)  # SQLite gives UTC back naive
    assert published == at, (version["published_at"], at.isoformat())
