"""Agenda circulation end to end: events in, e-mails out through a real SMTP server, invitations parsed back."""

from __future__ import annotations

import asyncio
import html
import uuid
from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from services.notifications.people import Person
from services.participation import events as pe
from tests.conftest import ADMIN, auth, identity
from tests.notifications.conftest import agenda_published, meeting_ref, seat_members, wait_until

SECRETARIAT = identity("nantes-metropole", "secretariat", name="Claire Secrétariat")


def invitation(message) -> Calendar:  # type: ignore[no-untyped-def]
    """The text/calendar alternative, parsed; the .ics attachment must say the same."""
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    attachments = [p for p in message.walk() if p.get_filename() and p.get_filename().endswith(".ics")]
    assert len(parts) == 1 and len(attachments) == 1
    assert parts[0].get_param("method") in ("REQUEST", "CANCEL")
    cal = Calendar.from_ical(parts[0].get_content())
    assert Calendar.from_ical(attachments[0].get_content()).to_ical() == cal.to_ical()
    return cal


def text_of(message, subtype: str) -> str:  # type: ignore[no-untyped-def]
    [part] = [p for p in message.walk() if p.get_content_type() == f"text/{subtype}"]
    return html.unescape(part.get_content()) if subtype == "html" else part.get_content()


async def test_an_agenda_reaches_each_member_once_then_its_revision_and_cancellation(notifications, bus, sink) -> None:
    body = await seat_members(bus, 4)
    meeting = meeting_ref("reunion-gtc-1", body.body_id)
    published = await bus.publish(agenda_published(meeting, on_time=False, late_reason="Report du COPIL"))

    await wait_until(lambda: len(sink.received) >= 4, what="4 agendas")
    assert sorted(sink.count()) == sorted(body.emails) and set(sink.count().values()) == {1}
    uids = set()
    for _, address in body.members:
        [message] = sink.to(address)
        assert message["Subject"] == "Ordre du jour — Groupe technique de coordination (GTC) du 12 mars 2027"
        assert message["List-Unsubscribe"] is None  # agendas cannot be turned off
        plain, rich = text_of(message, "plain"), text_of(message, "html")
        for text in (plain, rich):
            assert "Bilan des engagements de l'axe emploi" in text and "Programmation 2027 des crédits" in text
            assert "https://cdv.test/documents/note-cadrage.pdf" in text
            # These members have no account: the pack needs a signed-in member, so they are told, not linked.
            assert "dossier.pdf" not in text and "réservé aux membres qui ont un compte" in text
            assert "/notifications/preferences" not in text  # the preferences page needs a login too
            assert "https://cdv.test/reunions/reunion-gtc-1" in text  # the meeting's public page
            assert "Report du COPIL" in text  # late publication shows its reason
            assert "12 mars 2027 à 9 h 30" in text
        assert "Bonjour Membre" in plain and "Été" in plain
        cal = invitation(message)
        assert cal["METHOD"] == "REQUEST"
        [event] = cal.walk("VEVENT")
        [tz] = cal.walk("VTIMEZONE")
        assert str(tz["TZID"]) == "Europe/Paris"
        start = event.decoded("DTSTART")
        assert event["DTSTART"].params["TZID"] == "Europe/Paris"
        assert start == datetime(2027, 3, 12, 8, 30, tzinfo=UTC)
        assert event.decoded("DTEND") - start == timedelta(hours=2, minutes=30)
        assert int(event["SEQUENCE"]) == 1
        assert str(event["ORGANIZER"]) == "mailto:secretariat@cdv.test"
        assert str(event["ATTENDEE"]) == f"mailto:{address}"
        assert event["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
        assert str(event["LOCATION"]) == "Hôtel de Métropole, salle 2"
        assert str(event["STATUS"]) == "CONFIRMED"
        uids.add(str(event["UID"]))
    assert len(uids) == 1

    # The same event delivered again (a new NATS message with the same CloudEvent id): nothing more is sent.
    await bus.publish(agenda_published(meeting), again=published)
    await asyncio.sleep(1.5)
    assert len(sink.received) == 4

    # A revision: the same UID, a higher SEQUENCE, and what changed.
    revised = pe.AgendaRevised(
        meeting=meeting_ref("reunion-gtc-1", body.body_id, sequence=2), version=2, previous_version=1,
        items=agenda_published(meeting).items[::-1], changes=[pe.AgendaChange(
            kind="moved", item_id="i2", title="Programmation 2027 des crédits",
            detail="passe de la position 2 à la position 1")], on_time=True, published_at=datetime.now(UTC))
    await bus.publish(revised)
    await wait_until(lambda: len(sink.received) >= 8, what="4 updates")
    for _, address in body.members:
        update = sink.to(address)[1]
        assert "version 2" in update["Subject"]
        assert "passe de la position 2 à la position 1" in text_of(update, "plain")
        [event] = invitation(update).walk("VEVENT")
        assert str(event["UID"]) in uids and int(event["SEQUENCE"]) == 2

    # Moved: an update of the same invitation, with the new time.
    new_start = datetime(2027, 3, 19, 14, 0, tzinfo=meeting.starts_at.tzinfo)
    await bus.publish(pe.MeetingMoved(meeting=meeting_ref("reunion-gtc-1", body.body_id, sequence=3,
                                                          starts=new_start), previous_starts_at=meeting.starts_at,
                                      previous_place=meeting.place, agenda_due_on=new_start.date()))
    await wait_until(lambda: len(sink.received) >= 12, what="4 moves")
    for _, address in body.members:
        moved = sink.to(address)[2]
        assert "Réunion déplacée" in moved["Subject"] and "12 mars 2027 à 9 h 30" in text_of(moved, "plain")
        cal = invitation(moved)
        [event] = cal.walk("VEVENT")
        assert cal["METHOD"] == "REQUEST" and int(event["SEQUENCE"]) == 3 and str(event["UID"]) in uids
        assert event.decoded("DTSTART") == datetime(2027, 3, 19, 13, 0, tzinfo=UTC)

    # Cancelled: METHOD CANCEL with the same UID.
    await bus.publish(pe.MeetingCancelled(meeting=meeting_ref("reunion-gtc-1", body.body_id, sequence=4,
                                                              starts=new_start),
                                          reason="Quorum impossible à réunir", agenda_was_published=True))
    await wait_until(lambda: len(sink.received) >= 16, what="4 cancellations")
    for _, address in body.members:
        cancel = sink.to(address)[3]
        assert "Quorum impossible à réunir" in text_of(cancel, "html")
        cal = invitation(cancel)
        [event] = cal.walk("VEVENT")
        assert cal["METHOD"] == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
        assert str(event["UID"]) in uids and int(event["SEQUENCE"]) == 4
    assert len(sink.received) == 16

    # The secretariat's view of the meeting: every circulation, all sent; members only by opaque id.
    api = notifications.client
    await wait_until(lambda: _all_sent(api), what="delivery records settled")
    summary = (await api.get("/api/v1/meetings/reunion-gtc-1/deliveries", headers=auth(SECRETARIAT))).json()
    assert [(g["notice_kind"], g["agenda_version"], g["sent"], g["failed"]) for g in summary] == [
        ("agenda", 1, 4, 0), ("agenda_revision", 2, 4, 0), ("meeting_moved", None, 4, 0),
        ("meeting_cancelled", None, 4, 0)]
    referent = identity("ville-nantes", "referent")
    assert (await api.get("/api/v1/meetings/reunion-gtc-1/deliveries", headers=auth(referent))).status_code == 403
    assert (await api.get("/api/v1/deliveries", headers=auth(ADMIN))).status_code == 200


async def _all_sent(api) -> bool:  # type: ignore[no-untyped-def]
    rows = (await api.get("/api/v1/meetings/reunion-gtc-1/deliveries", headers=auth(SECRETARIAT))).json()
    return sum(g["sent"] for g in rows) == 16


async def test_the_agenda_of_a_meeting_already_over_is_not_circulated(notifications, bus, sink) -> None:
    body = await seat_members(bus, 2)
    past = meeting_ref("reunion-passee", body.body_id, starts=datetime.now(UTC) - timedelta(days=30))
    await bus.publish(agenda_published(past))
    upcoming = meeting_ref("reunion-a-venir", body.body_id)
    await bus.publish(agenda_published(upcoming))  # the same stream, after it: once it is out, the first was read
    await wait_until(lambda: len(sink.received) >= 2, what="the upcoming meeting's agenda")
    await asyncio.sleep(1)
    assert all("12 mars 2027" in m["Subject"] for _, m in sink.received) and len(sink.received) == 2


async def test_a_member_with_an_account_finds_the_agenda_in_their_notification_centre(notifications, bus,
                                                                                       sink) -> None:
    account = identity("ville-nantes", "referent")  # participation links the member to this gateway account
    body = await seat_members(bus, 2, account_ids={0: account.user_id})

    async def linked() -> bool:
        # The link comes on participation's internal stream and the agenda on its public one: two consumers, no
        # order between them. A person linked after the agenda gets the e-mail, not the notice (left as is).
        async with notifications.runtime.db.session() as session:
            person = await session.get(Person, body.members[0][0])
            return person is not None and person.user_id == account.user_id

    await wait_until(linked, what="the member linked to the account")
    await bus.publish(agenda_published(meeting_ref("reunion-centre", body.body_id)))
    await wait_until(lambda: len(sink.received) >= 2, what="2 agendas")
    api = notifications.client

    async def in_centre() -> bool:
        items = (await api.get("/api/v1/notices", headers=auth(account))).json()["items"]
        return any("Ordre du jour" in item["title"] for item in items)

    for _ in range(50):
        if await in_centre():
            break
        await asyncio.sleep(0.1)
    assert await in_centre(), "the linked member sees the agenda among their notices"
    other = identity("ville-nantes", "referent")
    assert (await api.get("/api/v1/notices", headers=auth(other))).json()["items"] == []


async def test_a_member_without_an_account_gets_no_link_that_needs_a_login(notifications, bus, sink) -> None:
    """Members of a body need no account: their agenda links only to what opens without one (the meeting's public
    page, its public documents, the unsubscribe link if any); a member with an account keeps every link."""
    account = identity("ville-nantes", "referent")
    body = await seat_members(bus, 2, account_ids={0: account.user_id})

    async def linked() -> bool:
        async with notifications.runtime.db.session() as session:
            person = await session.get(Person, body.members[0][0])
            return person is not None and person.user_id == account.user_id

    await wait_until(linked, what="the first member linked to an account")
    agenda = agenda_published(meeting_ref("reunion-sans-compte", body.body_id))
    agenda.documents.append(pe.AgendaDocument(title="Note interne", url="https://cdv.test/documents/note-interne",
                                              public=False))
    await bus.publish(agenda)
    await wait_until(lambda: len(sink.received) >= 2, what="2 agendas")
    login_only = ("https://cdv.test/reunions/dossier.pdf", "https://cdv.test/documents/note-interne",
                  "/notifications/preferences")
    open_to_all = ("https://cdv.test/reunions/reunion-sans-compte", "https://cdv.test/documents/cr.pdf",
                   "https://cdv.test/documents/note-cadrage.pdf")
    [with_account] = sink.to(body.members[0][1])
    [without] = sink.to(body.members[1][1])
    for subtype in ("plain", "html"):
        mine, theirs = text_of(with_account, subtype), text_of(without, subtype)
        assert all(url in mine for url in login_only + open_to_all), subtype
        assert not [url for url in login_only if url in theirs], subtype
        assert all(url in theirs for url in open_to_all), subtype
        assert "Note interne" in theirs and "réservé aux membres ayant un compte" in theirs
        assert "réservé aux membres qui ont un compte" in theirs  # where the pack's link would be


async def test_a_member_known_only_by_address_is_linked_to_their_account_by_e_mail(notifications, bus,
                                                                                    sink) -> None:
    """Participation's demo and members added by e-mail carry no account id: the address links them (whatever
    its case) to the account the gateway described, so the agenda reaches that account's notification centre."""
    account = identity("ville-nantes", "referent")
    api = notifications.client
    address = f"Lea.Moreau.{account.user_id[:6]}@Exemple.test"
    described = await api.put(f"/api/v1/accounts/{account.user_id}", headers=auth(ADMIN), json={
        "user_id": account.user_id, "name": "Léa Moreau", "email": address.lower(),
        "organisation_id": "ville-nantes", "roles": ["referent"]})
    assert described.status_code == 200, described.text
    body = await seat_members(bus, 2, addresses={0: address})  # no account_id in person.changed
    # person.changed comes on the internal stream, read by another consumer than the agenda's: a member not known
    # yet when the agenda is handled gets the e-mail later but no notice (as with an account id), so let it land.
    await asyncio.sleep(1)
    await bus.publish(agenda_published(meeting_ref("reunion-par-adresse", body.body_id)))
    await wait_until(lambda: len(sink.received) >= 2, what="2 agendas")

    async def in_centre() -> bool:
        items = (await api.get("/api/v1/notices", headers=auth(account))).json()["items"]
        return any("Ordre du jour" in item["title"] for item in items)

    await wait_until(in_centre, what="the agenda in the linked account's notification centre")
    other = identity("ville-nantes", "referent")
    assert (await api.get("/api/v1/notices", headers=auth(other))).json()["items"] == []


async def test_the_proposer_learns_that_their_proposal_is_retenue(notifications, bus, sink) -> None:
    """The subject agrees with « proposition » (feminine); the body speaks of « le point »."""
    body = await seat_members(bus, 1)
    await asyncio.sleep(0.5)  # the member's address lands first (internal stream)
    await bus.publish(pe.AgendaItemDecided(meeting=meeting_ref("reunion-proposition", body.body_id),
                                           proposal_id="p1", title="Point CAF", accepted=True, reason=None,
                                           proposer_member_id=body.members[0][0]))
    await wait_until(lambda: sink.to(body.emails[0]), what="the decision mailed to the proposer")
    [message] = sink.to(body.emails[0])
    assert message["Subject"].startswith("Votre proposition de point est retenue — ")
    assert "« Point CAF » que vous avez proposé pour la réunion « Séance de printemps » est retenu." in \
        message.get_body(("plain",)).get_content()


async def test_an_applicant_without_an_account_gets_no_preferences_link(notifications, bus, sink) -> None:
    """An association applying to the inter-associatif has no account: its mails link to the public page only."""
    address = f"contact.{uuid.uuid4().hex[:6]}@asso.test"
    await bus.publish(pe.ApplicationAnswered(
        application_id=uuid.uuid4().hex, association_name="Les Amis du Breil", contact_name="Nour Contact",
        email=address, accepted=True, url="https://cdv.test/inter-associatif"))
    await wait_until(lambda: len(sink.to(address)) == 1, what="the answer to the applicant")
    [message] = sink.to(address)
    for subtype in ("plain", "html"):
        text = text_of(message, subtype)
        assert "https://cdv.test/inter-associatif" in text and "/notifications/preferences" not in text
        assert "Choisir ce que je reçois" not in text
