"""Indicators as this service needs them: copies of the definitions (who must report what, how often) and of the
state of each value, built from indicateurs' events; the notices they cause (a value approved or sent back to
whoever submitted it, a campaign opened to the referents concerned); and what is still missing for a campaign,
which its closing reminders list.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import JSON, Column, false
from sqlmodel import Field, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.consumer import EventView
from kernel.events import CloudEvent
from services.notifications import people, reminders
from services.notifications.base import Base, now
from services.notifications.dispatch import Message, tell, tell_all
from services.notifications.messages import day_fr
from services.notifications.settings import Settings

DONE_STATES = ("soumis", "approuve")  # a draft or a value sent back still has to be (re)submitted
_PERIOD = re.compile(r"^(\d{4})(?:-([ST])([1-4]))?$")
STEP = {"annuelle": 12, "semestrielle": 6, "trimestrielle": 3}


class DefinitionView(EventView):
    indicator_id: int
    label: str
    periodicity: str
    responsible: list[str]
    active: bool
    computed: bool = False  # the platform computes its values: nobody owes them


class SubmissionView(EventView):
    submission_id: int
    indicator_id: int
    indicator_label: str
    period: str
    qpv_id: str | None = None
    value: float
    unit: str
    state: str
    organisation_id: str
    actor_name: str
    actor_organisation_id: str | None = None
    reason: str | None = None


class CampaignView(EventView):
    campaign_id: int
    title: str
    period: str
    closes_on: date


class IndicatorCopy(Base, table=True):
    __tablename__ = "indicator_copy"
    indicator_id: int = Field(primary_key=True)
    label: str = Field(max_length=500)
    periodicity: str = Field(max_length=20)
    responsible: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    computed: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class ValueCopy(Base, table=True):
    """Where each value stands (any QPV of it), and who in the organisation last submitted it."""

    __tablename__ = "indicator_value"
    indicator_id: int = Field(primary_key=True)
    organisation_id: str = Field(primary_key=True, max_length=80)
    period: str = Field(primary_key=True, max_length=10)
    qpv: str = Field(primary_key=True, max_length=80, default="")
    state: str = Field(max_length=20)
    submitted_by: str | None = Field(default=None, max_length=200)
    updated_at: datetime = Field(default_factory=now)


def _months(period: str) -> tuple[int, int, int] | None:
    match = _PERIOD.match(period.strip().upper())
    if not match:
        return None
    year, kind, index = int(match[1]), match[2], int(match[3] or 0)
    if kind is None:
        return year, 1, 12
    return (year, 6 * index - 5, 6 * index) if kind == "S" else (year, 3 * index - 2, 3 * index)


def expected_periods(campaign_period: str, periodicity: str) -> list[str]:
    """The periods of a periodicity inside a campaign's period (as indicateurs counts them)."""
    span = _months(campaign_period)
    step = STEP.get(periodicity)
    if span is None or step is None:
        return []
    year, first, last = span
    found = []
    for start in range(1, 13, step):
        if first <= start and start + step - 1 <= last:
            found.append(str(year) if step == 12 else f"{year}-{'S' if step == 6 else 'T'}{(start - 1) // step + 1}")
    return found


async def owed_definitions(session: AsyncSession) -> list[IndicatorCopy]:
    """The indicators organisations report: active, and not computed by the platform (as indicateurs counts)."""
    return list((await session.exec(select(IndicatorCopy).where(col(IndicatorCopy.active).is_(True),
                                                                col(IndicatorCopy.computed).is_(False))
                                    .order_by(IndicatorCopy.indicator_id))).all())


async def missing_values(session: AsyncSession, campaign_period: str) -> dict[str, list[str]]:
    """Per organisation, the values it still owes for a campaign (« label — period »)."""
    definitions = await owed_definitions(session)
    done = {(v.indicator_id, v.organisation_id, v.period) for v in (await session.exec(
        select(ValueCopy).where(col(ValueCopy.state).in_(DONE_STATES)))).all()}
    missing: dict[str, list[str]] = {}
    for d in definitions:
        for period in expected_periods(campaign_period, d.periodicity):
            for org in d.responsible:
                if (d.indicator_id, org, period) not in done:
                    missing.setdefault(org, []).append(f"{d.label} — {period}")
    return missing


# --- copies ---------------------------------------------------------------------------------------------------------

async def definition_defined(session: AsyncSession, data: DefinitionView) -> None:
    row = await session.get(IndicatorCopy, data.indicator_id) or IndicatorCopy(
        indicator_id=data.indicator_id, label=data.label, periodicity=data.periodicity)
    row.label, row.periodicity, row.responsible, row.active = (data.label, data.periodicity, list(data.responsible),
                                                               data.active)
    row.computed = data.computed
    session.add(row)


async def value_changed(session: AsyncSession, data: SubmissionView) -> ValueCopy:
    """Keeps the value's state; a submission by the organisation's own people records who submitted it."""
    key = (data.indicator_id, data.organisation_id, data.period, data.qpv_id or "")
    row = await session.get(ValueCopy, key) or ValueCopy(indicator_id=key[0], organisation_id=key[1], period=key[2],
                                                         qpv=key[3], state=data.state)
    row.state, row.updated_at = data.state, now()
    if data.actor_organisation_id == data.organisation_id and data.state in ("brouillon", "soumis"):
        row.submitted_by = data.actor_name
    session.add(row)
    return row


# --- notices --------------------------------------------------------------------------------------------------------

async def value_decided(session: AsyncSession, event: CloudEvent, data: SubmissionView, settings: Settings) -> None:
    """A value approved or sent back: to whoever submitted it (its organisation's referents if unknown)."""
    row = await value_changed(session, data)
    submitter = None
    if row.submitted_by:
        submitter = await people.account_by_name(session, name=row.submitted_by, organisation_id=data.organisation_id)
    recipients = [submitter] if submitter else await people.referents_of(session, data.organisation_id)
    where = data.period + (f", QPV {data.qpv_id}" if data.qpv_id else "")
    value = f"{data.value:g} {data.unit}"
    if data.state == "approuve":
        title = f"Valeur approuvée : {data.indicator_label} ({where})"
        paragraphs = [f"Le secrétariat a approuvé la valeur {value} de « {data.indicator_label} » pour {where}."]
    else:
        title = f"Valeur à reprendre : {data.indicator_label} ({where})"
        paragraphs = [f"Le secrétariat vous renvoie la valeur {value} de « {data.indicator_label} » pour {where}.",
                      f"Motif : {data.reason or 'non précisé'}"]
    url = f"{settings.public_url.rstrip('/')}/indicateurs/{data.indicator_id}"
    message = Message(kind="notice", category="indicateurs", title=title, text=" ".join(paragraphs[1:]) or
                      paragraphs[0], url=url, template="notice",
                      context={"subject": title, "title": title, "paragraphs": paragraphs, "lines": [],
                               "link_url": url, "link_label": "Voir l'indicateur"})
    for recipient in recipients:
        await tell(session, recipient, message, cause=event.id, source_event_id=event.id,
                   domain=settings.mail_domain)


async def campaign_opened(session: AsyncSession, event: CloudEvent, data: CampaignView, settings: Settings,
                          *, reopened: bool = False) -> None:
    """A campaign opened (or reopened): its closing reminders; the referents concerned are told it opened."""
    await reminders.campaign_opened(session, campaign=data.model_dump(mode="json"), closes_on=data.closes_on,
                                    settings=settings)
    if reopened:
        return
    definitions = await owed_definitions(session)
    organisations = sorted({org for d in definitions for org in d.responsible
                            if expected_periods(data.period, d.periodicity)})
    recipients = [r for org in organisations for r in await people.referents_of(session, org)]
    title = f"Campagne de collecte ouverte : {data.title}"
    paragraphs = [f"La campagne « {data.title} » recueille les valeurs de la période {data.period} "
                  f"jusqu'au {day_fr(data.closes_on)} inclus."]
    url = f"{settings.public_url.rstrip('/')}/indicateurs/a-renseigner"
    message = Message(kind="notice", category="indicateurs", title=title, text=paragraphs[0], url=url,
                      template="notice", context={"subject": title, "title": title, "paragraphs": paragraphs,
                                                  "lines": [], "link_url": url,
                                                  "link_label": "Voir ce que mon organisation doit renseigner"})
    await tell_all(session, recipients, message, cause=event.id, source_event_id=event.id,
                   domain=settings.mail_domain)


async def campaign_closed(session: AsyncSession, data: CampaignView) -> None:
    await reminders.cancel(session, f"campaign:{data.campaign_id}")
