"""Values submitted per period and QPV, their versions and their validation.

A referent of an organisation responsible for an indicator submits its organisation's values; only the
secretariat validates them or returns them for revision, and never a value its reviewer entered (four eyes, even
for an account holding both roles). A correction is a new version of a value, the older
ones stay readable; a state change (submitted, approved, returned) applies to the latest version only and is
checked in the UPDATE itself, so two people acting on the same version cannot both win.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Conflict, Forbidden, Invalid
from kernel.identity import Identity
from kernel.outbox import Outbox
from kernel.rows import get_or_404, guarded_update
from services.indicateurs.events import (
    SubmissionCorrected,
    SubmissionEvent,
    SubmissionRecorded,
    SubmissionRejected,
    SubmissionSubmitted,
    SubmissionValidated,
    ValueApproved,
)
from services.indicateurs.models import STATE_LABELS, IndicatorDefinition, Qpv, State, Submission, slot_key
from services.indicateurs.periods import PeriodError, check
from services.indicateurs.schemas import SubmissionDetail, SubmissionIn, SubmissionOut
from services.indicateurs.service import common
from services.indicateurs.service.campaigns import ensure_open
from services.indicateurs.service.definitions import definition, refuse_computed
from services.indicateurs.service.reference import qpv_by_id, resolve_qpv


def submission_out(s: Submission, d: IndicatorDefinition, qpvs: dict[str, Qpv]) -> SubmissionOut:
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


def submission_event(cls: type[SubmissionEvent], s: Submission | dict[str, Any], d: IndicatorDefinition,
                     qpvs: dict[str, Qpv], *, actor: Identity, **extra: Any) -> tuple[SubmissionEvent, str]:
    """The event of a value (a row, or the plain dict of a bulk insert) and its subject."""
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
        raise Invalid(common.sentence(str(exc)), field="period") from exc
    if qpv_id is not None:
        resolved = resolve_qpv(qpv_id, qpvs)
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
    """The organisation a referent submits for, if it is responsible for the indicator (and the platform does not
    compute it)."""
    refuse_computed(d)
    if not identity.has("referent") or not identity.organisation_id:
        raise Forbidden("Seul un référent d'une organisation responsable peut saisir une valeur.")
    if identity.organisation_id not in d.responsible:
        raise Forbidden(f"Votre organisation (« {identity.organisation_id} ») n'est pas chargée de renseigner "
                        f"l'indicateur « {d.label} ».")
    return identity.organisation_id


async def _latest(session: AsyncSession, slot: str) -> Submission | None:
    return (await session.exec(select(Submission).where(Submission.slot == slot, Submission.latest)
                               )).first()


async def submission_row(session: AsyncSession, submission_id: int) -> Submission:
    return await get_or_404(session, Submission, submission_id, f"La valeur n° {submission_id} n'existe pas.")


async def submit_value(session: AsyncSession, outbox: Outbox, *, data: SubmissionIn,
                       identity: Identity) -> SubmissionDetail:
    """Records a value, or a correction as a new version of it, from the version the writer saw."""
    d = await definition(session, data.indicator_id)
    organisation_id = _referent_of(identity, d)
    qpvs = await qpv_by_id(session)
    period, qpv_id = _check_value(d, period=data.period, qpv_id=data.qpv_id, value=data.value, qpvs=qpvs)
    await ensure_open(session, period)
    slot = slot_key(d.id or 0, period, qpv_id, organisation_id)
    previous = await _latest(session, slot)
    if (previous.version if previous else 0) != data.version:
        current = submission_out(previous, d, qpvs).model_dump(mode="json") if previous else None
        raise Conflict("Cette valeur a été saisie ou corrigée entre-temps. Voici la version actuelle ; reprenez "
                       "votre saisie à partir d'elle.", current=current)
    if previous is not None:
        await guarded_update(session, Submission, previous.id, expect={"latest": True}, values={"latest": False},
                             conflict="Cette valeur vient d'être corrigée par quelqu'un d'autre.")
    state = State.BROUILLON if data.draft else State.SOUMIS
    at = common.now()
    s = Submission(slot=slot, indicator_id=d.id or 0, period=period, qpv_id=qpv_id, organisation_id=organisation_id,
                   version=data.version + 1, value=data.value, qualification=data.qualification,
                   comment=data.comment, source=data.source, state=state, submitted_by_user_id=identity.user_id,
                   submitted_by_name=identity.name, created_at=at, submitted_at=None if data.draft else at,
                   sent_by_user_id=None if data.draft else identity.user_id)
    session.add(s)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict("Cette valeur vient d'être saisie par quelqu'un d'autre.") from exc
    if previous is None:
        payload, subject = submission_event(SubmissionRecorded, s, d, qpvs, actor=identity)
    else:
        payload, subject = submission_event(SubmissionCorrected, s, d, qpvs, actor=identity,
                                            previous_version=previous.version, previous_value=previous.value,
                                            previous_state=previous.state)
    await outbox.record(session, payload, subject=subject)
    answer = await get_submission(session, s.id or 0, identity)  # before the commit: no new transaction
    await session.commit()
    return answer


async def _transition(session: AsyncSession, s: Submission, *, expected: State, values: dict[str, Any],
                      what: str) -> None:
    """Moves the latest version from `expected` to a new state, checked in the UPDATE itself."""
    if not s.latest:
        raise Conflict(f"Une version plus récente de cette valeur existe : impossible de {what} la version "
                       f"{s.version}, c'est la dernière version qu'il faut traiter.")
    if s.state != expected:
        raise Conflict(f"Cette valeur est à l'état « {STATE_LABELS[State(s.state)]} » : impossible de {what} "
                       f"(état attendu : « {STATE_LABELS[expected]} »).", state=s.state)
    await guarded_update(session, Submission, s.id, expect={"state": expected, "latest": True}, values=values,
                         conflict="Cette valeur vient d'être modifiée par quelqu'un d'autre.")


async def submit_draft(session: AsyncSession, outbox: Outbox, *, submission_id: int,
                       identity: Identity) -> SubmissionDetail:
    """A referent submits its organisation's draft to the secretariat."""
    s = await submission_row(session, submission_id)
    d = await definition(session, s.indicator_id)
    if _referent_of(identity, d) != s.organisation_id:
        raise Forbidden("Seul un référent de l'organisation qui a saisi cette valeur peut la soumettre.")
    await ensure_open(session, s.period)
    await _transition(session, s, expected=State.BROUILLON,
                      values={"state": State.SOUMIS, "submitted_at": common.now(),
                              "sent_by_user_id": identity.user_id}, what="soumettre")
    payload, subject = submission_event(SubmissionSubmitted, s, d, await qpv_by_id(session), actor=identity)
    await outbox.record(session, payload, subject=subject)
    answer = await get_submission(session, submission_id, identity)  # before the commit: no new transaction
    await session.commit()
    return answer


def own_value(s: Submission, identity: Identity) -> bool:
    """Whether this person entered the version under review or sent it to validation."""
    return identity.user_id in (s.submitted_by_user_id, s.sent_by_user_id)


def _four_eyes(s: Submission, identity: Identity, what: str) -> None:
    """Nobody validates a value they entered or submitted, even holding both roles: another person must look
    at it. `s` is the version being reviewed (the one the request names, checked to be the latest)."""
    if own_value(s, identity):
        done = "saisi" if s.submitted_by_user_id == identity.user_id else "soumis"
        raise Forbidden(f"Vous avez {done} cette valeur : une autre personne du secrétariat doit la {what} (règle "
                        "des quatre yeux).", rule="four_eyes")


async def approve_one(session: AsyncSession, outbox: Outbox, *, s: Submission, d: IndicatorDefinition,
                      qpvs: dict[str, Qpv], identity: Identity) -> None:
    """Approves one submitted value with its event, under its own rules (four eyes, latest version, state
    checked in the UPDATE); the caller commits."""
    _four_eyes(s, identity, "valider")
    await _transition(session, s, expected=State.SOUMIS, what="valider",
                      values={"state": State.APPROUVE, "reviewed_by_name": identity.name,
                              "reviewed_at": common.now(), "reason": None})
    payload, subject = submission_event(SubmissionValidated, s, d, qpvs, actor=identity)
    # In detail for the services (internal stream), and the approved value itself for integrators.
    await outbox.record_many(session, [(payload, subject), (ValueApproved.of(payload), subject)])


async def approve(session: AsyncSession, outbox: Outbox, *, submission_id: int,
                  identity: Identity) -> SubmissionDetail:
    """The secretariat approves a submitted value (not one its approver entered)."""
    common.require_secretariat(identity, "valider une valeur")
    s = await submission_row(session, submission_id)
    d = await definition(session, s.indicator_id)
    await approve_one(session, outbox, s=s, d=d, qpvs=await qpv_by_id(session), identity=identity)
    answer = await get_submission(session, submission_id, identity)  # before the commit: no new transaction
    await session.commit()
    return answer


async def reject(session: AsyncSession, outbox: Outbox, *, submission_id: int, reason: str,
                 identity: Identity) -> SubmissionDetail:
    """The secretariat returns a submitted value for revision, with a reason (not one its reviewer entered)."""
    common.require_secretariat(identity, "renvoyer une valeur à reprendre")
    s = await submission_row(session, submission_id)
    d = await definition(session, s.indicator_id)
    _four_eyes(s, identity, "renvoyer à reprendre")
    await _transition(session, s, expected=State.SOUMIS, what="renvoyer à reprendre",
                      values={"state": State.A_REPRENDRE, "reviewed_by_name": identity.name,
                              "reviewed_at": common.now(), "reason": reason})
    payload, subject = submission_event(SubmissionRejected, s, d, await qpv_by_id(session), actor=identity,
                                        reason=reason)
    await outbox.record(session, payload, subject=subject)
    answer = await get_submission(session, submission_id, identity)  # before the commit: no new transaction
    await session.commit()
    return answer


async def get_submission(session: AsyncSession, submission_id: int, identity: Identity) -> SubmissionDetail:
    """Gets one version of a value with all the versions of that value, newest first."""
    s = await submission_row(session, submission_id)
    if not common.may_read(identity, s.organisation_id):
        raise Forbidden("Vous ne pouvez consulter que les valeurs de votre organisation.")
    d = await definition(session, s.indicator_id)
    qpvs = await qpv_by_id(session)
    versions = (await session.exec(select(Submission).where(Submission.slot == s.slot)
                                   .order_by(col(Submission.version).desc()))).all()
    return SubmissionDetail(**submission_out(s, d, qpvs).model_dump(),
                            history=[submission_out(v, d, qpvs) for v in versions])


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
    qpvs = await qpv_by_id(session)
    return [submission_out(s, definitions[s.indicator_id], qpvs) for s in rows]
