"""Imports: a file of values, CSV or .xlsx (format and checks: `services.indicateurs.csv_format`), checked whole,
then recorded at once, or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Conflict, Forbidden, InvalidRows
from kernel.identity import Identity
from kernel.outbox import Outbox
from kernel.rows import get_or_404, guarded_update_all
from services.indicateurs import csv_format
from services.indicateurs.events import ImportCompleted, SubmissionCorrected, SubmissionRecorded
from services.indicateurs.models import ImportRun, IndicatorDefinition, Qpv, State, Submission, slot_key
from services.indicateurs.periods import sort_key
from services.indicateurs.schemas import ImportReport
from services.indicateurs.service import common
from services.indicateurs.service.campaigns import lock_reason, locks
from services.indicateurs.service.reference import qpv_by_id
from services.indicateurs.service.submissions import submission_event


@dataclass
class Plan:
    """What a checked file would do: its new values and corrections (with the version each replaces)."""

    organisation_id: str
    checked: csv_format.Checked
    new_rows: list[tuple[csv_format.Row, Any]]
    unchanged: int
    definitions: dict[int, IndicatorDefinition]
    qpvs: dict[str, Qpv]

    def report(self, *, dry_run: bool) -> ImportReport:
        corrected = sum(1 for _, p in self.new_rows if p is not None)
        return ImportReport(import_id=None, organisation_id=self.organisation_id, lines=self.checked.lines,
                            skipped=self.checked.skipped, rows=len(self.checked.rows),
                            recorded=len(self.new_rows) - corrected, corrected=corrected, unchanged=self.unchanged,
                            dry_run=dry_run)


async def plan_import(session: AsyncSession, *, content: bytes, identity: Identity) -> Plan:
    """Checks a whole file for the referent's organisation and works out what it would record; raises
    `InvalidRows` (every bad line, with the counts of the file) if any line is bad."""
    if not identity.has("referent") or not identity.organisation_id:
        raise Forbidden("Seul un référent d'une organisation responsable peut importer des valeurs.")
    organisation_id = identity.organisation_id
    definitions = {d.id or 0: d for d in (await session.exec(select(IndicatorDefinition))).all()}
    qpvs = await qpv_by_id(session)
    closed = await locks(session)
    checked = csv_format.check_file(content, csv_format.Context(
        organisation_id=organisation_id, definitions=definitions, qpv=qpvs,
        lock=lambda period: lock_reason(period, closed)))
    if checked.errors:
        n = len(checked.errors)
        raise InvalidRows(f"{n} ligne{'s' if n > 1 else ''} invalide{'s' if n > 1 else ''} : rien n'a été "
                          "enregistré. Corrigez le fichier et importez-le de nouveau.", errors=checked.errors,
                          lines=checked.lines, skipped=checked.skipped)

    # Plain rows, not ORM objects: ten thousand of them load several times faster.
    latest = {s.slot: s for s in (await session.exec(select(
        Submission.slot, Submission.id, Submission.version, Submission.value, Submission.qualification,
        Submission.comment, Submission.source, Submission.state).where(
        Submission.organisation_id == organisation_id, Submission.latest))).all()}
    new_rows: list[tuple[csv_format.Row, Any]] = []
    unchanged = 0
    for row in checked.rows:
        previous = latest.get(slot_key(row.indicator_id, row.period, row.qpv_id, organisation_id))
        if previous is not None and previous.state in common.RECEIVED and previous.value == row.value \
                and previous.qualification == row.qualification and previous.comment == row.comment \
                and previous.source == row.source:
            unchanged += 1
            continue
        new_rows.append((row, previous))
    return Plan(organisation_id, checked, new_rows, unchanged, definitions, qpvs)


async def import_csv(session: AsyncSession, outbox: Outbox, *, content: bytes, filename: str | None,
                     identity: Identity, dry_run: bool = False) -> ImportReport:
    """Checks a whole file (CSV or .xlsx), then records all its values at once, or nothing (see `csv_format`).

    Events (internal stream): one `submission.recorded` or `submission.corrected` per value, exactly as if each
    value had been entered alone, so that a service following `cdv.indicateurs-internal.submission.>` gets every
    value whatever the way it came in (each carries `import_id`); plus one `import.completed` summary, so that
    notifications can send one message for a file instead of one per line. Integrators see these values once
    approved (`cdv.indicateurs.value.approved`). All are written with multi-row INSERTs in the same
    transaction as the values.
    """
    plan = await plan_import(session, content=content, identity=identity)
    report = plan.report(dry_run=dry_run)
    if dry_run:
        return report
    organisation_id, checked, new_rows = plan.organisation_id, plan.checked, plan.new_rows
    definitions, qpvs = plan.definitions, plan.qpvs

    run = ImportRun(organisation_id=organisation_id, actor_user_id=identity.user_id, actor_name=identity.name,
                    filename=filename, rows=report.rows, recorded=report.recorded, corrected=report.corrected,
                    unchanged=report.unchanged, skipped=report.skipped)
    session.add(run)
    await session.flush()
    await guarded_update_all(session, Submission, [p.id for _, p in new_rows if p is not None],
                             expect={"latest": True}, values={"latest": False},
                             conflict="Des valeurs de ce fichier ont été corrigées pendant l'import : rien n'a été "
                                      "enregistré, importez-le de nouveau.")
    at = common.now()
    values = [{"slot": slot_key(row.indicator_id, row.period, row.qpv_id, organisation_id),
               "indicator_id": row.indicator_id, "period": row.period, "qpv_id": row.qpv_id,
               "organisation_id": organisation_id, "version": previous.version + 1 if previous else 1,
               "latest": True, "value": row.value, "qualification": row.qualification.value,
               "comment": row.comment, "source": row.source, "state": State.SOUMIS.value,
               "submitted_by_user_id": identity.user_id, "submitted_by_name": identity.name, "created_at": at,
               "sent_by_user_id": identity.user_id,
               "submitted_at": at, "reviewed_by_name": None, "reviewed_at": None, "reason": None,
               "import_id": run.id} for row, previous in new_rows]
    table = Submission.__table__  # type: ignore[attr-defined]
    try:
        # Plain multi-row INSERTs, then the new ids in one query: with psycopg, INSERT … RETURNING over many
        # rows is about five times slower than the pipelined executemany.
        for chunk in common.chunks(values):
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
            events.append(submission_event(SubmissionRecorded, v, d, qpvs, actor=identity))
        else:
            events.append(submission_event(SubmissionCorrected, v, d, qpvs, actor=identity,
                                           previous_version=previous.version, previous_value=previous.value,
                                           previous_state=previous.state))
    events.append((ImportCompleted(import_id=run.id or 0, organisation_id=organisation_id, actor_name=identity.name,
                                   filename=filename, rows=report.rows, recorded=report.recorded,
                                   corrected=report.corrected, unchanged=report.unchanged, skipped=report.skipped,
                                   periods=sorted({r.period for r in checked.rows}, key=sort_key)),
                   f"import/{run.id}"))
    await outbox.record_many(session, events)
    await session.commit()
    return report.model_copy(update={"import_id": run.id})


async def get_import(session: AsyncSession, import_id: int, identity: Identity) -> ImportRun:
    """Gets an import run (its organisation's referents and the secretariat only)."""
    run = await get_or_404(session, ImportRun, import_id, f"L'import n° {import_id} n'existe pas.")
    if not common.may_read(identity, run.organisation_id):
        raise Forbidden("Vous ne pouvez consulter que les imports de votre organisation.")
    return run
