"""Governance bodies: the COPIL, the GTC, the thematic groups, interbailleurs, inter-associatif, conseils citoyens,
the annual RDV politique de la ville. They come from the contract file; the secretariat may rename them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Invalid
from kernel.identity import Identity
from kernel.rows import get_or_404
from services.participation.labels import BODY_KIND_LABELS
from services.participation.models import Base, now, timestamp
from services.participation.schemas import BodyIn, BodyRename
from services.participation.service.common import clean, require_secretariat

KIND_ORDER = list(BODY_KIND_LABELS)


class Body(Base, table=True):
    id: str = Field(primary_key=True, max_length=80)
    kind: str = Field(max_length=40, index=True)
    name: str = Field(max_length=300)
    # The name the contract gives; a reload updates `name` only while the secretariat has not renamed the body.
    contract_name: str = Field(max_length=300)
    description: str | None = None
    organisation_id: str | None = Field(default=None, max_length=80)
    qpv_id: str | None = Field(default=None, max_length=80)
    engagements: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    themes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    uncertain: bool = False
    note: str | None = None
    renamed_by: str | None = Field(default=None, max_length=200)
    updated_at: datetime = Field(default_factory=now, sa_column=timestamp())


async def sync_bodies(session: AsyncSession, bodies: list[BodyIn]) -> list[str]:
    """Creates or updates the contract's bodies (keeping a name the secretariat chose); returns the changed ids.
    Their engagement numbers are not checked against the catalogue copy: the gateway's contract validation checks
    them against the same file, loaded in the same step as the engagements whose events may still be on the way."""
    changed = []
    for b in bodies:
        body = await session.get(Body, b.id)
        values = {"kind": b.kind, "organisation_id": b.organisation, "qpv_id": b.qpv, "engagements": b.engagements,
                  "themes": b.themes, "uncertain": b.uncertain, "note": b.note}
        if body is None:
            body = Body(id=b.id, name=b.name, contract_name=b.name, description=b.description, **values)
        else:
            if body.renamed_by is None:
                values |= {"name": b.name, "description": b.description}
            values["contract_name"] = b.name
            if all(getattr(body, k) == v for k, v in values.items()):
                continue
            for k, v in values.items():
                setattr(body, k, v)
            body.updated_at = now()
        session.add(body)
        changed.append(b.id)
    return changed


async def list_bodies(session: AsyncSession) -> list[Body]:
    """Gets the bodies, COPIL first, then by kind and name."""
    bodies = list((await session.exec(select(Body))).all())
    return sorted(bodies, key=lambda b: (KIND_ORDER.index(b.kind) if b.kind in KIND_ORDER else 99, b.name))


async def get_body(session: AsyncSession, body_id: str) -> Body:
    return await get_or_404(session, Body, body_id, f"Instance inconnue : « {body_id} ».")


async def rename_body(session: AsyncSession, who: Identity, body_id: str, change: BodyRename) -> Body:
    """The secretariat names a body (e.g. a thematic group the contract does not name)."""
    require_secretariat(who, "renommer une instance")
    body = await get_body(session, body_id)
    name = clean(change.name, "name", "Nom", required=True, max_length=300)
    if name is None:
        raise Invalid("Nom : champ obligatoire.", field="name")
    body.name = name
    body.description = clean(change.description, "description", "Description")
    body.renamed_by = who.name
    body.updated_at = now()
    session.add(body)
    await session.commit()
    return body


def body_out(body: Body) -> dict:
    return {"id": body.id, "kind": body.kind, "kind_label": BODY_KIND_LABELS.get(body.kind, body.kind),
            "name": body.name,
            "contract_name": body.contract_name, "description": body.description,
            "organisation_id": body.organisation_id, "qpv_id": body.qpv_id, "engagements": body.engagements,
            "themes": body.themes, "uncertain": body.uncertain, "note": body.note,
            "renamed": body.renamed_by is not None}
