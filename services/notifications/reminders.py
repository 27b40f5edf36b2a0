"""Reminders computed from events and a clock: each is a row with the moment it is due, written when its cause
arrives (a meeting scheduled, a campaign opened, a decision with a due date) and cancelled when it no longer
makes sense (the agenda is out, the campaign closed, the decision done). A sweep sends those whose moment has
come; marking a reminder sent and recording its deliveries happen in one transaction, so a restart neither
loses nor repeats one.

Kinds: `agenda_due` (the agenda is not published as its due day nears → the secretariat), `proposals` (members
may still propose items until the agenda's due day), `campaign_closing` (7 and 2 days before → referents of
organisations with missing values, listing them), `decision_due` (a decision's follow-up is due → referents of
the responsible organisation, or the secretariat), `recommendation_due` (a mandat citoyen's recommendation is
still unanswered as its due date nears → referents of the organisation named, or the secretariat).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.consumer import EventView
from kernel.french import PARIS
from services.notifications import indicators, people
from services.notifications.base import Base
from services.notifications.dispatch import Message, tell_all
from services.notifications.messages import datetime_fr, day_fr
from services.notifications.settings import Settings

log = logging.getLogger(__name__)


class DecisionView(EventView):
    decision_id: str
    meeting_id: str
    body_id: str
    text: str
    responsible_organisation_id: str | None = None
    due_on: date | None = None
    status: str


class RecommendationView(EventView):
    recommendation_id: str
    mandate_id: str
    mandate_title: str
    text: str
    organisation_id: str
    due_on: date
    url: str


class RecommendationAnsweredView(EventView):
    recommendation_id: str


class Reminder(Base, table=True):
    key: str = Field(primary_key=True, max_length=200)
    kind: str = Field(max_length=30)
    topic: str = Field(max_length=120, index=True)  # what cancels it together (a meeting, a campaign, a decision)
    due_at: datetime = Field(index=True)
    deadline: datetime  # past this moment the reminder is pointless: it expires unsent
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    state: str = Field(default="pending", max_length=12, index=True)  # pending | sent | cancelled | expired
    sent_at: datetime | None = None


def at_hour(day: date, hour: int) -> datetime:
    """That day at that hour, Paris time."""
    return datetime.combine(day, time(hour), tzinfo=PARIS)


async def schedule(session: AsyncSession, *, key: str, kind: str, topic: str, due_at: datetime, deadline: datetime,
                   context: dict[str, Any]) -> None:
    """Writes (or moves) a pending reminder; one already sent or cancelled stays as it is."""
    row = await session.get(Reminder, key)
    if row is not None and row.state != "pending":
        return
    row = row or Reminder(key=key, kind=kind, topic=topic, due_at=due_at, deadline=deadline)
    row.due_at, row.deadline, row.context = due_at, deadline, context
    session.add(row)


async def cancel(session: AsyncSession, topic: str, *, kinds: tuple[str, ...] | None = None) -> None:
    """Cancels the pending reminders of a meeting, a campaign or a decision."""
    query = update(Reminder).where(col(Reminder.topic) == topic, col(Reminder.state) == "pending")
    if kinds:
        query = query.where(col(Reminder.kind).in_(kinds))
    await session.exec(query.values(state="cancelled"))  # type: ignore[call-overload]


# --- causes -------------------------------------------------------------------------------------------------------

async def meeting_planned(session: AsyncSession, *, meeting: dict[str, Any], agenda_due_on: date,
                          settings: Settings) -> None:
    """A meeting scheduled or moved: remind the secretariat of its agenda, and members of the proposals' cut-off."""
    topic = f"meeting:{meeting['meeting_id']}"
    starts_at = datetime.fromisoformat(meeting["starts_at"])
    await cancel(session, topic, kinds=("agenda_due", "proposals"))  # a move replaces them
    context = {"meeting": meeting, "agenda_due_on": agenda_due_on.isoformat()}
    await schedule(session, key=f"agenda_due:{meeting['meeting_id']}:{agenda_due_on}", kind="agenda_due",
                   topic=topic, due_at=at_hour(agenda_due_on - timedelta(days=settings.agenda_reminder_days),
                                               settings.reminder_hour),
                   deadline=starts_at, context=context)
    await schedule(session, key=f"proposals:{meeting['meeting_id']}:{agenda_due_on}", kind="proposals",
                   topic=topic, due_at=at_hour(agenda_due_on - timedelta(days=settings.proposal_reminder_days),
                                               settings.reminder_hour),
                   deadline=at_hour(agenda_due_on, 0), context=context)


async def campaign_opened(session: AsyncSession, *, campaign: dict[str, Any], closes_on: date,
                          settings: Settings) -> None:
    topic = f"campaign:{campaign['campaign_id']}"
    await cancel(session, topic)
    for days in settings.campaign_reminder_days:
        await schedule(session, key=f"campaign_closing:{campaign['campaign_id']}:{closes_on}:J-{days}",
                       kind="campaign_closing", topic=topic,
                       due_at=at_hour(closes_on - timedelta(days=days), settings.reminder_hour),
                       deadline=at_hour(closes_on + timedelta(days=1), 0),
                       context={**campaign, "closes_on": closes_on.isoformat(), "days": days})


async def decision_followed(session: AsyncSession, *, decision: dict[str, Any], settings: Settings) -> None:
    """A decision recorded or its follow-up changed: a reminder before its due date while it is not done."""
    topic = f"decision:{decision['decision_id']}"
    await cancel(session, topic)
    if not decision.get("due_on") or decision["status"] in ("fait", "abandonne"):
        return
    due_on = date.fromisoformat(decision["due_on"])
    await schedule(session, key=f"decision_due:{decision['decision_id']}:{due_on}", kind="decision_due",
                   topic=topic, due_at=at_hour(due_on - timedelta(days=settings.decision_reminder_days),
                                               settings.reminder_hour),
                   deadline=at_hour(due_on + timedelta(days=1), 0), context=decision)


async def recommendation_owed(session: AsyncSession, *, recommendation: dict[str, Any], settings: Settings) -> None:
    """A recommendation published: reminders to the organisation named before its answer is due (cancelled by the
    answer)."""
    topic = f"recommendation:{recommendation['recommendation_id']}"
    await cancel(session, topic)
    due_on = date.fromisoformat(recommendation["due_on"])
    for days in settings.recommendation_reminder_days:
        await schedule(session, key=f"recommendation_due:{recommendation['recommendation_id']}:{due_on}:J-{days}",
                       kind="recommendation_due", topic=topic,
                       due_at=at_hour(due_on - timedelta(days=days), settings.reminder_hour),
                       deadline=at_hour(due_on + timedelta(days=1), 0), context={**recommendation, "days": days})


# --- the sweep ------------------------------------------------------------------------------------------------------

async def send_due(session: AsyncSession, *, at: datetime, settings: Settings) -> int:
    """Sends every pending reminder due at `at` (expiring those past their deadline); returns how many left."""
    due = list((await session.exec(
        select(Reminder).where(Reminder.state == "pending", col(Reminder.due_at) <= at)
        .order_by(col(Reminder.due_at)).with_for_update(skip_locked=True)
    )).all())
    sent = 0
    for reminder in due:
        if at >= reminder.deadline:
            reminder.state = "expired"
        else:
            count = await _send(session, reminder, settings)
            reminder.state, reminder.sent_at = "sent", at
            sent += 1
            log.info("reminder %s sent to %s recipient(s)", reminder.key, count)
        session.add(reminder)
    await session.commit()
    return sent


async def _send(session: AsyncSession, reminder: Reminder, settings: Settings) -> int:
    c = reminder.context
    if reminder.kind == "campaign_closing":
        return await _campaign_closing(session, reminder, settings)
    if reminder.kind in ("agenda_due", "proposals"):
        m = c["meeting"]
        due_on = date.fromisoformat(c["agenda_due_on"])
        if reminder.kind == "agenda_due":
            recipients = await people.secretariat(session)
            title = f"Ordre du jour à diffuser avant le {day_fr(due_on)} — {m['body_name']}"
            paragraphs = [f"L'ordre du jour de la réunion « {m['title']} » du {datetime_fr(m['starts_at'])} n'est "
                          f"pas encore publié. Il doit être diffusé aux membres au plus tard le {day_fr(due_on)}."]
        else:
            recipients = await people.body_members(session, m["body_id"])
            title = f"Proposer un point avant le {day_fr(due_on)} — {m['body_name']}"
            paragraphs = [f"Vous pouvez proposer des points à l'ordre du jour de la réunion « {m['title']} » du "
                          f"{datetime_fr(m['starts_at'])} jusqu'au {day_fr(due_on)}, date de sa diffusion."]
        return await _tell(session, reminder, recipients, title, paragraphs, [], m["url"], "Voir la réunion",
                           settings)
    if reminder.kind == "recommendation_due":
        due_on = date.fromisoformat(c["due_on"])
        recipients = await people.referents_of(session, c["organisation_id"]) or await people.secretariat(session)
        title = f"Réponse attendue d'ici le {day_fr(due_on)} : préconisation du mandat citoyen « {c['mandate_title']} »"
        paragraphs = [f"Le mandat citoyen « {c['mandate_title']} » attend la réponse de "
                      f"{await people.organisation_name(session, c['organisation_id'])} à sa préconisation :",
                      f"« {c['text']} »",
                      f"Répondez d'ici le {day_fr(due_on)} (acceptée, acceptée en partie ou refusée, avec un texte) : "
                      "la réponse est publiée à côté de la préconisation ; passé ce jour, le retard est public."]
        return await _tell(session, reminder, recipients, title, paragraphs, [], c["url"], "Répondre", settings)
    # decision_due
    due_on = date.fromisoformat(c["due_on"])
    org = c.get("responsible_organisation_id")
    recipients = (await people.referents_of(session, org) if org else []) or await people.secretariat(session)
    title = f"Suivi de décision attendu pour le {day_fr(due_on)}"
    paragraphs = [f"La décision « {c['text']} » doit être suivie d'ici le {day_fr(due_on)} "
                  f"(état actuel : {c['status'].replace('_', ' ')})."]
    url = f"{settings.public_url.rstrip('/')}/decisions/{c['decision_id']}"
    return await _tell(session, reminder, recipients, title, paragraphs, [], url, "Voir la décision", settings)


async def _campaign_closing(session: AsyncSession, reminder: Reminder, settings: Settings) -> int:
    c = reminder.context
    closes_on = date.fromisoformat(c["closes_on"])
    missing = await indicators.missing_values(session, c["period"])
    url = f"{settings.public_url.rstrip('/')}/indicateurs/a-renseigner"
    title = f"Campagne « {c['title']} » : clôture dans {c['days']} jours, le {day_fr(closes_on)}"
    total = 0
    for organisation_id, values in sorted(missing.items()):
        recipients = await people.referents_of(session, organisation_id)
        if not recipients:
            continue
        name = await people.organisation_name(session, organisation_id)
        paragraphs = [f"La campagne de collecte « {c['title']} » se termine le {day_fr(closes_on)}. "
                      f"Il manque encore {len(values)} valeur{'s' if len(values) > 1 else ''} de {name} :"]
        total += await _tell(session, reminder, recipients, title, paragraphs, values, url, "Renseigner les valeurs",
                             settings, suffix=organisation_id)
    return total


async def _tell(session: AsyncSession, reminder: Reminder, recipients: list[people.Recipient], title: str,
                paragraphs: list[str], lines: list[str], url: str, label: str, settings: Settings,
                suffix: str = "") -> int:
    message = Message(kind="reminder", category="rappels", title=title, text=" ".join(paragraphs), url=url,
                      template="notice", context={"subject": title, "title": title, "paragraphs": paragraphs,
                                                  "lines": lines, "link_url": url, "link_label": label})
    cause = f"reminder:{reminder.key}" + (f":{suffix}" if suffix else "")
    return await tell_all(session, recipients, message, cause=cause, source_event_id=f"reminder:{reminder.key}",
                          domain=settings.mail_domain)


async def pending(session: AsyncSession) -> list[Reminder]:
    return list((await session.exec(select(Reminder).where(Reminder.state == "pending")
                                    .order_by(col(Reminder.due_at)))).all())
