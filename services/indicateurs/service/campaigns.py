"""Campaigns: a collection window per period, and the periods they lock.

Only the secretariat opens, closes or reopens a campaign. A period covered by a closed campaign (closed by hand,
or its closing day passed) accepts no value until the secretariat reopens it; who, when and why are kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Conflict, DomainError, Invalid
from kernel.identity import Identity
from kernel.outbox import Outbox
from kernel.rows import get_or_404, guarded_update
from services.indicateurs.events import CampaignClosed, CampaignOpened, CampaignReopened
from services.indicateurs.models import Campaign, CampaignChange, CampaignStatus
from services.indicateurs.periods import Period, parse, sort_key
from services.indicateurs.schemas import CampaignChangeOut, CampaignClose, CampaignIn, CampaignOut, CampaignReopen
from services.indicateurs.service import common

AUTOMATIC_ACTOR = "Clôture automatique"
Locks = list[tuple[Period, Campaign]]


class PeriodLocked(DomainError):
    status_code = 409
    code = "period_locked"


def is_locked(c: Campaign, on: date | None = None) -> bool:
    return c.status == CampaignStatus.CLOSE or c.closes_on < (on or common.today())


async def locks(session: AsyncSession) -> Locks:
    """The closed campaigns, with their periods."""
    day = common.today()
    return [(parse(c.period), c) for c in (await session.exec(select(Campaign))).all() if is_locked(c, day)]


def lock_reason(period: str, locks: Locks) -> str | None:
    """Why a period accepts no value (in French), or None when it is open."""
    p = parse(period)
    for covered, c in locks:
        if covered.contains(p):
            return (f"la campagne « {c.title} » ({c.period}) est close depuis le "
                    f"{(c.closed_at.date() if c.closed_at else c.closes_on).strftime('%d/%m/%Y')} ; "
                    "le secrétariat doit la rouvrir pour accepter de nouvelles valeurs")
    return None


async def ensure_open(session: AsyncSession, period: str) -> None:
    why = lock_reason(period, await locks(session))
    if why:
        raise PeriodLocked(f"Période {period} verrouillée : {why}.", period=period)


def _out(c: Campaign, changes: Sequence[CampaignChange] = ()) -> CampaignOut:
    return CampaignOut(id=c.id or 0, title=c.title, period=c.period, closes_on=c.closes_on,
                       status=CampaignStatus(c.status), locked=is_locked(c), opened_at=c.opened_at,
                       opened_by_name=c.opened_by_name, closed_at=c.closed_at, closed_by_name=c.closed_by_name,
                       history=[CampaignChangeOut.model_validate(h, from_attributes=True) for h in changes])


async def campaign(session: AsyncSession, campaign_id: int) -> Campaign:
    return await get_or_404(session, Campaign, campaign_id, f"La campagne n° {campaign_id} n'existe pas.")


async def get_campaign(session: AsyncSession, campaign_id: int) -> CampaignOut:
    """Gets a campaign with its openings, closings and reopenings, newest first."""
    c = await campaign(session, campaign_id)
    changes = (await session.exec(select(CampaignChange).where(CampaignChange.campaign_id == campaign_id)
                                  .order_by(col(CampaignChange.id).desc()))).all()
    return _out(c, changes)


async def list_campaigns(session: AsyncSession) -> list[CampaignOut]:
    """Gets the campaigns, latest period first."""
    campaigns = (await session.exec(select(Campaign))).all()
    return [_out(c) for c in sorted(campaigns, key=lambda c: sort_key(c.period), reverse=True)]


async def open_campaign(session: AsyncSession, outbox: Outbox, *, data: CampaignIn,
                        identity: Identity) -> CampaignOut:
    """The secretariat opens a collection window for a period, until a closing date."""
    common.require_secretariat(identity, "ouvrir une campagne")
    period = str(common.parse_period(data.period))
    if data.closes_on < common.today():
        raise Invalid("La date de clôture est déjà passée.", field="closes_on")
    existing = (await session.exec(select(Campaign).where(Campaign.period == period))).first()
    if existing is not None:
        raise Conflict(f"Une campagne existe déjà pour la période {period} : « {existing.title} ».",
                       campaign_id=existing.id)
    c = Campaign(title=data.title.strip(), period=period, closes_on=data.closes_on, opened_by_name=identity.name)
    session.add(c)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict(f"Une campagne vient d'être ouverte pour la période {period}.") from exc
    session.add(CampaignChange(campaign_id=c.id or 0, action="ouverture", actor_user_id=identity.user_id,
                               actor_name=identity.name, closes_on=c.closes_on))
    await outbox.record(session, CampaignOpened(campaign_id=c.id or 0, title=c.title, period=c.period,
                                                closes_on=c.closes_on), subject=f"campaign/{c.id}")
    answer = await get_campaign(session, c.id or 0)  # before the commit: no new transaction
    await session.commit()
    return answer


def _changed_meanwhile(c: Campaign) -> str:
    return f"La campagne « {c.title} » vient d'être modifiée par quelqu'un d'autre."


async def _close(session: AsyncSession, outbox: Outbox, c: Campaign, *, automatic: bool, actor_name: str,
                 actor_user_id: str | None, reason: str | None) -> None:
    """Closes an open campaign on record, from the version read; a 409 if someone changed it meanwhile."""
    at = common.now()
    await guarded_update(session, Campaign, c.id, expect={"version": c.version, "status": CampaignStatus.OUVERTE},
                         values={"status": CampaignStatus.CLOSE, "closed_at": at, "closed_by_name": actor_name,
                                 "version": c.version + 1}, conflict=_changed_meanwhile(c))
    session.add(CampaignChange(campaign_id=c.id or 0, action="cloture", automatic=automatic,
                               actor_user_id=actor_user_id, actor_name=actor_name, reason=reason,
                               closes_on=c.closes_on, at=at))
    await outbox.record(session, CampaignClosed(campaign_id=c.id or 0, title=c.title, period=c.period,
                                                closes_on=c.closes_on, automatic=automatic),
                        subject=f"campaign/{c.id}")


async def close_campaign(session: AsyncSession, outbox: Outbox, *, campaign_id: int, data: CampaignClose,
                         identity: Identity) -> CampaignOut:
    """The secretariat closes a campaign before its date: the period is locked."""
    common.require_secretariat(identity, "clore une campagne")
    c = await campaign(session, campaign_id)
    if c.status == CampaignStatus.CLOSE:
        raise Conflict(f"La campagne « {c.title} » est déjà close.")
    await _close(session, outbox, c, automatic=False, actor_name=identity.name, actor_user_id=identity.user_id,
                 reason=data.reason)
    answer = await get_campaign(session, campaign_id)  # before the commit: no new transaction
    await session.commit()
    return answer


async def reopen_campaign(session: AsyncSession, outbox: Outbox, *, campaign_id: int, data: CampaignReopen,
                          identity: Identity) -> CampaignOut:
    """The secretariat reopens a closed campaign, saying why and until when."""
    common.require_secretariat(identity, "rouvrir une campagne")
    c = await campaign(session, campaign_id)
    day = common.today()
    if not is_locked(c, day):
        raise Conflict(f"La campagne « {c.title} » est ouverte : il n'y a rien à rouvrir.")
    closes_on = data.closes_on or c.closes_on
    if closes_on < day:
        raise Invalid("Indiquez une nouvelle date de clôture, au plus tôt aujourd'hui.", field="closes_on")
    if c.status == CampaignStatus.OUVERTE:  # its date passed before the sweep saw it: close it on record first
        await _close(session, outbox, c, automatic=True, actor_name=AUTOMATIC_ACTOR, actor_user_id=None,
                     reason=None)
    await guarded_update(session, Campaign, c.id, expect={"version": c.version, "status": CampaignStatus.CLOSE},
                         values={"status": CampaignStatus.OUVERTE, "closes_on": closes_on, "closed_at": None,
                                 "closed_by_name": None, "version": c.version + 1}, conflict=_changed_meanwhile(c))
    session.add(CampaignChange(campaign_id=c.id or 0, action="reouverture", actor_user_id=identity.user_id,
                               actor_name=identity.name, reason=data.reason, closes_on=closes_on))
    await outbox.record(session, CampaignReopened(campaign_id=c.id or 0, title=c.title, period=c.period,
                                                  closes_on=closes_on), subject=f"campaign/{c.id}")
    answer = await get_campaign(session, campaign_id)  # before the commit: no new transaction
    await session.commit()
    return answer


async def close_due_campaigns(session: AsyncSession, outbox: Outbox) -> int:
    """Closes, on record, the open campaigns whose closing day has passed; returns how many.

    Each closing is its own transaction: one that someone changed meanwhile is left to the next sweep and does
    not undo the others.
    """
    due = (await session.exec(select(Campaign.id).where(Campaign.status == CampaignStatus.OUVERTE,
                                                        Campaign.closes_on < common.today()))).all()
    closed = 0
    for campaign_id in due:
        c = await campaign(session, campaign_id)  # read afresh: a conflict before rolled the session back
        try:
            await _close(session, outbox, c, automatic=True, actor_name=AUTOMATIC_ACTOR, actor_user_id=None,
                         reason=None)
        except Conflict:
            continue
        await session.commit()
        closed += 1
    return closed
