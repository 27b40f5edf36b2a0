"""Opinions of conseils citoyens: only a member publishes in the conseil's name; the engagement's pilots (known
from engagements' events) owe the answer within the secretariat's delay; an unanswered opinion past its due date
is overdue for everyone until a pilot answers; the public never reads who wrote or who answered."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import nats

from services.engagements.events import EngagementDefined
from services.participation.schemas import OpinionIn
from services.participation.service import opinions
from tests.conftest import paris_today
from tests.participation.conftest import SECRETARIAT, person
from tests.participation.test_conseils import PUBLIC
from tests.participation.test_pack_and_circulation import _publish


async def _engagement(js: Any, ns: str, number: int, pilots: list[str]) -> None:
    await _publish(js, ns, "engagements", EngagementDefined(
        contract_id="nantes-metropole-2019", contract_version="2019", engagement_number=number,
        title=f"Engagement {number}", axis_number=1, theme_id="t", theme_title="Thème", pilots=pilots,
        indicators=[], qpv=[]))


async def _known(gov: Any, number: int, pilots: list[str]) -> None:
    """Once participation has read the engagement's definition as `_engagement` published it."""
    from services.participation.service.catalogue import EngagementSeen

    for _ in range(50):
        async with gov.running.runtime.db.session() as session:
            seen = await session.get(EngagementSeen, number)
            if seen is not None and seen.pilots == pilots:
                return
        await asyncio.sleep(0.2)
    raise AssertionError("engagement never seen")


async def test_who_publishes_who_answers_and_overdue_until_answered(gov_factory, namespaces, nats_url,
                                                                     tmp_path) -> None:
    ns = await namespaces()
    nc = await nats.connect(nats_url)
    try:
        async with gov_factory(event_namespace=ns, files_dir=tmp_path, upload_max_bytes=2000) as gov:
            await _engagement(nc.jetstream(), ns, 12, ["ville-nantes", "caf"])
            await _known(gov, 12, ["ville-nantes", "caf"])
            writer = person("Rania Écrivaine", None)
            outsider = person("Pas Membre", None)
            pilot = person("Léa Pilote", "ville-nantes")
            other_referent = person("Référent Autre", "ville-reze")
            await gov.seat("cc-malakoff", writer, org="conseils-citoyens")

            body = {"body_id": "cc-malakoff", "engagement_number": 12, "text": "Les jeux du square sont cassés."}
            for who in (outsider, pilot, PUBLIC, SECRETARIAT):
                assert (await gov.call("POST", "/opinions", who, json=body)).status_code == 403, who.name
            assert (await gov.call("POST", "/opinions", writer, json=body | {"engagement_number": 99})
                    ).status_code == 422
            assert (await gov.call("POST", "/opinions", writer, json={**body, "body_id": "copil"})).status_code == 422

            # The secretariat's delay applies to what is published from then on.
            assert (await gov.call("PUT", "/opinion-rules", pilot, json={"answer_days": 10})).status_code == 403
            assert (await gov.call("PUT", "/opinion-rules", json={"answer_days": 0})).status_code == 422
            assert (await gov.ok("GET", "/opinion-rules", PUBLIC))["answer_days"] == 30
            await gov.ok("PUT", "/opinion-rules", json={"answer_days": 10})
            published = await gov.ok("POST", "/opinions", writer, json=body)
            assert published["due_on"] == str(paris_today() + timedelta(days=10))
            assert published["qpv_id"] == "malakoff" and published["answer_organisations"] == ["ville-nantes", "caf"]

            # An attachment, by a member only, size and type checked.
            url = f"/opinions/{published['id']}/attachments"
            pdf = b"%PDF-1.4\n% photos\n"
            assert (await gov.call("POST", url, outsider, params={"filename": "p.pdf"}, content=pdf)).status_code == 403
            assert (await gov.call("POST", url, writer, params={"filename": "x.exe"},
                                   content=b"MZ\x00\x01binary")).status_code == 422
            assert (await gov.call("POST", url, writer, params={"filename": "big.pdf"},
                                   content=b"%PDF-" + b"x" * 3000)).status_code == 413
            attached = await gov.ok("POST", url, writer, params={"filename": "photos.pdf", "title": "Photos"},
                                    content=pdf)
            download = await gov.call("GET", f"/opinion-attachments/{attached['id']}/content", PUBLIC)
            assert download.status_code == 200 and download.content == pdf

            # Published 40 days ago: its answer is overdue, for everyone.
            async with gov.running.runtime.db.session() as session:
                late = await opinions.publish_opinion(
                    session, gov.running.runtime.outbox, gov.running.runtime.settings, writer,
                    OpinionIn(body_id="cc-malakoff", engagement_number=12, text="Avis ancien."),
                    at=datetime.now(UTC) - timedelta(days=40))
            public = await gov.ok("GET", "/opinions", PUBLIC, params={"engagement": 12})
            assert [(o["id"], o["overdue"]) for o in public] == [(published["id"], False), (late.id, True)]
            assert all("author_name" not in o and not o["may_answer"] for o in public)
            assert writer.name not in str(public)
            overdue = await gov.ok("GET", "/opinions", PUBLIC, params={"overdue": "true"})
            assert [o["id"] for o in overdue] == [late.id]
            staff = await gov.ok("GET", "/opinions", params={"engagement": 12})
            assert {o["author_name"] for o in staff} == {writer.name}

            # Only a referent of a pilot organisation answers; once.
            answer_url = f"/opinions/{late.id}/answer"
            answer = {"text": "Les jeux seront remplacés en juin.", "version": 1}
            for who in (writer, other_referent, PUBLIC, SECRETARIAT):
                assert (await gov.call("POST", answer_url, who, json=answer)).status_code == 403, who.name
            mine = await gov.ok("GET", "/opinions", pilot, params={"engagement": 12})
            assert all(o["may_answer"] for o in mine)
            answered = await gov.ok("POST", answer_url, pilot, json=answer)
            assert answered["answer"] == answer["text"] and not answered["overdue"] and answered["answered_late"]
            assert answered["answered_by_organisation_id"] == "ville-nantes"
            assert (await gov.call("POST", answer_url, pilot, json=answer)).status_code == 409
            assert (await gov.ok("GET", "/opinions", PUBLIC, params={"overdue": "true"})) == []
            assert (await gov.call("POST", url.replace(published["id"], late.id), writer,
                                   params={"filename": "p.pdf"}, content=pdf)).status_code == 422
            assert pilot.name not in (await gov.call("GET", f"/opinions/{late.id}", PUBLIC)).text
    finally:
        await nc.close()


async def test_an_opinion_on_a_copil_agenda_item(gov) -> None:
    writer = person("Farid Habitant", None)
    await gov.seat("cc-nantes-nord", writer, org="conseils-citoyens")
    meeting = await gov.meeting("copil", days_ahead=30)
    await gov.item(meeting["id"], "Tranquillité publique", presenter_organisation_id="etat-ddsp")
    draft = (await gov.ok("GET", "/opinion-targets", writer))
    assert draft["bodies"] == [{"id": "cc-nantes-nord", "name": draft["bodies"][0]["name"], "qpv_id": "nantes-nord"}]
    assert draft["items"] == []  # not before the agenda is out
    await gov.publish(meeting["id"])
    [item] = (await gov.ok("GET", "/opinion-targets", writer))["items"]
    out = await gov.ok("POST", "/opinions", writer, json={"body_id": "cc-nantes-nord", "meeting_id": meeting["id"],
                                                           "item_id": item["item_id"], "text": "Avis sur le point."})
    assert out["item_title"] == "Tranquillité publique" and out["answer_organisations"] == ["etat-ddsp"]
    both = {"body_id": "cc-nantes-nord", "engagement_number": 12, "item_id": item["item_id"], "text": "x"}
    assert (await gov.call("POST", "/opinions", writer, json=both)).status_code == 422
    assert [o["id"] for o in await gov.ok("GET", "/opinions", PUBLIC, params={"meeting_id": meeting["id"]})] \
        == [out["id"]]
