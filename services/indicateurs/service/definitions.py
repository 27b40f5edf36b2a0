"""Indicator definitions: one per indicator label of an engagement, refined by the secretariat, versioned.

The engagements service announces its engagements (`handlers`); each label becomes a definition here. Only the
secretariat refines one (unit, periodicity, target, breakdown by QPV, responsible organisations), from the
version it read; every version stays readable and is announced.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Conflict, Forbidden, Invalid
from kernel.identity import Identity
from kernel.outbox import Outbox
from kernel.rows import get_or_404, guarded_update
from services.indicateurs.events import DefinitionDefined
from services.indicateurs.models import DefinitionVersion, IndicatorDefinition, Organisation, Qpv, Submission
from services.indicateurs.schemas import DefinitionDetail, DefinitionOut, DefinitionUpdate, DefinitionVersionOut
from services.indicateurs.service import common

CONTRACT_ACTOR = "Chargement du contrat"


def _out(d: IndicatorDefinition) -> dict[str, Any]:
    """A definition as the API shows it (and as a conflict carries it)."""
    return DefinitionOut.model_validate(d, from_attributes=True).model_dump(mode="json")


async def definition(session: AsyncSession, indicator_id: int) -> IndicatorDefinition:
    return await get_or_404(session, IndicatorDefinition, indicator_id,
                            f"L'indicateur n° {indicator_id} n'existe pas.")


async def _changed(session: AsyncSession, outbox: Outbox, d: IndicatorDefinition, changed: list[str], *,
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
        computed=d.computed), subject=f"indicator/{d.id}")


async def _write(session: AsyncSession, d: IndicatorDefinition, values: dict[str, Any], *, read_version: int,
                 actor_name: str | None) -> None:
    """Writes new values if the definition is still at `read_version`; a 409 with the current one otherwise."""
    await guarded_update(session, IndicatorDefinition, d.id, expect={"version": read_version},
                         values={**values, "version": read_version + 1, "updated_at": common.now(),
                                 "updated_by_name": actor_name},
                         conflict="Cette définition vient d'être modifiée par quelqu'un d'autre.", current=_out)


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
            await _changed(session, outbox, d, ["creation"], actor_name=CONTRACT_ACTOR)
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
    # If the secretariat changed it at the same moment, the conflict fails the delivery: it is retried on fresh data.
    await _write(session, d, values, read_version=d.version, actor_name=CONTRACT_ACTOR)
    await _changed(session, outbox, d, sorted(values), actor_name=CONTRACT_ACTOR)


async def mark_computed(session: AsyncSession, outbox: Outbox, d: IndicatorDefinition, *, actor_name: str) -> None:
    """The platform computes this indicator's values (its first measure arrived): from now on nobody owes them and
    no referent types them; a new version says so. Nothing changes if it is already known."""
    if d.computed:
        return
    await _write(session, d, {"computed": True}, read_version=d.version, actor_name=actor_name)
    await _changed(session, outbox, d, ["computed"], actor_name=actor_name)


def refuse_computed(d: IndicatorDefinition) -> None:
    """Nobody types a value the platform computes: a structured refusal (`rule`: computed)."""
    if d.computed:
        raise Forbidden(f"L'indicateur « {d.label} » est calculé automatiquement par la plateforme : ses valeurs ne "
                        "se saisissent pas.", rule="computed", field="indicator_id")


async def list_definitions(session: AsyncSession, engagement: int | None = None) -> list[DefinitionOut]:
    """Gets the active indicator definitions, by engagement."""
    query = select(IndicatorDefinition).where(IndicatorDefinition.active)
    if engagement is not None:
        query = query.where(IndicatorDefinition.engagement_number == engagement)
    rows = (await session.exec(query.order_by(IndicatorDefinition.engagement_number,
                                              IndicatorDefinition.id))).all()
    return [DefinitionOut.model_validate(r, from_attributes=True) for r in rows]


async def get_definition(session: AsyncSession, indicator_id: int) -> DefinitionDetail:
    """Gets one definition with all its versions, newest first."""
    d = await definition(session, indicator_id)
    history = (await session.exec(select(DefinitionVersion).where(DefinitionVersion.indicator_id == indicator_id)
                                  .order_by(col(DefinitionVersion.version).desc()))).all()
    return DefinitionDetail(**DefinitionOut.model_validate(d, from_attributes=True).model_dump(),
                            history=[DefinitionVersionOut.model_validate(h, from_attributes=True) for h in history])


async def update_definition(session: AsyncSession, outbox: Outbox, *, indicator_id: int, update: DefinitionUpdate,
                            identity: Identity) -> DefinitionDetail:
    """The secretariat refines a definition (unit, periodicity, target, breakdown, responsible organisations)."""
    if not identity.is_secretariat:
        raise Forbidden("Seul le secrétariat peut modifier une définition d'indicateur.")
    d = await definition(session, indicator_id)
    if d.version != update.version:
        raise Conflict("Cette définition a été modifiée entre-temps. Voici la version actuelle ; reprenez votre "
                       "modification à partir d'elle.", current=_out(d))
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
    await _write(session, d, values, read_version=update.version, actor_name=identity.name)
    await _changed(session, outbox, d, sorted(k for k in values if k != "responsible_custom"),
                   actor_name=identity.name, actor_user_id=identity.user_id)
    answer = await get_definition(session, indicator_id)  # before the commit: no new transaction
    await session.commit()
    return answer
