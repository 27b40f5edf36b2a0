"""A funder's yearly list imported from a spreadsheet (format: `services.participation.aap_format`): checked whole,
then shown (« 58 projets : 12 nouveaux, 46 déjà connus ; 51 accordés, 7 refusés ; 40 versements ») and kept until
its sender confirms; confirmed, it is checked again and written in one transaction, all or nothing: each line's
project found or created, the funder's decision recorded or corrected, its payment added unless already there.
A preview belongs to the person who sent it; one left a day is deleted."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import DomainError, InvalidRows, NotFound
from kernel.identity import Identity
from kernel.outbox import Outbox
from services.participation import aap_format
from services.participation.models import Base, now, timestamp
from services.participation.schemas import AapProjectIn, FundingDecisionIn, PaymentIn
from services.participation.service import aap_fundings, aap_measures, catalogue
from services.participation.service.aap_calls import get_call
from services.participation.service.aap_projects import add_project, find_project
from services.participation.service.common import new_id
from services.participation.service.registry import Qpv

KEPT = timedelta(days=1)


class AapImportPreview(Base, table=True):
    __tablename__ = "aap_import_preview"
    id: str = Field(primary_key=True, max_length=32)
    call_year: int
    funder_id: str = Field(max_length=80)
    actor_user_id: str = Field(max_length=200)
    filename: str | None = None
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=now, sa_column=timestamp())


async def _check(session: AsyncSession, who: Identity, year: int, funder_id: str,
                 content: bytes) -> list[aap_format.Row]:
    """The file's rows, or `InvalidRows` with every bad line."""
    aap_fundings.require_funder(await get_call(session, year), who, funder_id)
    qpv: dict[str, str] = {}
    for q in (await session.exec(select(Qpv))).all():
        qpv[q.id] = q.id
        if q.code:
            qpv[q.code.upper()] = q.id
    context = aap_format.Context(qpv=qpv, themes=catalogue.theme_lookup(await catalogue.themes(session)),
                                 engagements=set(), year=year)
    checked = aap_format.check_file(content, context)
    if checked.errors:
        n = len(checked.errors)
        raise InvalidRows(f"{n} ligne{'s' if n > 1 else ''} invalide{'s' if n > 1 else ''} : rien n'a été "
                          "enregistré. Corrigez le fichier, puis envoyez-le de nouveau.", errors=checked.errors)
    return checked.rows


async def _summary(session: AsyncSession, year: int, funder_id: str, rows: list[aap_format.Row]) -> dict:
    known = 0
    for r in rows:
        known += await find_project(session, year, r.association_id, r.title) is not None
    granted = [r for r in rows if r.decision == "accorde"]
    return {"call_year": year, "funder_id": funder_id, "lines": len(rows), "new_projects": len(rows) - known,
            "known_projects": known, "granted": len(granted), "refused": len(rows) - len(granted),
            "amount_granted": sum(r.amount_granted for r in granted),
            "payments": sum(1 for r in rows if r.amount_paid),
            "projects": [{"line": r.line, "association_name": r.association_name, "title": r.title,
                          "decision": r.decision, "amount_granted": r.amount_granted, "amount_paid": r.amount_paid}
                         for r in rows[:500]]}


async def preview(session: AsyncSession, who: Identity, year: int, funder_id: str, content: bytes,
                  filename: str | None) -> dict:
    """Checks a file and keeps it for its sender to confirm; what it would do."""
    rows = await _check(session, who, year, funder_id, content)
    await session.exec(delete(AapImportPreview).where(col(AapImportPreview.created_at) < now() - KEPT))
    kept = AapImportPreview(id=new_id(), call_year=year, funder_id=funder_id, actor_user_id=who.user_id,
                            filename=filename, content=content)
    session.add(kept)
    summary = await _summary(session, year, funder_id, rows)
    await session.commit()
    return {**summary, "preview_id": kept.id}


async def confirm(session: AsyncSession, outbox: Outbox, who: Identity, preview_id: str) -> dict:
    kept = await session.get(AapImportPreview, preview_id)
    if kept is None or kept.actor_user_id != who.user_id or kept.created_at.replace(tzinfo=None) < (
            now() - KEPT).replace(tzinfo=None):
        raise NotFound("Cet aperçu d'import n'existe plus (il est gardé un jour, pour la personne qui a envoyé le "
                       "fichier) : envoyez le fichier de nouveau.")
    year, funder_id, content = kept.call_year, kept.funder_id, kept.content
    await session.delete(kept)  # committed with the import, or not at all
    return await import_file(session, outbox, who, year, funder_id, content)


async def import_file(session: AsyncSession, outbox: Outbox, who: Identity, year: int, funder_id: str,
                      content: bytes) -> dict:
    """Checks then writes a funder's list, all or nothing, with its events; recomputes the indicators once."""
    rows = await _check(session, who, year, funder_id, content)
    summary = await _summary(session, year, funder_id, rows)
    created = payments = 0
    for r in rows:
        try:
            created, payments = await _write(session, outbox, who, year, funder_id, r, created, payments)
        except DomainError as exc:  # what only the stored data can refuse (a decision under what was paid…)
            await session.rollback()
            raise InvalidRows("1 ligne invalide : rien n'a été enregistré. Corrigez le fichier, puis envoyez-le de "
                              "nouveau.", errors=[{"line": r.line, "reason": exc.message}]) from exc
    await aap_measures.refresh(session, outbox, year)
    await session.commit()
    return {**summary, "created": created, "payments_recorded": payments}


async def _write(session: AsyncSession, outbox: Outbox, who: Identity, year: int, funder_id: str,
                 r: aap_format.Row, created: int, payments: int) -> tuple[int, int]:
    project = await find_project(session, year, r.association_id, r.title)
    if project is None:
        project = await add_project(session, outbox, who, year, AapProjectIn(
            association_name=r.association_name, association_id=r.association_id, title=r.title,
            summary=r.summary, qpv=r.qpv, themes=r.themes, engagements=r.engagements,
            amount_asked=r.amount_asked, cpo=r.cpo), commit=False)  # type: ignore[arg-type]
        created += 1
    grant = (await session.exec(select(aap_fundings.AapGrant).where(
        aap_fundings.AapGrant.project_id == project.id, aap_fundings.AapGrant.funder_id == funder_id))).first()
    grant = await aap_fundings.decide(session, outbox, who, project.id, funder_id, FundingDecisionIn(
        decision=r.decision, amount_granted=r.amount_granted, decided_on=r.decided_on,  # type: ignore[arg-type]
        version=grant.version if grant else None), commit=False, refresh=False)
    if r.paid_on and r.amount_paid:
        done = (await aap_fundings.payments_of(session, [grant.id])).get(grant.id, [])
        if not any(p.paid_on == r.paid_on and p.amount == r.amount_paid for p in done):
            await aap_fundings.pay(session, outbox, who, project.id, funder_id,
                                   PaymentIn(paid_on=r.paid_on, amount=r.amount_paid), commit=False, refresh=False)
            payments += 1
    return created, payments

