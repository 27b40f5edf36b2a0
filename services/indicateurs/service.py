"""Indicateurs domain: definitions, values submitted per period and QPV, validation, campaigns, series, exports.

Rules of the contract kept here:
- a referent of an organisation responsible for an indicator submits its organisation's values; only the
  secretariat refines definitions, validates values and opens, closes or reopens campaigns;
- a correction is a new version of a value, the older ones stay readable; a state change (submitted, approved,
  returned) applies to the latest version only and is checked in the UPDATE itself, so two people acting on the
  same version cannot both win;
- a period covered by a closed campaign accepts no value until the secretariat reopens it (who, when, why kept);
- every change writes its event in the outbox in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from kernel.identity import Identity
from kernel.outbox import Outbox
from services.indicateurs import imports
from services.indicateurs.events import (
    CampaignClosed,
    CampaignOpened,
    CampaignReopened,
    DefinitionDefined,
    ImportCompleted,
    SubmissionCorrected,
    SubmissionEvent,
    SubmissionRecorded,
    SubmissionRejected,
    SubmissionSubmitted,
    SubmissionValidated,
)
from services.indicateurs.models import (
    STATE_LABELS,
    Campaign,
    CampaignChange,
    CampaignStatus,
    DefinitionVersion,
    ImportRun,
    IndicatorDefinition,
    Organisation,
    Qpv,
    State,
    Submission,
    slot_key,
)
from services.indicateurs.periods import Period, PeriodError, check, parse, sort_key
from services.indicateurs.schemas import (
    CampaignChangeOut,
    CampaignClose,
    CampaignIn,
    CampaignOut,
    CampaignReopen,
    CompletenessOut,
    DefinitionDetail,
    DefinitionOut,
    DefinitionUpdate,
    DefinitionVersionOut,
    ImportReport,
    IndicatorCompleteness,
    LatestValues,
    MissingValue,
    OwedValue,
    QpvOut,
    SeriesOut,
    SeriesPoint,
    SubmissionDetail,
    SubmissionIn,
    SubmissionOut,
    TodoOut,
)

TIMEZONE = ZoneInfo("Europe/Paris")
CONTRACT_ACTOR = "Chargement du contrat"
AUTOMATIC_ACTOR = "Clôture automatique"
RECEIVED = (State.SOUMIS, State.APPROUVE)
CHUNK = 1000  # rows per statement in bulk writes (well under SQLite's bound-parameter limit)


class PeriodLocked(DomainError):
    status_code = 409
    code = "period_locked"


class InvalidRows(DomainError):
    status_code = 422
    code = "invalid_rows"


def _sentence(text: str) -> str:
    """A reason as a sentence: capital first letter, final full stop."""
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def today() -> date:
    """The date in Nantes (campaigns close at the end of their closing day, local time)."""
    return datetime.now(TIMEZONE).date()


def _now() -> datetime:
    return datetime.now(UTC)


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- definitions ---------------------------------------------------------------------------------------------

DEFINITION_FIELDS = ("engagement_title", "label", "uncertain", "note", "unit", "periodicity", "target", "by_qpv",
                     "qpv", "negative_allowed", "responsible", "responsible_custom", "active")


async def _definition_changed(session: AsyncSession, outbox: Outbox, d: IndicatorDefinition, changed: list[str], *,
                              actor_name: str, actor_user_id: str | None = None) -> None:
    """Keeps the new version in the history and announces it."""
    session.add(DefinitionVersion(
        indicator_id=d.id or 0, version=d.version, label=d.label, unit=d.unit, periodicity=d.periodicity,
        target=d.target, by_qpv=d.by_qpv, qpv=list(d.qpv), negative_allowed=d.negative_allowed,
        responsible=list(d.responsible), active=d.active, changed=changed, actor_user_id=actor_user_id,
        actor_name=actor_name, at=d.updated_at,
    ))
    await outbox.record(session, DefinitionDefined(
        indicator_id=d.id or 0, contract_id=d.contract_id, engagement_number=d.engagement_number, label=d.label,
        unit=d.unit, periodicity=d.periodicity, target=d.target, by_qpv=d.by_qpv, responsible=list(d.responsible),
        active=d.active, version=d.version, qpv=list(d.qpv), negative_allowed=d.negative_allowed, changed=changed,
        actor_name=actor_name), subject=f"indicator/{d.id}")


async def _update_definition(session: AsyncSession, d: IndicatorDefinition, values: dict[str, Any], *,
                             read_version: int, actor_name: str | None) -> bool:
    """Writes new values if the definition is still at `read_version` (checked in the UPDATE itself)."""
    table = IndicatorDefinition.__table__  # type: ignore[attr-defined]
    result = await session.exec(
        table.update().where(table.c.id == d.id, table.c.version == read_version)
        .values(**values, version=read_version + 1, updated_at=_now(), updated_by_name=actor_name)
    )
    if result.rowcount != 1:
        return False
    await session.refresh(d)
    return True


async def sync_engagement(session: AsyncSession, outbox: Outbox, *, contract_id: str, engagement_number: int,
                          engagement_title: str, pilots: list[str], indicators: list[dict]) -> None:
    """Creates a definition per indicator label of an engagement; follows its pilots; retires dropped labels.

    Pilots are the responsible organisations unless the secretariat named others; units, periodicity, target
    and breakdown refined by the secretariat are kept across reloads of the contract.
    """
    existing = {d.label: d for d in (await session.exec(select(IndicatorDefinition).where(
        IndicatorDefinition.contract_id == contract_id,
        IndicatorDefinition.engagement_number == engagement_number))).all()}
    labels = {i["label"]: i for i in indicators}
    for label, spec in labels.items():
        d = existing.get(label)
        if d is None:
            d = IndicatorDefinition(contract_id=contract_id, engagement_number=engagement_number,
                                    engagement_title=engagement_title, label=label,
                                    uncertain=bool(spec.get("uncertain")), note=spec.get("note"),
                                    responsible=pilots, updated_by_name=CONTRACT_ACTOR)
            session.add(d)
            await session.flush()
            await _definition_changed(session, outbox, d, ["creation"], actor_name=CONTRACT_ACTOR)
            continue
        wanted: dict[str, Any] = {"engagement_title": engagement_title, "active": True,
                                  "uncertain": bool(spec.get("uncertain")), "note": spec.get("note")}
        if not d.responsible_custom:
            wanted["responsible"] = pilots
        values = {k: v for k, v in wanted.items() if getattr(d, k) != v}
        if "responsible" in values and set(values["responsible"]) == set(d.responsible):
            del values["responsible"]
        if values:
            await _apply_contract_change(session, outbox, d, values)
    for label, d in existing.items():
        if label not in labels and d.active:
            await _apply_contract_change(session, outbox, d, {"active": False})


async def _apply_contract_change(session: AsyncSession, outbox: Outbox, d: IndicatorDefinition,
                                 values: dict[str, Any]) -> None:
    if not await _update_definition(session, d, values, read_version=d.version, actor_name=CONTRACT_ACTOR):
        # The secretariat changed it at the same moment: fail the delivery, it is retried on fresh data.
        raise RuntimeError(f"indicator {d.id} changed concurrently")
    await _definition_changed(session, outbox, d, sorted(values), actor_name=CONTRACT_ACTOR)


async def list_definitions(session: AsyncSession, engagement: int | None = None) -> list[DefinitionOut]:
    """Gets the active indicator definitions, by engagement."""
    query = select(IndicatorDefinition).where(IndicatorDefinition.active)
    if engagement is not None:
        query = query.where(IndicatorDefinition.engagement_number == engagement)
    rows = (await session.exec(query.order_by(IndicatorDefinition.engagement_number,
                                              IndicatorDefinition.id))).all()
    return [DefinitionOut.model_validate(r, from_attributes=True) for r in rows]


async def _definition(session: AsyncSession, indicator_id: int) -> IndicatorDefinition:
    d = await session.get(IndicatorDefinition, indicator_id)
    if d is None:
        raise NotFound(f"L'indicateur n° {indicator_id} n'existe pas.")
    return d


async def get_definition(session: AsyncSession, indicator_id: int) -> DefinitionDetail:
    """Gets one definition with all its versions, newest first."""
    d = await _definition(session, indicator_id)
    history = (await session.exec(select(DefinitionVersion).where(DefinitionVersion.indicator_id == indicator_id)
                                  .order_by(col(DefinitionVersion.version).desc()))).all()
    return DefinitionDetail(**DefinitionOut.model_validate(d, from_attributes=True).model_dump(),
                            history=[DefinitionVersionOut.model_validate(h, from_attributes=True) for h in history])


async def update_definition(session: AsyncSession, outbox: Outbox, *, indicator_id: int, update: DefinitionUpdate,
                            identity: Identity) -> DefinitionDetail:
    """The secretariat refines a definition (unit, periodicity, target, breakdown, responsible organisations)."""
    if not identity.is_secretariat:
        raise Forbidden("Seul le secrétariat peut modifier une définition d'indicateur.")
    d = await _definition(session, indicator_id)
    if d.version != update.version:
        raise Conflict("Cette définition a été modifiée entre-temps. Voici la version actuelle ; reprenez votre "
                       "modification à partir d'elle.",
                       current=DefinitionOut.model_validate(d, from_attributes=True).model_dump(mode="json"))
    sent = update.model_dump(include=update.model_fields_set - {"version"})
    if sent.get("qpv") is not None:
        sent["qpv"] = sorted(dict.fromkeys(sent["qpv"]))
    for name in ("unit", "periodicity", "by_qpv", "negative_allowed"):
        if name in sent and sent[name] is None:
            raise Invalid(f"Le champ « {name} » ne peut pas être vide.", field=name)
    if "responsible" in sent:
        if sent["responsible"] is None:
            raise Invalid("Indiquez au moins une organisation responsable.", field="responsible")
        sent["responsible"] = list(dict.fromkeys(sent["responsible"]))
        known = set((await session.exec(select(Organisation.id))).all())
        unknown = [o for o in sent["responsible"] if o not in known]
        if unknown:
            raise Invalid(f"Organisation inconnue : {', '.join(unknown)}", field="responsible")
    if sent.get("qpv"):
        known_qpv = set((await session.exec(select(Qpv.id))).all())
        unknown = [q for q in sent["qpv"] if q not in known_qpv]
        if unknown:
            raise Invalid(f"QPV inconnu : {', '.join(unknown)}", field="qpv")
    values = {k: v for k, v in sent.items() if getattr(d, k) != v}
    if "responsible" in values:
        values["responsible_custom"] = True
    structural = [k for k in ("periodicity", "by_qpv") if k in values]
    if structural:
        used = (await session.exec(select(func.count()).select_from(Submission)
                                   .where(Submission.indicator_id == indicator_id))).one()
        if used:
            raise Conflict(f"Des valeurs ont déjà été saisies pour cet indicateur ({used}) : sa périodicité et sa "
                           "déclinaison par QPV ne peuvent plus changer.", field=structural[0])
    if not values:
        return await get_definition(session, indicator_id)
    if not await _update_definition(session, d, values, read_version=update.version, actor_name=identity.name):
        await session.rollback()
        fresh = await session.get(IndicatorDefinition, indicator_id, populate_existing=True)
        raise Conflict("Cette définition vient d'être modifiée par quelqu'un d'autre.",
                       current=DefinitionOut.model_validate(fresh, from_attributes=True).model_dump(mode="json"))
    await _definition_changed(session, outbox, d, sorted(k for k in values if k != "responsible_custom"),
                              actor_name=identity.name, actor_user_id=identity.user_id)
    await session.commit()
    return await get_definition(session, indicator_id)


# --- reference data from participation -----------------------------------------------------------------------

async def upsert_qpv(session: AsyncSession, *, qpv_id: str, name: str, code: str | None, cities: list[str]) -> None:
    """Keeps this service's copy of a QPV (its national code joins values to other public data)."""
    qpv = await session.get(Qpv, qpv_id) or Qpv(id=qpv_id, name=name)
    qpv.name, qpv.code, qpv.cities, qpv.updated_at = name, code, cities, _now()
    session.add(qpv)


async def upsert_organisation(session: AsyncSession, *, organisation_id: str, name: str, short_name: str | None,
                              kind: str) -> None:
    """Keeps this service's copy of an organisation (to check the responsible organisations named)."""
    org = await session.get(Organisation, organisation_id) or Organisation(id=organisation_id, name=name, kind=kind)
    org.name, org.short_name, org.kind = name, short_name, kind
    session.add(org)


async def list_qpv(session: AsyncSession) -> list[QpvOut]:
    """Gets the QPV this service knows, by name."""
    return [QpvOut.model_validate(q, from_attributes=True)
            for q in (await session.exec(select(Qpv).order_by(Qpv.name))).all()]


async def _qpv_by_id(session: AsyncSession) -> dict[str, Qpv]:
    return {q.id: q for q in (await session.exec(select(Qpv))).all()}


# --- campaigns and locks -------------------------------------------------------------------------------------

def is_locked(c: Campaign, on: date | None = None) -> bool:
    return c.status == CampaignStatus.CLOSE or c.closes_on < (on or today())


async def _locks(session: AsyncSession) -> list[tuple[Period, Campaign]]:
    """The closed campaigns, with their periods."""
    day = today()
    return [(parse(c.period), c) for c in (await session.exec(select(Campaign))).all() if is_locked(c, day)]


def _lock_reason(period: str, locks: list[tuple[Period, Campaign]]) -> str | None:
    p = parse(period)
    for covered, c in locks:
        if covered.contains(p):
            return (f"la campagne « {c.title} » ({c.period}) est close depuis le "
                    f"{(c.closed_at.date() if c.closed_at else c.closes_on).strftime('%d/%m/%Y')} ; "
                    "le secrétariat doit la rouvrir pour accepter de nouvelles valeurs")
    return None


def _campaign_out(c: Campaign, changes: Sequence[CampaignChange] = ()) -> CampaignOut:
    return CampaignOut(id=c.id or 0, title=c.title, period=c.period, closes_on=c.closes_on,
                       status=CampaignStatus(c.status), locked=is_locked(c), opened_at=c.opened_at,
                       opened_by_name=c.opened_by_name, closed_at=c.closed_at, closed_by_name=c.closed_by_name,
                       history=[CampaignChangeOut.model_validate(h, from_attributes=True) for h in changes])


def _secretariat(identity: Identity, action: str) -> None:
    if not identity.is_secretariat:
        raise Forbidden(f"Seul le secrétariat peut {action}.")


async def _campaign(session: AsyncSession, campaign_id: int) -> Campaign:
    c = await session.get(Campaign, campaign_id)
    if c is None:
        raise NotFound(f"La campagne n° {campaign_id} n'existe pas.")
    return c


async def get_campaign(session: AsyncSession, campaign_id: int) -> CampaignOut:
    """Gets a campaign with its openings, closings and reopenings, newest first."""
    c = await _campaign(session, campaign_id)
    changes = (await session.exec(select(CampaignChange).where(CampaignChange.campaign_id == campaign_id)
                                  .order_by(col(CampaignChange.id).desc()))).all()
    return _campaign_out(c, changes)


async def list_campaigns(session: AsyncSession) -> list[CampaignOut]:
    """Gets the campaigns, latest period first."""
    campaigns = (await session.exec(select(Campaign))).all()
    return [_campaign_out(c) for c in sorted(campaigns, key=lambda c: sort_key(c.period), reverse=True)]


async def open_campaign(session: AsyncSession, outbox: Outbox, *, data: CampaignIn,
                        identity: Identity) -> CampaignOut:
    """The secretariat opens a collection window for a period, until a closing date."""
    _secretariat(identity, "ouvrir une campagne")
    try:
        period = str(parse(data.period))
    except PeriodError as exc:
        raise Invalid(_sentence(str(exc)), field="period") from exc
    if data.closes_on < today():
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
                                                closes_on=c.closes_on, actor_name=identity.name),
                        subject=f"campaign/{c.id}")
    await session.commit()
    return await get_campaign(session, c.id or 0)


async def _close(session: AsyncSession, outbox: Outbox, c: Campaign, *, automatic: bool, actor_name: str,
                 actor_user_id: str | None, reason: str | None) -> bool:
    table = Campaign.__table__  # type: ignore[attr-defined]
    at = _now()
    result = await session.exec(table.update().where(table.c.id == c.id, table.c.version == c.version,
                                                     table.c.status == CampaignStatus.OUVERTE)
                                .values(status=CampaignStatus.CLOSE, closed_at=at, closed_by_name=actor_name,
                                        version=c.version + 1))
    if result.rowcount != 1:
        return False
    await session.refresh(c)
    session.add(CampaignChange(campaign_id=c.id or 0, action="cloture", automatic=automatic,
                               actor_user_id=actor_user_id, actor_name=actor_name, reason=reason,
                               closes_on=c.closes_on, at=at))
    await outbox.record(session, CampaignClosed(campaign_id=c.id or 0, title=c.title, period=c.period,
                                                closes_on=c.closes_on, actor_name=actor_name, automatic=automatic,
                                                reason=reason), subject=f"campaign/{c.id}")
    return True


async def close_campaign(session: AsyncSession, outbox: Outbox, *, campaign_id: int, data: CampaignClose,
                         identity: Identity) -> CampaignOut:
    """The secretariat closes a campaign before its date: the period is locked."""
    _secretariat(identity, "clore une campagne")
    c = await _campaign(session, campaign_id)
    if c.status == CampaignStatus.CLOSE:
        raise Conflict(f"La campagne « {c.title} » est déjà close.")
    if not await _close(session, outbox, c, automatic=False, actor_name=identity.name,
                        actor_user_id=identity.user_id, reason=data.reason):
        await session.rollback()
        raise Conflict(f"La campagne « {c.title} » vient d'être modifiée par quelqu'un d'autre.")
    await session.commit()
    return await get_campaign(session, campaign_id)


async def reopen_campaign(session: AsyncSession, outbox: Outbox, *, campaign_id: int, data: CampaignReopen,
                          identity: Identity) -> CampaignOut:
    """The secretariat reopens a closed campaign, saying why and until when."""
    _secretariat(identity, "rouvrir une campagne")
    c = await _campaign(session, campaign_id)
    day = today()
    if not is_locked(c, day):
        raise Conflict(f"La campagne « {c.title} » est ouverte : il n'y a rien à rouvrir.")
    closes_on = data.closes_on or c.closes_on
    if closes_on < day:
        raise Invalid("Indiquez une nouvelle date de clôture, au plus tôt aujourd'hui.", field="closes_on")
    if c.status == CampaignStatus.OUVERTE:  # its date passed before the sweep saw it: close it on record first
        await _close(session, outbox, c, automatic=True, actor_name=AUTOMATIC_ACTOR, actor_user_id=None,
                     reason=None)
    table = Campaign.__table__  # type: ignore[attr-defined]
    result = await session.exec(table.update().where(table.c.id == c.id, table.c.version == c.version,
                                                     table.c.status == CampaignStatus.CLOSE)
                                .values(status=CampaignStatus.OUVERTE, closes_on=closes_on, closed_at=None,
                                        closed_by_name=None, version=c.version + 1))
    if result.rowcount != 1:
        await session.rollback()
        raise Conflict(f"La campagne « {c.title} » vient d'être modifiée par quelqu'un d'autre.")
    await session.refresh(c)
    session.add(CampaignChange(campaign_id=c.id or 0, action="reouverture", actor_user_id=identity.user_id,
                               actor_name=identity.name, reason=data.reason, closes_on=closes_on))
    await outbox.record(session, CampaignReopened(campaign_id=c.id or 0, title=c.title, period=c.period,
                                                  closes_on=closes_on, actor_name=identity.name,
                                                  reason=data.reason), subject=f"campaign/{c.id}")
    await session.commit()
    return await get_campaign(session, campaign_id)


async def close_due_campaigns(session: AsyncSession, outbox: Outbox) -> int:
    """Closes, on record, the open campaigns whose closing day has passed; returns how many."""
    due = (await session.exec(select(Campaign).where(Campaign.status == CampaignStatus.OUVERTE,
                                                     Campaign.closes_on < today()))).all()
    closed = 0
    for c in due:
        closed += await _close(session, outbox, c, automatic=True, actor_name=AUTOMATIC_ACTOR, actor_user_id=None,
                               reason=None)
    await session.commit()
    return closed


# --- submissions ---------------------------------------------------------------------------------------------

def _submission_out(s: Submission, d: IndicatorDefinition, qpvs: dict[str, Qpv]) -> SubmissionOut:
    q = qpvs.get(s.qpv_id) if s.qpv_id else None
    return SubmissionOut(
        id=s.id or 0, indicator_id=s.indicator_id, indicator_label=d.label, engagement_number=d.engagement_number,
        unit=d.unit, period=s.period, qpv_id=s.qpv_id, qpv_code=q.code if q else None, qpv_name=q.name if q else None,
        organisation_id=s.organisation_id, version=s.version, latest=s.latest, value=s.value,
        qualification=s.qualification, comment=s.comment, source=s.source, state=s.state,
        state_label=STATE_LABELS[State(s.state)], submitted_by_name=s.submitted_by_name, created_at=s.created_at,
        submitted_at=s.submitted_at, reviewed_by_name=s.reviewed_by_name, reviewed_at=s.reviewed_at,
        reason=s.reason, import_id=s.import_id,
    )


def _event(cls: type[SubmissionEvent], s: Submission | dict[str, Any], d: IndicatorDefinition,
           qpvs: dict[str, Qpv], *, actor: Identity, **extra: Any) -> tuple[SubmissionEvent, str]:
    v = s if isinstance(s, dict) else s.model_dump()
    q = qpvs.get(v["qpv_id"]) if v["qpv_id"] else None
    payload = cls(
        submission_id=v["id"], contract_id=d.contract_id, indicator_id=d.id or 0, indicator_label=d.label,
        engagement_number=d.engagement_number, period=v["period"], qpv_id=v["qpv_id"],
        qpv_code=q.code if q else None, value=v["value"], unit=d.unit, qualification=v["qualification"],
        comment=v["comment"], source=v["source"], state=v["state"], organisation_id=v["organisation_id"],
        actor_name=actor.name, actor_organisation_id=actor.organisation_id, version=v["version"],
        import_id=v.get("import_id"), **extra,
    )
    return payload, f"indicator/{d.id}"


def _check_value(d: IndicatorDefinition, *, period: str, qpv_id: str | None, value: float,
                 qpvs: dict[str, Qpv]) -> tuple[str, str | None]:
    """The canonical period and QPV id of a value for a definition; raises Invalid with a French reason."""
    if not d.active:
        raise Invalid(f"L'indicateur « {d.label} » a été retiré du contrat.", field="indicator_id")
    try:
        period = check(period, d.periodicity)
    except PeriodError as exc:
        raise Invalid(_sentence(str(exc)), field="period") from exc
    if qpv_id is not None:
        by_code = {q.code.upper(): q.id for q in qpvs.values() if q.code}
        resolved = qpv_id if qpv_id in qpvs else by_code.get(qpv_id.upper())
        if resolved is None:
            raise Invalid(f"QPV inconnu « {qpv_id} ».", field="qpv_id")
        if not d.by_qpv:
            raise Invalid(f"L'indicateur « {d.label} » n'est pas décliné par QPV : n'indiquez pas de QPV.",
                          field="qpv_id")
        if d.qpv and resolved not in d.qpv:
            raise Invalid(f"Le QPV « {qpv_id} » est hors du périmètre de l'indicateur « {d.label} ».",
                          field="qpv_id")
        qpv_id = resolved
    elif d.by_qpv:
        raise Invalid(f"L'indicateur « {d.label} » est décliné par QPV : indiquez le QPV.", field="qpv_id")
    if value < 0 and not d.negative_allowed:
        raise Invalid(f"Une valeur négative est impossible pour l'indicateur « {d.label} ».", field="value")
    return period, qpv_id


def _referent_of(identity: Identity, d: IndicatorDefinition) -> str:
    """The organisation a referent submits for, if it is responsible for the indicator."""
    if not identity.has("referent") or not identity.organisation_id:
        raise Forbidden("Seul un référent d'une organisation responsable peut saisir une valeur.")
    if identity.organisation_id not in d.responsible:
        raise Forbidden(f"Votre organisation (« {identity.organisation_id} ») n'est pas chargée de renseigner "
                        f"l'indicateur « {d.label} ».")
    return identity.organisation_id


async def _ensure_open(session: AsyncSession, period: str) -> None:
    why = _lock_reason(period, await _locks(session))
    if why:
        raise PeriodLocked(f"Période {period} verrouillée : {why}.", period=period)


async def _latest(session: AsyncSession, slot: str) -> Submission | None:
    return (await session.exec(select(Submission).where(Submission.slot == slot, Submission.latest)
                               )).first()


async def submit_value(session: AsyncSession, outbox: Outbox, *, data: SubmissionIn,
                       identity: Identity) -> SubmissionDetail:
    """Records a value, or a correction as a new version of it, from the version the writer saw."""
    d = await _definition(session, data.indicator_id)
    organisation_id = _referent_of(identity, d)
    qpvs = await _qpv_by_id(session)
    period, qpv_id = _check_value(d, period=data.period, qpv_id=data.qpv_id, value=data.value, qpvs=qpvs)
    await _ensure_open(session, period)
    slot = slot_key(d.id or 0, period, qpv_id, organisation_id)
    previous = await _latest(session, slot)
    if (previous.version if previous else 0) != data.version:
        current = _submission_out(previous, d, qpvs).model_dump(mode="json") if previous else None
        raise Conflict("Cette valeur a été saisie ou corrigée entre-temps. Voici la version actuelle ; reprenez "
                       "votre saisie à partir d'elle.", current=current)
    table = Submission.__table__  # type: ignore[attr-defined]
    if previous is not None:
        result = await session.exec(table.update().where(table.c.id == previous.id, table.c.latest)
                                    .values(latest=False))
        if result.rowcount != 1:
            await session.rollback()
            raise Conflict("Cette valeur vient d'être corrigée par quelqu'un d'autre.")
    state = State.BROUILLON if data.draft else State.SOUMIS
    at = _now()
    s = Submission(slot=slot, indicator_id=d.id or 0, period=period, qpv_id=qpv_id, organisation_id=organisation_id,
                   version=data.version + 1, value=data.value, qualification=data.qualification,
                   comment=data.comment, source=data.source, state=state, submitted_by_user_id=identity.user_id,
                   submitted_by_name=identity.name, created_at=at, submitted_at=None if data.draft else at)
    session.add(s)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict("Cette valeur vient d'être saisie par quelqu'un d'autre.") from exc
    if previous is None:
        payload, subject = _event(SubmissionRecorded, s, d, qpvs, actor=identity)
    else:
        payload, subject = _event(SubmissionCorrected, s, d, qpvs, actor=identity, previous_version=previous.version,
                                  previous_value=previous.value, previous_state=previous.state)
    await outbox.record(session, payload, subject=subject)
    await session.commit()
    submission_id = s.id or 0
    session.expire_all()  # the previous version's flag changed around the identity map: read afresh
    return await get_submission(session, submission_id, identity)


async def _transition(session: AsyncSession, s: Submission, *, expected: State, values: dict[str, Any],
                      what: str) -> None:
    """Moves the latest version from `expected` to a new state, checked in the UPDATE itself."""
    if not s.latest:
        raise Conflict(f"Une version plus récente de cette valeur existe : impossible de {what} la version "
                       f"{s.version}, c'est la dernière version qu'il faut traiter.")
    if s.state != expected:
        raise Conflict(f"Cette valeur est à l'état « {STATE_LABELS[State(s.state)]} » : impossible de {what} "
                       f"(état attendu : « {STATE_LABELS[expected]} »).", state=s.state)
    table = Submission.__table__  # type: ignore[attr-defined]
    result = await session.exec(table.update().where(table.c.id == s.id, table.c.state == expected,
                                                     table.c.latest).values(**values))
    if result.rowcount != 1:
        await session.rollback()
        raise Conflict("Cette valeur vient d'être modifiée par quelqu'un d'autre.")
    await session.refresh(s)


async def _submission(session: AsyncSession, submission_id: int) -> Submission:
    s = await session.get(Submission, submission_id)
    if s is None:
        raise NotFound(f"La valeur n° {submission_id} n'existe pas.")
    return s


async def submit_draft(session: AsyncSession, outbox: Outbox, *, submission_id: int,
                       identity: Identity) -> SubmissionDetail:
    """A referent submits its organisation's draft to the secretariat."""
    s = await _submission(session, submission_id)
    d = await _definition(session, s.indicator_id)
    if _referent_of(identity, d) != s.organisation_id:
        raise Forbidden("Seul un référent de l'organisation qui a saisi cette valeur peut la soumettre.")
    await _ensure_open(session, s.period)
    await _transition(session, s, expected=State.BROUILLON, values={"state": State.SOUMIS, "submitted_at": _now()},
                      what="soumettre")
    qpvs = await _qpv_by_id(session)
    payload, subject = _event(SubmissionSubmitted, s, d, qpvs, actor=identity)
    await outbox.record(session, payload, subject=subject)
    await session.commit()
    return await get_submission(session, submission_id, identity)


async def approve(session: AsyncSession, outbox: Outbox, *, submission_id: int,
                  identity: Identity) -> SubmissionDetail:
    """The secretariat approves a submitted value."""
    _secretariat(identity, "valider une valeur")
    s = await _submission(session, submission_id)
    d = await _definition(session, s.indicator_id)
    await _transition(session, s, expected=State.SOUMIS, what="valider",
                      values={"state": State.APPROUVE, "reviewed_by_name": identity.name, "reviewed_at": _now(),
                              "reason": None})
    qpvs = await _qpv_by_id(session)
    payload, subject = _event(SubmissionValidated, s, d, qpvs, actor=identity)
    await outbox.record(session, payload, subject=subject)
    await session.commit()
    return await get_submission(session, submission_id, identity)


async def reject(session: AsyncSession, outbox: Outbox, *, submission_id: int, reason: str,
                 identity: Identity) -> SubmissionDetail:
    """The secretariat returns a submitted value for revision, with a reason."""
    _secretariat(identity, "renvoyer une valeur à reprendre")
    s = await _submission(session, submission_id)
    d = await _definition(session, s.indicator_id)
    await _transition(session, s, expected=State.SOUMIS, what="renvoyer à reprendre",
                      values={"state": State.A_REPRENDRE, "reviewed_by_name": identity.name, "reviewed_at": _now(),
                              "reason": reason})
    qpvs = await _qpv_by_id(session)
    payload, subject = _event(SubmissionRejected, s, d, qpvs, actor=identity, reason=reason)
    await outbox.record(session, payload, subject=subject)
    await session.commit()
    return await get_submission(session, submission_id, identity)


def _may_read(identity: Identity, organisation_id: str) -> bool:
    return identity.is_secretariat or identity.organisation_id == organisation_id


async def get_submission(session: AsyncSession, submission_id: int, identity: Identity) -> SubmissionDetail:
    """Gets one version of a value with all the versions of that value, newest first."""
    s = await _submission(session, submission_id)
    if not _may_read(identity, s.organisation_id):
        raise Forbidden("Vous ne pouvez consulter que les valeurs de votre organisation.")
    d = await _definition(session, s.indicator_id)
    qpvs = await _qpv_by_id(session)
    versions = (await session.exec(select(Submission).where(Submission.slot == s.slot)
                                   .order_by(col(Submission.version).desc()))).all()
    return SubmissionDetail(**_submission_out(s, d, qpvs).model_dump(),
                            history=[_submission_out(v, d, qpvs) for v in versions])


async def list_submissions(session: AsyncSession, *, identity: Identity, indicator: int | None = None,
                           period: str | None = None, organisation: str | None = None, qpv: str | None = None,
                           state: State | None = None, all_versions: bool = False) -> list[SubmissionOut]:
    """Gets values (latest versions unless all are asked); a referent sees its own organisation's only."""
    if not identity.is_secretariat:
        if organisation and organisation != identity.organisation_id:
            raise Forbidden("Vous ne pouvez consulter que les valeurs de votre organisation.")
        organisation = identity.organisation_id or "-"
    query = select(Submission)
    if not all_versions:
        query = query.where(Submission.latest)
    if indicator is not None:
        query = query.where(Submission.indicator_id == indicator)
    if period:
        query = query.where(Submission.period == period.strip().upper())
    if organisation:
        query = query.where(Submission.organisation_id == organisation)
    if qpv:
        query = query.where(Submission.qpv_id == qpv)
    if state:
        query = query.where(Submission.state == state)
    rows = (await session.exec(query.order_by(Submission.indicator_id, Submission.period, Submission.qpv_id,
                                              Submission.organisation_id, col(Submission.version).desc()))).all()
    definitions = {d.id: d for d in (await session.exec(select(IndicatorDefinition))).all()}
    qpvs = await _qpv_by_id(session)
    return [_submission_out(s, definitions[s.indicator_id], qpvs) for s in rows]


# --- bulk import ---------------------------------------------------------------------------------------------

async def import_csv(session: AsyncSession, outbox: Outbox, *, content: bytes, filename: str | None,
                     identity: Identity, dry_run: bool = False) -> ImportReport:
    """Checks a whole CSV file, then records all its values at once, or nothing (see `imports`).

    Events: one `submission.recorded` or `submission.corrected` per value, exactly as if each value had been
    entered alone, so that an integrator replaying `cdv.indicateurs.submission.>` gets every value whatever the
    way it came in (each carries `import_id`); plus one `import.completed` summary, so that notifications can
    send one message for a file instead of one per line. All are written with multi-row INSERTs in the same
    transaction as the values.
    """
    if not identity.has("referent") or not identity.organisation_id:
        raise Forbidden("Seul un référent d'une organisation responsable peut importer des valeurs.")
    organisation_id = identity.organisation_id
    definitions = {d.id or 0: d for d in (await session.exec(select(IndicatorDefinition))).all()}
    qpvs = await _qpv_by_id(session)
    locks = await _locks(session)
    checked = imports.check_file(content, imports.Context(
        organisation_id=organisation_id, definitions=definitions, qpv=qpvs,
        lock=lambda period: _lock_reason(period, locks)))
    if checked.errors:
        n = len(checked.errors)
        raise InvalidRows(f"{n} ligne{'s' if n > 1 else ''} invalide{'s' if n > 1 else ''} : rien n'a été "
                          "enregistré. Corrigez le fichier et importez-le de nouveau.", errors=checked.errors)

    # Plain rows, not ORM objects: ten thousand of them load several times faster.
    latest = {s.slot: s for s in (await session.exec(select(
        Submission.slot, Submission.id, Submission.version, Submission.value, Submission.qualification,
        Submission.comment, Submission.source, Submission.state).where(
        Submission.organisation_id == organisation_id, Submission.latest))).all()}
    new_rows: list[tuple[imports.Row, Any]] = []
    unchanged = 0
    for row in checked.rows:
        previous = latest.get(slot_key(row.indicator_id, row.period, row.qpv_id, organisation_id))
        if previous is not None and previous.state in RECEIVED and previous.value == row.value \
                and previous.qualification == row.qualification and previous.comment == row.comment \
                and previous.source == row.source:
            unchanged += 1
            continue
        new_rows.append((row, previous))
    corrected = sum(1 for _, p in new_rows if p is not None)
    report = ImportReport(import_id=None, organisation_id=organisation_id, rows=len(checked.rows),
                          recorded=len(new_rows) - corrected, corrected=corrected, unchanged=unchanged,
                          dry_run=dry_run)
    if dry_run:
        return report

    run = ImportRun(organisation_id=organisation_id, actor_user_id=identity.user_id, actor_name=identity.name,
                    filename=filename, rows=report.rows, recorded=report.recorded, corrected=report.corrected,
                    unchanged=report.unchanged)
    session.add(run)
    await session.flush()
    table = Submission.__table__  # type: ignore[attr-defined]
    superseded = [p.id for _, p in new_rows if p is not None]
    flipped = 0
    for chunk in _chunks(superseded):
        result = await session.exec(update(table).where(table.c.id.in_(chunk), table.c.latest)
                                    .values(latest=False))
        flipped += result.rowcount
    if flipped != len(superseded):
        await session.rollback()
        raise Conflict("Des valeurs de ce fichier ont été corrigées pendant l'import : rien n'a été enregistré, "
                       "importez-le de nouveau.")
    at = _now()
    values = [{"slot": slot_key(row.indicator_id, row.period, row.qpv_id, organisation_id),
               "indicator_id": row.indicator_id, "period": row.period, "qpv_id": row.qpv_id,
               "organisation_id": organisation_id, "version": previous.version + 1 if previous else 1,
               "latest": True, "value": row.value, "qualification": row.qualification.value,
               "comment": row.comment, "source": row.source, "state": State.SOUMIS.value,
               "submitted_by_user_id": identity.user_id, "submitted_by_name": identity.name, "created_at": at,
               "submitted_at": at, "reviewed_by_name": None, "reviewed_at": None, "reason": None,
               "import_id": run.id} for row, previous in new_rows]
    try:
        # Plain multi-row INSERTs, then the new ids in one query: with psycopg, INSERT … RETURNING over many
        # rows is about five times slower than the pipelined executemany.
        for chunk in _chunks(values):
            await session.exec(table.insert(), params=list(chunk))  # type: ignore[call-overload]
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict("Des valeurs de ce fichier ont été saisies pendant l'import : rien n'a été enregistré, "
                       "importez-le de nouveau.") from exc
    ids = dict((await session.exec(select(Submission.slot, Submission.id).where(Submission.import_id == run.id))).all())
    for v in values:
        v["id"] = ids[v["slot"]]
    events = []
    for v, (_, previous) in zip(values, new_rows, strict=True):
        d = definitions[v["indicator_id"]]
        if previous is None:
            events.append(_event(SubmissionRecorded, v, d, qpvs, actor=identity))
        else:
            events.append(_event(SubmissionCorrected, v, d, qpvs, actor=identity, previous_version=previous.version,
                                 previous_value=previous.value, previous_state=previous.state))
    events.append((ImportCompleted(import_id=run.id or 0, organisation_id=organisation_id, actor_name=identity.name,
                                   filename=filename, rows=report.rows, recorded=report.recorded,
                                   corrected=report.corrected, unchanged=report.unchanged,
                                   periods=sorted({r.period for r in checked.rows}, key=sort_key)),
                   f"import/{run.id}"))
    await outbox.record_many(session, events)
    await session.commit()
    return report.model_copy(update={"import_id": run.id})


async def get_import(session: AsyncSession, import_id: int, identity: Identity) -> ImportRun:
    """Gets an import run (its organisation's referents and the secretariat only)."""
    run = await session.get(ImportRun, import_id)
    if run is None:
        raise NotFound(f"L'import n° {import_id} n'existe pas.")
    if not _may_read(identity, run.organisation_id):
        raise Forbidden("Vous ne pouvez consulter que les imports de votre organisation.")
    return run


# --- what is owed: to-do lists and completeness --------------------------------------------------------------

async def _expected(session: AsyncSession, period: Period, organisation: str | None,
                    ) -> tuple[list[tuple[IndicatorDefinition, str, str | None, str]], dict[str, Qpv]]:
    """Every value the period calls for: (definition, period, QPV, organisation), in contract order."""
    qpvs = await _qpv_by_id(session)
    definitions = (await session.exec(select(IndicatorDefinition).where(IndicatorDefinition.active)
                                      .order_by(IndicatorDefinition.engagement_number, IndicatorDefinition.id))).all()
    expected = []
    all_qpv = sorted(qpvs, key=lambda q: qpvs[q].name)
    for d in definitions:
        orgs = [o for o in d.responsible if organisation is None or o == organisation]
        for part in period.parts(d.periodicity):  # type: ignore[arg-type]
            for qpv in ((d.qpv or all_qpv) if d.by_qpv else [None]):
                expected += [(d, str(part), qpv, o) for o in orgs]
    return expected, qpvs


async def _slot_status(session: AsyncSession, periods: Iterable[str]) -> tuple[dict[str, Submission], set[str]]:
    """Latest version by slot, and the slots that have an approved version, for some periods."""
    periods = list(set(periods))
    if not periods:
        return {}, set()
    latest = {s.slot: s for s in (await session.exec(select(Submission).where(
        col(Submission.period).in_(periods), Submission.latest))).all()}
    approved = set((await session.exec(select(Submission.slot).where(
        col(Submission.period).in_(periods), Submission.state == State.APPROUVE))).all())
    return latest, approved


def _owed_status(latest: Submission | None, has_approved: bool) -> str | None:
    if has_approved or (latest is not None and latest.state in RECEIVED):
        return None
    return "manquant" if latest is None else latest.state


def _parse_period(text: str) -> Period:
    try:
        return parse(text)
    except PeriodError as exc:
        raise Invalid(_sentence(str(exc)), field="period") from exc


def _organisation_scope(identity: Identity, organisation: str | None) -> str | None:
    """A referent sees its own organisation only; the secretariat any (or all, when none is asked)."""
    if identity.is_secretariat:
        return organisation or None
    if organisation and organisation != identity.organisation_id:
        raise Forbidden("Vous ne pouvez consulter que ce que doit votre organisation.")
    if not identity.organisation_id:
        raise Forbidden("Votre compte n'est rattaché à aucune organisation.")
    return identity.organisation_id


async def todo(session: AsyncSession, *, campaign_id: int, organisation: str | None,
               identity: Identity) -> TodoOut:
    """The values an organisation still owes for a campaign: missing, draft, or returned for revision."""
    c = await _campaign(session, campaign_id)
    org = _organisation_scope(identity, organisation)
    if org is None:
        raise Invalid("Indiquez l'organisation (paramètre « organisation »).", field="organisation")
    expected, qpvs = await _expected(session, parse(c.period), org)
    latest, approved = await _slot_status(session, (p for _, p, _, _ in expected))
    owed = []
    for d, period, qpv, o in expected:
        slot = slot_key(d.id or 0, period, qpv, o)
        s = latest.get(slot)
        status = _owed_status(s, slot in approved)
        if status is None:
            continue
        q = qpvs.get(qpv) if qpv else None
        owed.append(OwedValue(indicator_id=d.id or 0, indicator_label=d.label, engagement_number=d.engagement_number,
                              unit=d.unit, period=period, qpv_id=qpv, qpv_name=q.name if q else None,
                              organisation_id=o, status=status, submission_id=s.id if s else None,  # type: ignore[arg-type]
                              reason=s.reason if s and status == State.A_REPRENDRE else None))
    return TodoOut(campaign_id=c.id or 0, period=c.period, organisation_id=org, locked=is_locked(c),
                   expected=len(expected), owed=owed)


async def completeness(session: AsyncSession, *, period: str, organisation: str | None,
                       identity: Identity) -> CompletenessOut:
    """For a period, per indicator: how many values came in and which organisations (and QPV) still owe one."""
    p = _parse_period(period)
    org = _organisation_scope(identity, organisation)
    expected, qpvs = await _expected(session, p, org)
    latest, approved = await _slot_status(session, (x for _, x, _, _ in expected))
    by_indicator: dict[int, IndicatorCompleteness] = {}
    for d, sub_period, qpv, o in expected:
        item = by_indicator.get(d.id or 0)
        if item is None:
            item = by_indicator[d.id or 0] = IndicatorCompleteness(
                indicator_id=d.id or 0, indicator_label=d.label, engagement_number=d.engagement_number,
                periodicity=d.periodicity, by_qpv=d.by_qpv, expected=0, received=0, complete=True,
                missing_organisations=[], missing=[])
        item.expected += 1
        slot = slot_key(d.id or 0, sub_period, qpv, o)
        status = _owed_status(latest.get(slot), slot in approved)
        if status is None:
            item.received += 1
            continue
        item.complete = False
        q = qpvs.get(qpv) if qpv else None
        item.missing.append(MissingValue(organisation_id=o, period=sub_period, qpv_id=qpv,
                                         qpv_code=q.code if q else None, status=status))  # type: ignore[arg-type]
        if o not in item.missing_organisations:
            item.missing_organisations.append(o)
    indicators = list(by_indicator.values())
    total = sum(i.expected for i in indicators)
    received = sum(i.received for i in indicators)
    return CompletenessOut(period=str(p), organisation_id=org, expected=total, received=received,
                           rate=round(received / total, 4) if total else 1.0, indicators=indicators)


# --- series and exports --------------------------------------------------------------------------------------

async def approved_values(session: AsyncSession, *, engagement: int | None = None, indicator: int | None = None,
                          period: str | None = None, qpv: str | None = None) -> list[dict[str, Any]]:
    """The latest approved version of each value, as export rows (see `exports.EXPORT_COLUMNS`)."""
    qpvs = await _qpv_by_id(session)
    filters = [Submission.state == State.APPROUVE]
    if indicator is not None:
        filters.append(Submission.indicator_id == indicator)
    if period:
        filters.append(Submission.period == period.strip().upper())
    if qpv:
        by_code = {q.code.upper(): q.id for q in qpvs.values() if q.code}
        filters.append(Submission.qpv_id == (qpv if qpv in qpvs else by_code.get(qpv.upper(), qpv)))
    newest = (select(Submission.slot, func.max(Submission.version).label("version"))
              .where(*filters).group_by(Submission.slot).subquery())
    query = (select(Submission, IndicatorDefinition)
             .join(newest, and_(Submission.slot == newest.c.slot, Submission.version == newest.c.version))
             .join(IndicatorDefinition, IndicatorDefinition.id == Submission.indicator_id))
    if engagement is not None:
        query = query.where(IndicatorDefinition.engagement_number == engagement)
    rows = (await session.exec(query)).all()
    result = []
    for s, d in rows:
        q = qpvs.get(s.qpv_id) if s.qpv_id else None
        result.append({"contract_id": d.contract_id, "engagement_number": d.engagement_number,
                       "indicator_id": d.id, "indicator_label": d.label, "unit": d.unit, "period": s.period,
                       "qpv_id": s.qpv_id, "qpv_code": q.code if q else None, "qpv_name": q.name if q else None,
                       "value": s.value, "qualification": s.qualification, "organisation_id": s.organisation_id,
                       "approved_at": s.reviewed_at, "version": s.version})
    result.sort(key=lambda r: (r["engagement_number"], r["indicator_id"], sort_key(r["period"]), r["qpv_id"] or "",
                               r["organisation_id"]))
    return result


def _point(r: dict[str, Any]) -> SeriesPoint:
    return SeriesPoint(period=r["period"], qpv_id=r["qpv_id"], qpv_code=r["qpv_code"], qpv_name=r["qpv_name"],
                       organisation_id=r["organisation_id"], value=r["value"], qualification=r["qualification"],
                       version=r["version"], approved_at=r["approved_at"])


async def latest_values(session: AsyncSession, engagement: int) -> list[LatestValues]:
    """Gets each active indicator of an engagement with its approved values for the latest period that has some."""
    definitions = await list_definitions(session, engagement)
    rows = await approved_values(session, engagement=engagement)
    result = []
    for d in definitions:
        mine = [r for r in rows if r["indicator_id"] == d.id]
        last = max((r["period"] for r in mine), key=sort_key, default=None)
        result.append(LatestValues(indicator_id=d.id, indicator_label=d.label, unit=d.unit, periodicity=d.periodicity,
                                   by_qpv=d.by_qpv, target=d.target, period=last,
                                   values=[_point(r) for r in mine if r["period"] == last]))
    return result


async def series(session: AsyncSession, indicator_id: int) -> SeriesOut:
    """The approved values of an indicator by period (and QPV), with its target, for a chart and its table."""
    d = await _definition(session, indicator_id)
    rows = await approved_values(session, indicator=indicator_id)
    return SeriesOut(
        indicator_id=d.id or 0, indicator_label=d.label, engagement_number=d.engagement_number, unit=d.unit,
        periodicity=d.periodicity, by_qpv=d.by_qpv, target=d.target,
        periods=sorted({r["period"] for r in rows}, key=sort_key),
        points=[_point(r) for r in rows],
    )
