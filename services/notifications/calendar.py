"""Calendar invitations (RFC 5545 / iTIP RFC 5546), built with the `icalendar` library.

One meeting is one VEVENT with a stable UID; every publication, revision or move is a REQUEST with the
meeting's SEQUENCE (which participation raises each time), so calendars update the event they already have;
a cancellation is a CANCEL with the same UID. Times are written in the meeting's time zone (Europe/Paris) with
its VTIMEZONE, as Outlook and Thunderbird expect.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//Contrat de ville//Notifications//FR"


def meeting_uid(meeting_id: str, domain: str) -> str:
    """The same for every message about this meeting, so calendars match them."""
    return f"reunion-{meeting_id}@{domain}"


def _address(email: str, name: str | None, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = vText(name)
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def invitation(*, method: Literal["REQUEST", "CANCEL"], meeting: dict[str, Any], domain: str, stamp: datetime,
               organizer_email: str, organizer_name: str, attendee_email: str, attendee_name: str | None,
               description: str) -> bytes:
    """The .ics of one meeting for one attendee."""
    tz = ZoneInfo(meeting.get("timezone") or "Europe/Paris")
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    event = Event()
    event.add("uid", meeting_uid(meeting["meeting_id"], domain))
    event.add("sequence", int(meeting["sequence"]))
    event.add("dtstamp", stamp)
    event.add("dtstart", _local(meeting["starts_at"], tz))
    event.add("dtend", _local(meeting["ends_at"], tz))
    event.add("summary", f"{meeting['body_name']} — {meeting['title']}")
    if meeting.get("place"):
        event.add("location", meeting["place"])
    event.add("url", meeting["url"])
    event.add("description", description)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _address(organizer_email, organizer_name))
    params = {"ROLE": "REQ-PARTICIPANT", "CUTYPE": "INDIVIDUAL"}
    if method == "REQUEST":
        params.update(PARTSTAT="NEEDS-ACTION", RSVP="TRUE")
    event.add("attendee", _address(attendee_email, attendee_name, **params))
    cal.add_component(event)
    # The zone's rules around the meeting only: a short VTIMEZONE that every client reads the same.
    start = _local(meeting["starts_at"], tz)
    cal.add_missing_timezones(first_date=date(start.year - 1, 1, 1), last_date=date(start.year + 2, 1, 1))
    return cal.to_ical()


def _local(value: str | datetime, tz: ZoneInfo) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(tz)
