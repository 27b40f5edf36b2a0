"""Engagements domain: loading the catalogue, reading it, and pilots reporting their part."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

from sqlalchemy import bindparam
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Conflict, Forbidden, Invalid, NotFound
from kernel.identity import Identity
from kernel.outbox import Outbox
from kernel.rows import guarded_update
from services.engagements.events import (
    ContractLoaded,
    EngagementDefined,
    PartState,
    ProgressUpdated,
    ProgressUpdatedV2,
)
from services.engagements.models import (
    STATUS_LABELS,
    Axis,
    Contract,
    Engagement,
    Organisation,
    PilotPart,
    ProgressChange,
    Status,
    Theme,
)
from services.engagements.schemas import (
    AxisOut,
    CatalogueIn,
    ChangeOut,
    EngagementDetail,
    EngagementSummary,
    EngagementWithParts,
    LoadReport,
    PartOut,
    PartUpdate,
    ThemeIn,
)

HISTORY_SHOWN = 20  # changes an engagement's detail gives unless asked for more
TRACKED_FIELDS = ("status", "progress", "comment", "qpv", "next_milestone", "next_milestone_date", "actions")


# --- consolidation -------------------------------------------------------------------------------------------

def consolidated_status(statuses: Iterable[Status]) -> Status:
    """One status for an engagement from its pilots' parts, never hiding work under way."""
    values = set(statuses)
    if not values:
        return Status.A_LANCER
    if len(values) == 1:
        return values.pop()
    if Status.EN_COURS in values or Status.REALISE in values:
        return Status.EN_COURS
    if Status.REPORTE in values:
        return Status.REPORTE
    return Status.A_LANCER


def _active(parts: list[PilotPart]) -> list[PilotPart]:
    return [p for p in parts if p.active] or parts


# --- loading -------------------------------------------------------------------------------------------------

def _checksum(catalogue: CatalogueIn) -> str:
    return hashlib.sha256(json.dumps(catalogue.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


async def load_catalogue(session: AsyncSession, outbox: Outbox, catalogue: CatalogueIn) -> LoadReport:
    """Creates or updates the contract's catalogue; keeps every pilot's part and history."""
    themes_by_id = {t.id: (axis.number, i, t) for axis in catalogue.axes for i, t in enumerate(axis.themes)}
    org_ids = {o.id for o in catalogue.organisations}
    qpv_ids = {q.id for q in catalogue.qpv}
    for e in catalogue.engagements:
        if e.theme not in themes_by_id or themes_by_id[e.theme][0] != e.axis:
            raise Invalid(f"engagement {e.number} : thème « {e.theme} » absent de l'axe {e.axis}")
        for p in e.pilots:
            if p.organisation not in org_ids:
                raise Invalid(f"engagement {e.number} : organisation pilote inconnue « {p.organisation} »")
        for q in e.qpv:
            if q not in qpv_ids:
                raise Invalid(f"engagement {e.number} : QPV inconnu « {q} »")

    checksum = _checksum(catalogue)
    contract = await session.get(Contract, catalogue.id)
    if contract is not None and contract.checksum == checksum:
        return LoadReport(contract_id=catalogue.id, version=catalogue.version, added=[], changed=[],
                          unchanged=len(catalogue.engagements))
    if contract is None:
        contract = Contract(id=catalogue.id, title=catalogue.title, territory=catalogue.territory,
                            version=catalogue.version, checksum=checksum)
    contract.title, contract.territory = catalogue.title, catalogue.territory
    contract.version, contract.checksum, contract.loaded_at = catalogue.version, checksum, datetime.now(UTC)
    contract.qpv = [q.model_dump() for q in catalogue.qpv]
    session.add(contract)

    for o in catalogue.organisations:
        org = await session.get(Organisation, o.id) or Organisation(id=o.id, name=o.name, kind=o.kind)
        org.name, org.short_name, org.kind = o.name, o.short_name, o.kind
        session.add(org)

    existing_axes = {a.number: a for a in (await session.exec(
        select(Axis).where(Axis.contract_id == catalogue.id))).all()}
    for a in catalogue.axes:
        axis = existing_axes.get(a.number) or Axis(contract_id=catalogue.id, number=a.number, title=a.title)
        axis.title = a.title
        session.add(axis)
    for theme_id, (axis_number, position, t) in themes_by_id.items():
        theme = await session.get(Theme, theme_id) or Theme(id=theme_id, contract_id=catalogue.id,
                                                             axis_number=axis_number, position=position,
                                                             title=t.title)
        theme.axis_number, theme.position, theme.title, theme.objectives = axis_number, position, t.title, t.objectives
        session.add(theme)
    await session.flush()

    existing = {e.number: e for e in (await session.exec(
        select(Engagement).where(Engagement.contract_id == catalogue.id))).all()}
    added: list[int] = []
    changed: list[int] = []
    for e in catalogue.engagements:
        fields = {"title": e.title, "axis_number": e.axis, "theme_id": e.theme, "actions": e.actions,
                      "indicators": e.indicators, "qpv": e.qpv}
        engagement = existing.get(e.number)
        if engagement is None:
            engagement = Engagement(contract_id=catalogue.id, number=e.number, **fields)
            session.add(engagement)
            await session.flush()
            added.append(e.number)
            parts: dict[str, PilotPart] = {}
        else:
            differs = any(getattr(engagement, k) != v for k, v in fields.items())
            for k, v in fields.items():
                setattr(engagement, k, v)
            session.add(engagement)
            parts = {p.organisation_id: p for p in (await session.exec(
                select(PilotPart).where(PilotPart.engagement_id == engagement.id))).all()}
            pilots_before = {(p.organisation_id, p.uncertain, p.note) for p in parts.values() if p.active}
            pilots_after = {(p.organisation, p.uncertain, p.note) for p in e.pilots}
            if differs or pilots_before != pilots_after:
                changed.append(e.number)
        wanted = {p.organisation: p for p in e.pilots}
        for org_id, pilot in wanted.items():
            part = parts.get(org_id) or PilotPart(engagement_id=engagement.id, organisation_id=org_id)
            part.uncertain, part.note, part.active = pilot.uncertain, pilot.note, True
            session.add(part)
        for org_id, part in parts.items():
            if org_id not in wanted and part.active:
                part.active = False
                session.add(part)

    theme_titles = {tid: t.title for tid, (_, _, t) in themes_by_id.items()}
    for e in catalogue.engagements:
        if e.number in added or e.number in changed:
            await outbox.record(session, EngagementDefined(
                contract_id=catalogue.id, contract_version=catalogue.version, engagement_number=e.number,
                title=e.title, axis_number=e.axis, theme_id=e.theme, theme_title=theme_titles[e.theme],
                pilots=[p.organisation for p in e.pilots], indicators=e.indicators, qpv=e.qpv,
            ), subject=f"engagement/{e.number}")
    await outbox.record(session, ContractLoaded(
        contract_id=catalogue.id, title=catalogue.title, version=catalogue.version,
        engagements=len(catalogue.engagements), added=added, changed=changed,
    ), subject=f"contract/{catalogue.id}")
    await session.commit()
    return LoadReport(contract_id=catalogue.id, version=catalogue.version, added=added, changed=changed,
                      unchanged=len(catalogue.engagements) - len(added) - len(changed))


# --- reading -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Catalogue:
    """The current contract and what only a catalogue load changes: its axes, themes, organisations and
    engagements (the pilots' parts and history are read on each request)."""

    contract: Contract
    axes: dict[int, Axis]
    themes: dict[str, Theme]
    orgs: dict[str, Organisation]
    engagements: dict[int, Engagement]  # by number, in contract order

    @cached_property  # once per load, not per request
    def names(self) -> dict[str, str]:
        return {k: o.name for k, o in self.orgs.items()}


CatalogueKey = tuple[str, str, datetime]
_catalogues: dict[CatalogueKey, Catalogue] = {}  # by database, contract and load
KEPT_CATALOGUES = 4  # a process serves one database; tests run several services in one process


# Every request's statements, built once (see `kernel.db`).
_HEAD = select(Contract.id, Contract.loaded_at).order_by(col(Contract.loaded_at).desc()).limit(1)
_HISTORY_TOTAL = select(func.count()).select_from(ProgressChange).where(
    ProgressChange.engagement_id == bindparam("engagement_id"))
_PARTS = select(PilotPart).where(PilotPart.engagement_id == bindparam("engagement_id")).order_by(PilotPart.id)


async def current_catalogue(session: AsyncSession) -> Catalogue:
    """The current contract's catalogue. A load stamps the contract's `loaded_at` in the transaction that changes
    the catalogue: each request reads that stamp (one small query) and the catalogue is read once per load (by
    each instance) rather than in several queries on every request."""
    head = (await session.exec(_HEAD)).first()
    if head is None:
        raise NotFound("Aucun contrat n'est chargé.")
    key = (str(session.bind.url) if session.bind else "", head[0], head[1])
    if key not in _catalogues:
        contract = await session.get(Contract, head[0])
        assert contract is not None
        catalogue = Catalogue(
            contract=contract,
            axes={a.number: a for a in (await session.exec(select(Axis).where(Axis.contract_id == contract.id)))},
            themes={t.id: t for t in (await session.exec(select(Theme).where(Theme.contract_id == contract.id)))},
            orgs={o.id: o for o in (await session.exec(select(Organisation)))},
            engagements={e.number: e for e in (await session.exec(
                select(Engagement).where(Engagement.contract_id == contract.id).order_by(Engagement.number)))},
        )
        for row in (contract, *catalogue.axes.values(), *catalogue.themes.values(), *catalogue.orgs.values(),
                    *catalogue.engagements.values()):
            session.expunge(row)  # kept across requests: detached from this one's session
        while len(_catalogues) >= KEPT_CATALOGUES:
            del _catalogues[next(iter(_catalogues))]
        _catalogues[key] = catalogue
    return _catalogues[key]


async def current_contract(session: AsyncSession) -> Contract:
    """Gets the most recently loaded contract."""
    return (await current_catalogue(session)).contract


async def list_axes(session: AsyncSession) -> list[AxisOut]:
    c = await current_catalogue(session)
    themes = sorted(c.themes.values(), key=lambda t: (t.axis_number, t.position))
    return [AxisOut(number=a.number, title=a.title,
                    themes=[ThemeIn(id=t.id, title=t.title, objectives=t.objectives)
                            for t in themes if t.axis_number == a.number])
            for a in sorted(c.axes.values(), key=lambda a: a.number)]


def _summary(e: Engagement, parts: list[PilotPart], c: Catalogue) -> EngagementSummary:
    live = _active(parts)
    status = consolidated_status(p.status for p in live)
    updates = [p.updated_at for p in parts if p.updated_at]
    deployed = sorted({q for p in live for q in p.qpv} | set(e.qpv))
    return EngagementSummary(
        number=e.number, title=e.title, axis_number=e.axis_number, axis_title=c.axes[e.axis_number].title,
        theme_id=e.theme_id, theme_title=c.themes[e.theme_id].title,
        pilots=[p.organisation_id for p in live], pilot_names=[c.orgs[p.organisation_id].name for p in live],
        status=status, status_label=STATUS_LABELS[status],
        progress=round(sum(p.progress for p in live) / len(live)) if live else 0,
        qpv=deployed, last_update=max(updates) if updates else None,
    )


async def _parts_by_engagement(session: AsyncSession, contract_id: str) -> dict[int, list[PilotPart]]:
    parts: dict[int, list[PilotPart]] = {}
    for part in (await session.exec(select(PilotPart).join(Engagement).where(Engagement.contract_id == contract_id)
                                    .order_by(PilotPart.id))).all():
        parts.setdefault(part.engagement_id, []).append(part)
    return parts


async def list_engagements(session: AsyncSession, *, axis: int | None = None, theme: str | None = None,
                           pilot: str | None = None, status: Status | None = None,
                           qpv: str | None = None) -> list[EngagementSummary]:
    """Gets the engagements of the current contract, filtered, in contract order."""
    c = await current_catalogue(session)
    parts_by_engagement = await _parts_by_engagement(session, c.contract.id)
    result = []
    for e in c.engagements.values():
        s = _summary(e, parts_by_engagement.get(e.id or 0, []), c)
        if (axis is not None and s.axis_number != axis) or (theme and s.theme_id != theme) \
                or (pilot and pilot not in s.pilots) or (status and s.status != status) \
                or (qpv and qpv not in s.qpv):
            continue
        result.append(s)
    return result


async def list_with_parts(session: AsyncSession, *, pilot: str | None) -> list[EngagementWithParts]:
    """Gets the engagements an organisation pilots (every one without `pilot`), with every part, in two queries
    (not one per engagement)."""
    c = await current_catalogue(session)
    parts_by_engagement = await _parts_by_engagement(session, c.contract.id)
    result = []
    for e in c.engagements.values():
        parts = parts_by_engagement.get(e.id or 0, [])
        if pilot is None or pilot in {p.organisation_id for p in _active(parts)}:
            result.append(_with_parts(e, parts, c))
    return result


def _with_parts(e: Engagement, parts: list[PilotPart], c: Catalogue) -> EngagementWithParts:
    return EngagementWithParts(
        **_summary(e, parts, c).model_dump(), contract_id=e.contract_id,
        objectives=c.themes[e.theme_id].objectives, actions=e.actions, indicators=e.indicators,
        parts=[_part_out(p, c.names) for p in parts],
    )


def _engagement(c: Catalogue, number: int) -> Engagement:
    engagement = c.engagements.get(number)
    if engagement is None:
        raise NotFound(f"L'engagement n° {number} n'existe pas.")
    return engagement


async def engagement_exists(session: AsyncSession, number: int) -> None:
    """Nothing, or the 404 (in French) of an unknown engagement number."""
    _engagement(await current_catalogue(session), number)


def _part_out(p: PilotPart, names: dict[str, str]) -> PartOut:
    return PartOut(organisation_id=p.organisation_id, organisation_name=names[p.organisation_id],
                   uncertain=p.uncertain, note=p.note, active=p.active, status=p.status,
                   status_label=STATUS_LABELS[p.status], progress=p.progress, comment=p.comment, qpv=p.qpv,
                   next_milestone=p.next_milestone, next_milestone_date=p.next_milestone_date,
                   actions=list(p.actions or []), version=p.version, updated_at=p.updated_at,
                   updated_by_name=p.updated_by_name)


async def _parts(session: AsyncSession, e: Engagement) -> list[PilotPart]:
    return list((await session.exec(_PARTS, params={"engagement_id": e.id})).all())  # type: ignore[call-overload]


async def get_engagement(session: AsyncSession, number: int, *, history: int = HISTORY_SHOWN) -> EngagementDetail:
    """Gets one engagement with its pilots' parts and its latest `history` changes, newest first (the history
    grows with every update: a page or a save's answer reads the latest ones, not all of them)."""
    c = await current_catalogue(session)
    e = _engagement(c, number)
    return await _detail(session, c, e, await _parts(session, e), history)


async def _detail(session: AsyncSession, c: Catalogue, e: Engagement, parts: list[PilotPart],
                  history: int) -> EngagementDetail:
    changes = (await session.exec(select(ProgressChange).where(ProgressChange.engagement_id == e.id)
                                  .order_by(col(ProgressChange.id).desc()).limit(history))).all() if history else []
    total = len(changes) if len(changes) < history else (await session.exec(  # type: ignore[call-overload]
        _HISTORY_TOTAL, params={"engagement_id": e.id})).one()
    return EngagementDetail(
        **_with_parts(e, parts, c).model_dump(),
        history=[ChangeOut(organisation_id=h.organisation_id, actor_name=h.actor_name,
                           actor_organisation_id=h.actor_organisation_id, at=h.at, changes=h.changes,
                           comment=h.comment, version=h.version) for h in changes],
        history_total=total,
    )


# --- reporting -----------------------------------------------------------------------------------------------

def _state(part: PilotPart) -> PartState:
    return PartState(status=part.status, progress=part.progress, comment=part.comment, qpv=list(part.qpv),
                     actions=list(part.actions or []),
                     next_milestone=part.next_milestone, next_milestone_date=part.next_milestone_date)


async def update_part(session: AsyncSession, outbox: Outbox, *, number: int, organisation_id: str,
                      update: PartUpdate, identity: Identity, history: int = HISTORY_SHOWN) -> EngagementDetail:
    """Records a pilot's new account of its part, if the writer saw the latest version."""
    c = await current_catalogue(session)
    e = _engagement(c, number)
    parts = await _parts(session, e)  # all of them: the consolidated status and the answer need them
    part = next((p for p in parts if p.organisation_id == organisation_id), None)
    if part is None or not part.active:
        raise NotFound(f"« {organisation_id} » ne pilote pas l'engagement n° {number}.")
    if not (identity.is_secretariat or (identity.has("referent") and identity.organisation_id == organisation_id)):
        raise Forbidden("Seul un référent de l'organisation pilote ou le secrétariat peut modifier cette part.")
    if update.qpv:
        known = known_qpv(c.contract)
        unknown = [q for q in update.qpv if q not in known]
        if unknown:
            raise Invalid(f"QPV inconnu : {', '.join(unknown)}", field="qpv")
    names = c.names
    if part.version != update.version:
        raise Conflict("Cette part a été modifiée entre-temps par quelqu'un d'autre. Voici la version actuelle ; "
                       "reprenez votre modification à partir d'elle.",
                       current=_part_out(part, names).model_dump(mode="json"))
    indexes = [a.index for a in update.actions]
    if len(set(indexes)) != len(indexes) or any(i >= len(e.actions) for i in indexes):
        raise Invalid(f"Détail par action : l'engagement n° {number} a {len(e.actions)} action(s), chacune au plus "
                      "une fois.", field="actions")
    before = _state(part)
    after = PartState(**update.model_dump(exclude={"version"}))
    changed = [f for f in TRACKED_FIELDS if getattr(before, f) != getattr(after, f)]
    before_json, after_json = before.model_dump(mode="json"), after.model_dump(mode="json")
    if not changed:
        return await get_engagement(session, number, history=history)
    new_version = part.version + 1
    await guarded_update(
        session, PilotPart, part.id, expect={"version": update.version},
        values={**{f: getattr(after, f) for f in TRACKED_FIELDS if f != "actions"}, "actions": after_json["actions"],
                "version": new_version, "updated_at": datetime.now(UTC), "updated_by_name": identity.name},
        conflict="Cette part vient d'être modifiée par quelqu'un d'autre.",
        current=lambda fresh: _part_out(fresh, names).model_dump(mode="json"))
    session.add(ProgressChange(
        engagement_id=e.id, organisation_id=organisation_id, actor_user_id=identity.user_id,
        actor_name=identity.name, actor_organisation_id=identity.organisation_id,
        changes={f: [before_json[f], after_json[f]] for f in changed},
        comment=update.comment if "comment" in changed else None, version=new_version,
    ))
    statuses = [update.status if p.id == part.id else p.status for p in _active(parts)]
    detail = ProgressUpdated(
        contract_id=e.contract_id, engagement_number=number, title=e.title, organisation_id=organisation_id,
        organisation_name=names[organisation_id], actor_organisation_id=identity.organisation_id,
        actor_name=identity.name, version=new_version, before=before, after=after, changed=changed,
        consolidated_status=consolidated_status(statuses),
    )
    # In detail for the services (internal stream), and its public projection for integrators.
    subject = f"engagement/{number}"
    await outbox.record_many(session, [(detail, subject), (ProgressUpdatedV2.of(detail), subject)])
    # The answer from what this transaction read and wrote (the guarded update gave `part` its new values), read
    # before the commit: after it, the reads would open a transaction of their own.
    answer = await _detail(session, c, e, parts, history)
    await session.commit()
    return answer


def known_qpv(contract: Contract) -> set[str]:
    """The QPV ids the contract names (the catalogue's engagements and pilots' parts refer to these)."""
    return {q["id"] for q in contract.qpv}
