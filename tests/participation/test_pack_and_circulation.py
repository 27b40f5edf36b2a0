"""Participation's read model of other services' events: the "depuis le dernier COPIL" pack (HTML content and a
real PDF whose text is checked) and the circulation status from the notifications' proof of delivery. The events
are published on JetStream in a namespace of the test's own (as their services would)."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import nats
import pypdf

from kernel.events import CloudEvent, EventPayload, stream_name, subject_for
from kernel.messaging import ensure_stream, stream_config
from services.engagements.events import PartState, ProgressUpdated
from services.indicateurs.events import ValueApproved
from services.notifications.events import DeliveryFailed, DeliverySent
from tests.conftest import paris_today
from tests.participation.conftest import person


async def _publish(js: Any, ns: str, service: str, payload: EventPayload, *, at: datetime | None = None) -> None:
    stream = payload.__event_type__.split(".")[1]  # the service's public or internal stream
    await ensure_stream(js, stream_config(stream_name(ns, stream), [f"{ns}.{stream}.>"], 1))
    event = CloudEvent.wrap(payload, source=f"/cdv/{service}", subject=None)
    if at is not None:
        event.time = at
    await js.publish(subject_for(event.type, ns), event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id})


def _progress(number: int, comment: str, before: str, after: str, progress: tuple[int, int]) -> ProgressUpdated:
    return ProgressUpdated(
        contract_id="nantes-metropole-2019", engagement_number=number, title=f"Engagement de test {number}",
        organisation_id="pole-emploi", organisation_name="Pôle emploi", actor_organisation_id="pole-emploi",
        actor_name="Thomas Guérin", version=3,
        before=PartState(status=before, progress=progress[0]), after=PartState(status=after, progress=progress[1],
                                                                               comment=comment),
        changed=["status", "progress", "comment"], consolidated_status=after)


async def _until(check: Any, timeout: float = 10) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.2)


async def test_the_pack_pdf_tells_what_changed_since_the_previous_meeting(gov_factory, namespaces, nats_url,
                                                                         tmp_path) -> None:
    ns = await namespaces()
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    try:
        async with gov_factory(event_namespace=ns, files_dir=tmp_path) as gov:
            member = person("Membre COPIL", "caf")
            await gov.seat("copil", member)
            previous = await gov.meeting("copil", days_ahead=-40, title="COPIL d'automne")
            upcoming = await gov.meeting("copil", days_ahead=20, title="COPIL de printemps")
            await gov.item(upcoming["id"], "Point sur l'emploi des jeunes", engagements=[17])
            await gov.ok("POST", f"/meetings/{previous['id']}/decisions", json={
                "text": "Réunir les partenaires de l'emploi avant l'été", "responsible_organisation_id": "pole-emploi",
                "due_on": str(paris_today() - timedelta(days=5)), "engagements": [17]})
            long_ago = datetime.now(UTC) - timedelta(days=60)
            await _publish(js, ns, "engagements", _progress(12, "Avant le COPIL d'automne", "a_lancer", "en_cours",
                                                            (0, 10)), at=long_ago)
            await _publish(js, ns, "engagements", _progress(17, "Les ateliers ont commencé", "a_lancer", "en_cours",
                                                            (0, 40)))
            await _publish(js, ns, "indicateurs", ValueApproved(
                submission_id=1, contract_id="nantes-metropole-2019", indicator_id=5,
                indicator_label="Nombre de jeunes accompagnés", engagement_number=17, period="2025", qpv_id=None,
                qpv_code=None, value=1234.0, unit="personnes", qualification="definitif",
                organisation_id="pole-emploi", version=1))

            async def ready() -> dict | None:
                pack = await gov.ok("GET", f"/meetings/{upcoming['id']}/pack")
                return pack if pack["engagements"] and pack["values"] else None

            pack = await _until(ready)
            assert pack, "the read model did not receive the events"
            assert [e["number"] for e in pack["engagements"]] == [17]  # the update before the last COPIL is out
            assert pack["previous"]["title"] == "COPIL d'automne"
            assert [d["text"] for d in pack["decisions"]] == ["Réunir les partenaires de l'emploi avant l'été"]
            assert pack["decisions"][0]["overdue"] is True

            refused = await gov.call("GET", f"/meetings/{upcoming['id']}/pack.pdf", person("Pas membre", "caf"))
            assert refused.status_code == 403
            response = await gov.call("GET", f"/meetings/{upcoming['id']}/pack.pdf", member)
            assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
            reader = pypdf.PdfReader(io.BytesIO(response.content))
            text = "\n".join(page.extract_text() for page in reader.pages)
            flat = " ".join(text.split())
            assert len(reader.pages) >= 2
            assert "Dossier de réunion : COPIL de printemps" in flat
            assert "Sommaire" in flat and "Engagements dont le statut ou l'avancement a changé" in flat
            assert "Engagement n° 17 — Engagement de test 17" in flat
            assert "Les ateliers ont commencé" in flat and "À lancer → En cours" in flat and "0 % → 40 %" in flat
            assert "Avant le COPIL d'automne" not in flat
            assert "Nombre de jeunes accompagnés" in flat and "1 234 personnes" in flat.replace("\u202f", " ")
            assert "Réunir les partenaires de l'emploi avant l'été" in flat and "en retard" in flat
            assert "Point sur l'emploi des jeunes" in flat and "Projet non encore publié" in flat
            assert f"Page 1 sur {len(reader.pages)}" in flat
    finally:
        await nc.close()


async def test_circulation_status_from_delivery_events(gov_factory, namespaces, nats_url, tmp_path) -> None:
    ns = await namespaces()
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    try:
        async with gov_factory(event_namespace=ns, files_dir=tmp_path) as gov:
            members = [person(f"Membre {i}", "caf") for i in range(3)]
            ids = [(await gov.seat("gtc", m))["person"]["id"] for m in members]
            meeting = await gov.meeting("gtc", days_ahead=30)
            mid = meeting["id"]
            await gov.item(mid, "Point")
            await gov.publish(mid)
            at = datetime(2026, 3, 12, 8, 14, tzinfo=UTC)
            for i, member_id in enumerate(ids):
                common = {"delivery_id": f"d-{mid}-{i}", "notice_kind": "agenda", "recipient_id": member_id,
                          "source_event_id": "e1", "meeting_id": mid, "agenda_version": 1, "attempts": 1, "at": at}
                if i < 2:
                    await _publish(js, ns, "notifications", DeliverySent(**common, smtp_response="250 OK"))
                else:
                    await _publish(js, ns, "notifications", DeliveryFailed(**{**common, "attempts": 4},
                                                                           reason="adresse refusée (550)"))

            async def status() -> dict | None:
                notices = (await gov.view(mid))["circulation"]["notices"]
                return notices[0] if notices and notices[0]["sent"] + notices[0]["failed"] == 3 else None

            notice = await _until(status)
            assert notice and notice["sent"] == 2 and notice["failed"] == 1 and notice["agenda_version"] == 1
            failed = notice["recipients"][0]
            assert failed["status"] == "failed" and failed["name"] == "Membre 2"
            assert failed["detail"] == "adresse refusée (550)"
            # A member sees what changed since the version they received.
            await gov.item(mid, "Point ajouté")
            await gov.publish(mid)
            seen = await gov.view(mid, members[0])
            assert seen["received_version"] == 1
            assert [(c["kind"], c["title"]) for c in seen["changes_since_received"]] == [("added", "Point ajouté")]
    finally:
        await nc.close()


async def test_the_pack_lists_only_the_latest_approved_value_in_french(gov, tmp_path) -> None:
    """A value approved again (engagement 47's count recomputed five times) shows once, its latest version, with a
    decimal comma in the pack and its PDF; another QPV's value of the same indicator and period stays."""
    from services.participation.service.readmodel import ValueSeen

    member = person("Membre interbailleurs", "caf")
    await gov.seat("interbailleurs", member)
    meeting = await gov.meeting("interbailleurs", days_ahead=3, title="Interbailleurs de printemps")
    now = datetime.now(UTC)
    label = "Nombre d'associations actives dans l'inter-associatif"
    rows = [(n, None, float(n), now - timedelta(minutes=10 - n)) for n in range(1, 6)]
    rows += [(6, "malakoff", 12.5, now - timedelta(minutes=8))]
    async with gov.running.runtime.db.session() as session:
        for submission, qpv, value, at in rows:
            session.add(ValueSeen(event_id=f"e{submission}", submission_id=submission, indicator_id=470,
                                  indicator_label=label, engagement_number=47, period="2026", qpv_id=qpv,
                                  value=value, unit="nombre", organisation_id="nantes-metropole", at=at))
        await session.commit()

    pack = await gov.ok("GET", f"/meetings/{meeting['id']}/pack")
    assert [(v["qpv_id"], v["value"]) for v in pack["values"]] == [(None, 5.0), ("malakoff", 12.5)]
    response = await gov.call("GET", f"/meetings/{meeting['id']}/pack.pdf", member)
    assert response.status_code == 200
    flat = " ".join("\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.content)).pages).split())
    assert flat.count(label) == 2 and "12,5 nombre" in flat and "12.5" not in flat
