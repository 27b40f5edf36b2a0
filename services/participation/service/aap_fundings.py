"""The funders' side of a project: each funder's decision (granted with an amount, or refused, on a date) and its
payments. A funder's referents record their own organisation's decisions and payments, the secretariat anyone's;
the project's status follows (accordé as soon as one funder grants, refusé once every decision is a refusal).
Every change recomputes engagement 49's indicators for the call's year (`aap_measures`)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Forbidden, Invalid, NotFound
from kernel.identity import Identity
from kernel.outbox import Outbox
from kernel.rows import guarded_update
from services.participation.events.aap import FundingGranted, FundingPaid, FundingRefused, FundingWithdrawn
from services.participation.models import Base, now, timestamp
from services.participation.schemas import FundingDecisionIn, PaymentIn
from services.participation.service import aap_measures
from services.participation.service.aap_calls import AapCall, get_call
from services.participation.service.aap_projects import AapProject, announce, public_fields
from services.participation.service.common import new_id
from services.participation.service.registry import organisation_names


class AapGrant(Base, table=True):
    """One funder's decision on one project."""

    __tablename__ = "aap_grant"
    __table_args__ = (UniqueConstraint("project_id", "funder_id"),)
    id: str = Field(primary_key=True, max_length=32)
    project_id: str = Field(foreign_key="aap_project.id", max_length=32, index=True)
    call_year: int = Field(index=True)
    funder_id: str = Field(max_length=80, index=True)
    decision: str = Field(max_length=10)  # accorde, refuse
    amount_granted: int = 0
    decided_on: date
    version: int = 1
    recorded_by: str = Field(max_length=200)
    updated_at: datetime = Field(default_factory=now, sa_column=timestamp())


class AapPayment(Base, table=True):
    __tablename__ = "aap_payment"
    id: str = Field(primary_key=True, max_length=32)
    grant_id: str = Field(foreign_key="aap_grant.id", max_length=32, index=True)
    project_id: str = Field(max_length=32, index=True)
    call_year: int = Field(index=True)
    funder_id: str = Field(max_length=80)
    paid_on: date
    amount: int
    recorded_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=now, sa_column=timestamp())


def require_funder(call: AapCall, who: Identity, funder_id: str) -> None:
    """The funder's own referents, or the secretariat; and only a funder of the call."""
    if funder_id not in call.envelopes:
        raise Invalid(f"« {funder_id} » ne finance pas l'appel {call.year} (aucune enveloppe).", field="funder_id")
    if not who.is_secretariat and not (who.has("referent") and who.organisation_id == funder_id):
        raise Forbidden("Seuls les référents de ce financeur (ou le secrétariat) enregistrent ses décisions et ses "
                        "versements.")


async def grants_of(session: AsyncSession, project_ids: list[str]) -> dict[str, list[AapGrant]]:
    out: dict[str, list[AapGrant]] = {}
    if project_ids:
        query = select(AapGrant).where(col(AapGrant.project_id).in_(project_ids)).order_by(AapGrant.funder_id)
        for g in (await session.exec(query)).all():
            out.setdefault(g.project_id, []).append(g)
    return out


async def payments_of(session: AsyncSession, grant_ids: list[str]) -> dict[str, list[AapPayment]]:
    out: dict[str, list[AapPayment]] = {}
    if grant_ids:
        query = select(AapPayment).where(col(AapPayment.grant_id).in_(grant_ids)).order_by(AapPayment.paid_on)
        for p in (await session.exec(query)).all():
            out.setdefault(p.grant_id, []).append(p)
    return out


def status_of(grants: list[AapGrant]) -> str:
    if any(g.decision == "accorde" for g in grants):
        return "accorde"
    return "refuse" if grants else "depose"


async def decide(session: AsyncSession, outbox: Outbox, who: Identity, project_id: str, funder_id: str,
                 data: FundingDecisionIn, *, commit: bool = True, refresh: bool = True) -> AapGrant:
    """A funder records (or corrects, with the version it read) its decision on a project."""
    project = await session.get(AapProject, project_id)
    if project is None:
        raise NotFound("Ce projet n'existe pas.")
    call = await get_call(session, project.call_year)
    require_funder(call, who, funder_id)
    if data.decision == "accorde" and data.amount_granted <= 0:
        raise Invalid("Montant accordé : indiquez un montant supérieur à 0 €.", field="amount_granted")
    amount = data.amount_granted if data.decision == "accorde" else 0
    grant = (await session.exec(select(AapGrant).where(AapGrant.project_id == project.id,
                                                       AapGrant.funder_id == funder_id))).first()
    paid = sum(p.amount for p in (await payments_of(session, [grant.id])).get(grant.id, [])) if grant else 0
    if paid and (data.decision == "refuse" or amount < paid):
        raise Invalid(f"{paid} € déjà versés : la décision ne peut pas passer sous ce montant.", field="amount_granted")
    previous = grant.decision if grant else None
    values = {"decision": data.decision, "amount_granted": amount, "decided_on": data.decided_on,
              "recorded_by": who.name}
    if grant is None:
        grant = AapGrant(id=new_id(), project_id=project.id, call_year=project.call_year, funder_id=funder_id,
                         **values)
        session.add(grant)
        await session.flush()
    elif all(getattr(grant, k) == v for k, v in values.items() if k != "recorded_by"):
        return grant  # the same decision again (a file imported twice): nothing to say
    else:
        if data.version is None:
            raise Invalid("Ce financeur a déjà décidé : donnez la version lue pour corriger sa décision.",
                          field="version")
        await guarded_update(session, AapGrant, grant.id, expect={"version": data.version},
                             values={**values, "version": data.version + 1, "updated_at": now()},
                             conflict="Cette décision a été modifiée entre-temps : relisez-la, puis recommencez.",
                             current=lambda g: {"decision": g.decision, "amount_granted": g.amount_granted,
                                                "version": g.version})
    grants = (await grants_of(session, [project.id]))[project.id]
    status = status_of(grants)
    if status != project.status:
        project.status, project.version, project.updated_at = status, project.version + 1, now()
        session.add(project)
        await announce(session, outbox, project, description_changed=False)
    names = await organisation_names(session)
    if grant.decision == "accorde":
        await outbox.record(session, FundingGranted(
            project=public_fields(project), funder_id=funder_id, funder_name=names.get(funder_id, funder_id),
            amount_granted=grant.amount_granted, decided_on=grant.decided_on, correction=previous == "accorde",
            project_granted_total=sum(g.amount_granted for g in grants)), subject=f"aap_project/{project.id}")
    else:
        if previous == "accorde":
            withdrawn = FundingWithdrawn(project_id=project.id, call_year=project.call_year, funder_id=funder_id,
                                         project_still_funded=status == "accorde")
            await outbox.record(session, withdrawn, subject=f"aap_project/{project.id}")
        await outbox.record(session, FundingRefused(project_id=project.id, call_year=project.call_year,
                                                    funder_id=funder_id, decided_on=grant.decided_on,
                                                    status=status),  # type: ignore[arg-type]
                            subject=f"aap_project/{project.id}")
    if refresh:
        await aap_measures.refresh(session, outbox, project.call_year)
    if commit:
        await session.commit()
    return grant


async def pay(session: AsyncSession, outbox: Outbox, who: Identity, project_id: str, funder_id: str,
              data: PaymentIn, *, commit: bool = True, refresh: bool = True) -> AapPayment:
    """A funder records a payment of a subsidy it granted (never more than granted, never before the decision)."""
    project = await session.get(AapProject, project_id)
    if project is None:
        raise NotFound("Ce projet n'existe pas.")
    require_funder(await get_call(session, project.call_year), who, funder_id)
    grant = (await session.exec(select(AapGrant).where(AapGrant.project_id == project.id,
                                                       AapGrant.funder_id == funder_id))).first()
    if grant is None or grant.decision != "accorde":
        raise Invalid("Ce financeur n'a pas accordé de subvention à ce projet : rien à verser.", field="amount")
    if data.paid_on < grant.decided_on:
        raise Invalid(f"Date de versement antérieure à la décision ({grant.decided_on:%d/%m/%Y}).", field="paid_on")
    paid = sum(p.amount for p in (await payments_of(session, [grant.id])).get(grant.id, []))
    if paid + data.amount > grant.amount_granted:
        raise Invalid(f"Versement trop élevé : {grant.amount_granted - paid} € restent à verser sur "
                      f"{grant.amount_granted} € accordés.", field="amount")
    payment = AapPayment(id=new_id(), grant_id=grant.id, project_id=project.id, call_year=project.call_year,
                         funder_id=funder_id, paid_on=data.paid_on, amount=data.amount, recorded_by=who.name)
    session.add(payment)
    await session.flush()
    names = await organisation_names(session)
    await outbox.record(session, FundingPaid(
        payment_id=payment.id, project_id=project.id, call_year=project.call_year, funder_id=funder_id,
        funder_name=names.get(funder_id, funder_id), amount=payment.amount, paid_on=payment.paid_on,
        decided_on=grant.decided_on, days_after_decision=(payment.paid_on - grant.decided_on).days,
        paid_total=paid + payment.amount, amount_granted=grant.amount_granted), subject=f"aap_project/{project.id}")
    if refresh:
        await aap_measures.refresh(session, outbox, project.call_year)
    if commit:
        await session.commit()
    return payment


def funding_out(g: AapGrant, payments: list[AapPayment], names: dict[str, str], *, public: bool) -> dict:
    out = {"funder_id": g.funder_id, "funder_name": names.get(g.funder_id, g.funder_id), "decision": g.decision,
           "amount_granted": g.amount_granted, "decided_on": g.decided_on, "version": g.version,
           "paid_total": sum(p.amount for p in payments),
           "payments": [{"paid_on": p.paid_on, "amount": p.amount,
                         "days_after_decision": (p.paid_on - g.decided_on).days} for p in payments]}
    if not public:
        out["recorded_by"] = g.recorded_by
    return out
