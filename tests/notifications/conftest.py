"""Notifications on real components: NATS (the test's own namespace), SQLite, and an aiosmtpd SMTP server.

Participation's and indicateurs' events are published as real CloudEvents built from their payload models (the
governance service is not needed to drive this one)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from kernel.events import CloudEvent, EventPayload, stream_name, subject_for
from kernel.messaging import ensure_stream, stream_config
from services.participation import events as pe
from tests.components import free_port
from tests.conftest import Running

PARIS = ZoneInfo("Europe/Paris")


@dataclass
class Sink:
    """A real SMTP server keeping what it receives; addresses in `refuse` get a 550 at RCPT."""

    refuse: set[str] = field(default_factory=set)
    received: list[tuple[str, email.message.EmailMessage]] = field(default_factory=list)
    rcpt_attempts: Counter[str] = field(default_factory=Counter)
    slow: set[str] = field(default_factory=set)
    slow_seconds: float = 3.0
    port: int = 0
    accepted: str = "250 2.0.0 Message accepté"  # a server without SMTPUTF8 must answer in ASCII

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_attempts[address] += 1
        if address in self.refuse:
            return "550 5.1.1 Destinataire inconnu"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        for rcpt in envelope.rcpt_tos:
            self.received.append((rcpt, message))
        if self.slow & set(envelope.rcpt_tos):  # taken, but the answer comes too late for the client
            await asyncio.sleep(self.slow_seconds)
        return self.accepted

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for r, m in self.received if r == address]

    def count(self) -> Counter[str]:
        return Counter(r for r, _ in self.received)


@pytest.fixture
def sink() -> Any:
    handler = Sink()
    handler.port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


STREAMS = ("participation", "participation-internal", "indicateurs", "indicateurs-internal")


@dataclass
class Bus:
    """Publishes events into one test namespace, as their services would."""

    js: Any
    ns: str

    async def publish(self, payload: EventPayload, *, subject: str | None = None, again: CloudEvent | None = None,
                      source: str | None = None) -> CloudEvent:
        """Publishes a new event, or `again` once more (a new NATS message: a redelivery the inbox must catch)."""
        event = again or CloudEvent.wrap(payload, source=source or f"/cdv/{payload.__event_type__.split('.')[1]}",
                                         subject=subject)
        msg_id = uuid.uuid4().hex if again else event.id
        await self.js.publish(subject_for(event.type, self.ns), event.model_dump_json().encode(),
                              headers={"Nats-Msg-Id": msg_id})
        return event


@pytest.fixture
async def bus(js, namespaces) -> Bus:
    ns = await namespaces()
    for service in STREAMS:
        await ensure_stream(js, stream_config(stream_name(ns, service), [f"{ns}.{service}.>"], 1))
    return Bus(js, ns)


def notifications_settings(bus: Bus, sink: Sink, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "event_namespace": bus.ns, "smtp_port": sink.port, "delivery_poll_seconds": 0.1,
        "delivery_backoff_seconds": 0.2, "delivery_backoff_max_seconds": 1, "delivery_max_attempts": 3,
        "public_url": "https://cdv.test", "mail_from": "secretariat@cdv.test", "address_wait_seconds": 20,
        "reminder_sweep_seconds": 3600, "smtp_timeout_seconds": 5,
    }
    values.update(overrides)
    return values


@pytest.fixture
async def notifications(service_runner, bus, sink) -> AsyncIterator[Running]:
    async with service_runner("notifications", **notifications_settings(bus, sink)) as running:
        yield running


# --- events of a body, its members and a meeting ---------------------------------------------------------------------

def meeting_ref(meeting_id: str, body_id: str, *, sequence: int = 1, starts: datetime | None = None,
                place: str | None = "Hôtel de Métropole, salle 2") -> pe.MeetingRef:
    starts = starts or datetime(2027, 3, 12, 9, 30, tzinfo=PARIS)
    return pe.MeetingRef(meeting_id=meeting_id, body_id=body_id, body_name="Groupe technique de coordination (GTC)",
                         body_kind="gtc", title="Séance de printemps", starts_at=starts,
                         ends_at=starts + timedelta(hours=2, minutes=30), place=place,
                         url=f"https://cdv.test/reunions/{meeting_id}", sequence=sequence)


@dataclass
class Body:
    body_id: str
    members: list[tuple[str, str]]  # (member_id, email)

    @property
    def emails(self) -> list[str]:
        return [e for _, e in self.members]


async def seat_members(bus: Bus, count: int, *, account_ids: dict[int, str] | None = None,
                       prefix: str = "m", addresses: dict[int, str] | None = None) -> Body:
    """A body with `count` members: their seats (public stream) and their addresses (internal stream)."""
    body = Body(f"body-{uuid.uuid4().hex[:8]}", [])
    tag = uuid.uuid4().hex[:6]
    for i in range(count):
        member_id = f"{prefix}{tag}{i:03d}"
        address = (addresses or {}).get(i) or f"membre{i:03d}.{tag}@exemple.test"
        body.members.append((member_id, address))
        await bus.publish(pe.MembershipChanged(
            membership_id=f"s-{member_id}", body_id=body.body_id, member_id=member_id,
            organisation_id="ville-nantes", seat="titulaire", starts_on=date(2026, 1, 1), active=True))
        await bus.publish(pe.PersonChanged(member_id=member_id, name=f"Membre {i:03d} Été", email=address,
                                           account_id=(account_ids or {}).get(i)))
    return body


def agenda_published(meeting: pe.MeetingRef, *, on_time: bool = True, late_reason: str | None = None,
                     version: int = 1) -> pe.AgendaPublished:
    docs = [pe.AgendaDocument(title="Note de cadrage", url="https://cdv.test/documents/note-cadrage.pdf")]
    items = [pe.AgendaItemOut(item_id="i1", position=1, title="Bilan des engagements de l'axe emploi",
                              engagements=[12, 13], presenter_organisation_name="Pôle emploi", documents=docs),
             pe.AgendaItemOut(item_id="i2", position=2, title="Programmation 2027 des crédits",
                              duration_minutes=45)]
    return pe.AgendaPublished(meeting=meeting, version=version, items=items,
                              documents=[pe.AgendaDocument(title="Compte rendu précédent",
                                                           url="https://cdv.test/documents/cr.pdf")],
                              pack_url="https://cdv.test/reunions/dossier.pdf", on_time=on_time,
                              late_reason=late_reason, published_at=datetime.now(UTC))


async def wait_until(predicate: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> None:
    import asyncio

    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = predicate()
        if hasattr(result, "__await__"):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} not reached in {timeout} s")
        await asyncio.sleep(0.1)


@pytest.fixture
async def portal(stack, notifications, tmp_path) -> AsyncIterator[Any]:
    """The gateway in-process, its notifications calls going to this test's notifications service."""
    from gateway.app import create_app
    from tests.gateway.conftest import Gateway, gateway_settings, transports_for

    settings = gateway_settings(tmp_path, public_url="https://cdv.test")
    app = create_app(settings, transports=transports_for({**stack, "notifications": notifications}))
    async with app.router.lifespan_context(app):
        yield Gateway(app, settings)


def link_in(message: email.message.EmailMessage, prefix: str) -> str:
    """The path of the first link starting with `prefix` in the text part."""
    import re

    text = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_content()
    found = re.search(re.escape(prefix) + r"\S+", text)
    assert found, f"no {prefix} link in:\n{text}"
    return found[0].removeprefix("https://cdv.test")
