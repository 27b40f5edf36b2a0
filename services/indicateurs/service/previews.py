"""Import previews: a file checked and shown to its referent (« 79 lignes : 12 valeurs à enregistrer, 67 lignes
vides ignorées, 0 erreur ») and kept until the referent confirms it; the confirmation imports it (checked again,
all or nothing) and forgets it. A preview belongs to the person who sent the file; one left a day is deleted.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, delete
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import NotFound
from kernel.identity import Identity
from kernel.outbox import Outbox
from services.indicateurs.models import ImportPreview
from services.indicateurs.schemas import ImportLine, ImportReport
from services.indicateurs.service import common
from services.indicateurs.service.imports import Plan, import_csv, plan_import

KEPT = timedelta(days=1)
SHOWN_VALUES = 500  # values listed in a preview (the counts cover them all)


def _lines(plan: Plan) -> list[ImportLine]:
    lines = []
    for row, previous in plan.new_rows[:SHOWN_VALUES]:
        d = plan.definitions[row.indicator_id]
        q = plan.qpvs.get(row.qpv_id) if row.qpv_id else None
        lines.append(ImportLine(line=row.line, indicator_id=row.indicator_id, indicator_label=d.label,
                                engagement_number=d.engagement_number, unit=d.unit, period=row.period,
                                qpv_id=row.qpv_id, qpv_name=q.name if q else None, value=row.value,
                                kind="correction" if previous is not None else "nouvelle",
                                previous_value=previous.value if previous is not None else None))
    return lines


async def preview_import(session: AsyncSession, *, content: bytes, filename: str | None,
                         identity: Identity) -> ImportReport:
    """Checks a file and keeps it for confirmation; the report says what it would record (`InvalidRows` if any
    line is bad: then nothing is kept)."""
    plan = await plan_import(session, content=content, identity=identity)
    await session.exec(delete(ImportPreview).where(col(ImportPreview.created_at) < common.now() - KEPT))
    preview = ImportPreview(organisation_id=plan.organisation_id, actor_user_id=identity.user_id,
                            filename=filename, content=content)
    session.add(preview)
    await session.commit()
    return plan.report(dry_run=True).model_copy(update={"preview_id": preview.id, "values": _lines(plan)})


async def confirm_import(session: AsyncSession, outbox: Outbox, *, preview_id: int,
                         identity: Identity) -> ImportReport:
    """Imports a previewed file (checked again: things may have changed since) and forgets the preview."""
    preview = await session.get(ImportPreview, preview_id)
    if preview is None or preview.actor_user_id != identity.user_id \
            or preview.created_at < common.now() - KEPT:
        raise NotFound("Cet aperçu d'import n'existe plus (il est gardé un jour, pour la personne qui a envoyé le "
                       "fichier) : envoyez le fichier de nouveau.")
    content, filename = preview.content, preview.filename
    await session.delete(preview)  # committed with the import, or not at all
    return await import_csv(session, outbox, content=content, filename=filename, identity=identity)
