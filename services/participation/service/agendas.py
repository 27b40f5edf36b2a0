"""A meeting's agenda: the working draft the secretariat composes, and its published versions.

Publishing freezes the draft as version 1; any later publication is a revision (version n + 1) carrying its
differences with the previous version. Earlier versions stay readable. Each publication says whether it went
out in time (the body's lead time) and, if not, the reason given."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Invalid, NotFound
from kernel.identity import Identity
from kernel.outbox import Outbox
from kernel.rows import get_or_404, guarded_update
from services.participation.events import AgendaChange, AgendaPublished, AgendaRevised
from services.participation.models import Base, timestamp
from services.participation.schemas import ItemIn, ItemMove, LinkIn, PublishIn
from services.participation.service import agenda_diff
from services.participation.service.bodies import Body, get_body
from services.participation.service.catalogue import known_engagements
from services.participation.service.common import as_utc, clean, new_id, require_secretariat, today_paris, utcnow
from services.participation.service.documents import Document, add_link, current_documents, document_url
from services.participation.service.meetings import (
    Access,
    Meeting,
    agenda_due_on,
    bump_draft,
    get_meeting,
    meeting_ref,
)
from services.participation.service.registry import Organisation, organisation_names
from services.participation.settings import Settings


class AgendaItem(Base, table=True):
    __tablename__ = "agenda_item"
    id: str = Field(primary_key=True, max_length=32)
    meeting_id: str = Field(foreign_key="meeting.id", max_length=32, index=True)
    position: int
    title: str = Field(max_length=300)
    theme: str | None = Field(default=None, max_length=200)
    description: str | None = None
    engagements: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    presenter_organisation_id: str | None = Field(default=None, max_length=80)
    duration_minutes: int | None = None
    proposal_id: str | None = Field(default=None, max_length=32)


class AgendaVersion(Base, table=True):
    __tablename__ = "agenda_version"
    __table_args__ = (UniqueConstraint("meeting_id", "number"),)
    id: str = Field(primary_key=True, max_length=32)
    meeting_id: str = Field(foreign_key="meeting.id", max_length=32, index=True)
    number: int
    items: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    documents: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    changes: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    published_at: datetime = Field(sa_column=timestamp())
    published_by: str = Field(max_length=200)
    due_on: date
    on_time: bool
    late_reason: str | None = None
    sequence: int


def _editable(meeting: Meeting) -> None:
    if meeting.status == "cancelled":
        raise Invalid("Cette réunion est annulée : son ordre du jour ne peut plus changer.")
    if meeting.minutes_published_at is not None:
        raise Invalid("Le compte rendu de cette réunion est publié : son ordre du jour ne peut plus changer.")


async def _presenter(session: AsyncSession, organisation_id: str | None) -> str | None:
    if organisation_id and await session.get(Organisation, organisation_id) is None:
        raise Invalid(f"Organisation inconnue : « {organisation_id} ».", field="presenter_organisation_id")
    return organisation_id or None


async def items_of(session: AsyncSession, meeting_id: str) -> list[AgendaItem]:
    query = select(AgendaItem).where(AgendaItem.meeting_id == meeting_id).order_by(AgendaItem.position)
    return list((await session.exec(query)).all())


async def _renumber(session: AsyncSession, items: list[AgendaItem]) -> None:
    for position, item in enumerate(items, 1):
        if item.position != position:
            item.position = position
            session.add(item)


async def add_item(session: AsyncSession, who: Identity, meeting_id: str, data: ItemIn, *,
                   proposal_id: str | None = None, commit: bool = True) -> AgendaItem:
    """The secretariat adds an item at the end of the working agenda."""
    require_secretariat(who, "composer l'ordre du jour")
    meeting = await get_meeting(session, meeting_id)
    _editable(meeting)
    await bump_draft(session, meeting, data.draft_rev)
    item = AgendaItem(id=new_id(), meeting_id=meeting_id, position=len(await items_of(session, meeting_id)) + 1,
                      title=clean(data.title, "title", "Titre du point", required=True, max_length=300) or "",
                      theme=clean(data.theme, "theme", "Thème", max_length=200),
                      description=clean(data.description, "description", "Présentation"),
                      engagements=await known_engagements(session, data.engagements),
                      presenter_organisation_id=await _presenter(session, data.presenter_organisation_id),
                      duration_minutes=data.duration_minutes, proposal_id=proposal_id)
    session.add(item)
    if commit:
        await session.commit()
    return item


async def _item(session: AsyncSession, meeting_id: str, item_id: str) -> AgendaItem:
    item = await get_or_404(session, AgendaItem, item_id, "Point de l'ordre du jour introuvable.")
    if item.meeting_id != meeting_id:
        raise NotFound("Point de l'ordre du jour introuvable.")
    return item


async def _editing(session: AsyncSession, who: Identity, meeting_id: str, item_id: str, draft_rev: int) -> AgendaItem:
    """An item of a working agenda the secretariat is changing, from the draft revision it saw (bumped)."""
    require_secretariat(who, "composer l'ordre du jour")
    meeting = await get_meeting(session, meeting_id)
    _editable(meeting)
    item = await _item(session, meeting_id, item_id)
    await bump_draft(session, meeting, draft_rev)
    return item


async def update_item(session: AsyncSession, who: Identity, meeting_id: str, item_id: str, data: ItemIn) -> AgendaItem:
    item = await _editing(session, who, meeting_id, item_id, data.draft_rev)
    item.title = clean(data.title, "title", "Titre du point", required=True, max_length=300) or item.title
    item.theme = clean(data.theme, "theme", "Thème", max_length=200)
    item.description = clean(data.description, "description", "Présentation")
    item.engagements = await known_engagements(session, data.engagements)
    item.presenter_organisation_id = await _presenter(session, data.presenter_organisation_id)
    item.duration_minutes = data.duration_minutes
    session.add(item)
    await session.commit()
    return item


async def move_item(session: AsyncSession, who: Identity, meeting_id: str, item_id: str, data: ItemMove) -> None:
    """Moves an item to another position (the others follow)."""
    item = await _editing(session, who, meeting_id, item_id, data.draft_rev)
    items = [i for i in await items_of(session, meeting_id) if i.id != item.id]
    items.insert(min(data.position, len(items) + 1) - 1, item)
    await _renumber(session, items)
    await session.commit()


async def remove_item(session: AsyncSession, who: Identity, meeting_id: str, item_id: str, draft_rev: int) -> None:
    """Removes an item from the working agenda (its documents are withdrawn; published versions keep them)."""
    item = await _editing(session, who, meeting_id, item_id, draft_rev)
    for doc in await current_documents(session, meeting_id):
        if doc.item_id == item.id:
            doc.withdrawn = True
            session.add(doc)
    await session.delete(item)
    await session.flush()
    await _renumber(session, await items_of(session, meeting_id))
    await session.commit()


async def attach_link(session: AsyncSession, who: Identity, meeting_id: str, data: LinkIn) -> Document:
    meeting = await get_meeting(session, meeting_id)
    _editable(meeting)
    if data.item_id:
        await _item(session, meeting_id, data.item_id)
    doc = add_link(who, meeting_id, title=data.title, url=data.url, item_id=data.item_id, public=data.public)
    await bump_draft(session, meeting, data.draft_rev)
    session.add(doc)
    await session.commit()
    return doc


async def attach_upload(session: AsyncSession, meeting: Meeting, doc: Document, draft_rev: int) -> Document:
    """Commits a stored upload as part of the working agenda (see documents.store_upload)."""
    _editable(meeting)
    if doc.item_id:
        await _item(session, meeting.id, doc.item_id)
    await bump_draft(session, meeting, draft_rev)
    session.add(doc)
    await session.commit()
    return doc


async def withdraw_document(session: AsyncSession, who: Identity, meeting_id: str, document_id: str,
                            draft_rev: int) -> None:
    require_secretariat(who, "retirer un document")
    meeting = await get_meeting(session, meeting_id)
    _editable(meeting)
    doc = await get_or_404(session, Document, document_id, "Document introuvable.")
    if doc.meeting_id != meeting_id:
        raise NotFound("Document introuvable.")
    await bump_draft(session, meeting, draft_rev)
    doc.withdrawn = True
    session.add(doc)
    await session.commit()


async def draft_snapshot(session: AsyncSession, settings: Settings, meeting_id: str) -> tuple[list[dict], list[dict]]:
    """The working agenda as it would be published: items (with their documents) and meeting documents."""
    names = await organisation_names(session)
    docs = await current_documents(session, meeting_id)

    def out(d: Document) -> dict:
        return {"title": d.title, "url": document_url(settings, d), "public": d.public}

    items = [{"item_id": i.id, "position": i.position, "title": i.title, "theme": i.theme,
              "description": i.description, "engagements": i.engagements,
              "presenter_organisation_id": i.presenter_organisation_id,
              "presenter_organisation_name": names.get(i.presenter_organisation_id or ""),
              "duration_minutes": i.duration_minutes,
              "documents": [out(d) for d in docs if d.item_id == i.id]}
             for i in await items_of(session, meeting_id)]
    return items, [out(d) for d in docs if d.item_id is None]


async def versions_of(session: AsyncSession, meeting_id: str) -> list[AgendaVersion]:
    query = select(AgendaVersion).where(AgendaVersion.meeting_id == meeting_id).order_by(AgendaVersion.number)
    return list((await session.exec(query)).all())


def pack_url(settings: Settings, meeting_id: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}/reunions/{meeting_id}/dossier.pdf"


async def publish(session: AsyncSession, outbox: Outbox, settings: Settings, who: Identity, meeting_id: str,
                  data: PublishIn, *, at: datetime | None = None) -> AgendaVersion:
    """Publishes the working agenda as a new numbered version; late publication needs a reason."""
    require_secretariat(who, "publier l'ordre du jour")
    meeting = await get_meeting(session, meeting_id)
    _editable(meeting)
    body = await get_body(session, meeting.body_id)
    items, documents = await draft_snapshot(session, settings, meeting_id)
    if not items:
        raise Invalid("L'ordre du jour est vide : ajoutez au moins un point avant de le publier.")
    previous = (await versions_of(session, meeting_id))[-1:] or [None]
    changes = [] if previous[0] is None else agenda_diff.diff(
        previous[0].items, items, before_documents=previous[0].documents, after_documents=documents)
    if previous[0] is not None and not changes:
        raise Invalid(f"Rien n'a changé depuis la version {previous[0].number} : il n'y a rien à diffuser.")
    at = as_utc(at) if at else utcnow()  # a caller's Paris time would be stored as if it were UTC
    due = agenda_due_on(meeting, body, settings)
    on_time = today_paris(at) <= due
    reason = clean(data.late_reason, "late_reason", "Raison du retard", max_length=2000)
    if not on_time and reason is None:
        late = (today_paris(at) - due).days
        raise Invalid(f"Publication tardive : l'ordre du jour devait être diffusé au plus tard le "
                      f"{due.strftime('%d/%m/%Y')} ({settings.lead_time(body.kind)} jours avant la réunion), soit "
                      f"il y a {late} jour{'s' if late > 1 else ''}. Indiquez la raison du retard : elle sera "
                      "montrée aux membres.", field="late_reason", due_on=due.isoformat(), days_late=late)
    number = meeting.published_version + 1
    await guarded_update(session, Meeting, meeting.id,
                         expect={"draft_rev": data.draft_rev, "published_version": meeting.published_version},
                         values={"published_version": number, "sequence": meeting.sequence + 1},
                         conflict="L'ordre du jour a changé depuis que vous l'avez affiché : relisez-le, puis "
                                  "publiez de nouveau.", current=lambda m: {"draft_rev": m.draft_rev})
    version = AgendaVersion(id=new_id(), meeting_id=meeting.id, number=number, items=items, documents=documents,
                            changes=changes, published_at=at, published_by=who.name, due_on=due, on_time=on_time,
                            late_reason=reason if not on_time else None, sequence=meeting.sequence)
    session.add(version)
    ref = meeting_ref(meeting, body, settings)
    common: dict[str, Any] = {"meeting": ref, "version": number, "items": items, "documents": documents,
                              "pack_url": pack_url(settings, meeting.id), "on_time": on_time,
                              "late_reason": version.late_reason, "published_at": at}
    if number == 1:
        event = AgendaPublished(**common)
    else:
        event = AgendaRevised(**common, previous_version=number - 1,
                              changes=[AgendaChange(**c) for c in changes])
    await outbox.record(session, event, subject=f"meeting/{meeting.id}")
    await session.commit()
    return version


def visible_documents(docs: list[dict], access: Access) -> list[dict]:
    return docs if access.insider else [d for d in docs if d.get("public", True)]


def version_out(version: AgendaVersion, access: Access) -> dict:
    """A published version as the caller may read it (outsiders do not see members-only documents)."""
    return {"number": version.number, "published_at": version.published_at, "published_by": version.published_by,
            "due_on": version.due_on, "on_time": version.on_time, "late_reason": version.late_reason,
            "items": [{**i, "documents": visible_documents(i.get("documents") or [], access)} for i in version.items],
            "documents": visible_documents(version.documents, access),
            "changes": version.changes}


async def lead_time_stats(session: AsyncSession, settings: Settings, *, at: datetime | None = None) -> list[dict]:
    """Share of meetings whose agenda went out on time, per body and year (meetings whose deadline has passed
    or whose agenda is out; cancelled meetings left aside)."""
    today = today_paris(at)
    query = select(AgendaVersion).where(AgendaVersion.number == 1)
    firsts = {v.meeting_id: v for v in (await session.exec(query)).all()}
    stats: dict[tuple[str, int], dict] = {}
    rows = (await session.exec(select(Meeting, Body).join(Body, Body.id == Meeting.body_id)
                               .where(Meeting.status != "cancelled"))).all()
    for meeting, body in rows:
        first = firsts.get(meeting.id)
        if first is None and agenda_due_on(meeting, body, settings) >= today:
            continue  # still time to publish: not counted yet
        key = (body.id, meeting.local_start.year)
        entry = stats.setdefault(key, {"body_id": body.id, "body_name": body.name, "year": key[1], "meetings": 0,
                                       "on_time": 0, "late": 0, "not_published": 0})
        entry["meetings"] += 1
        if first is None:
            entry["not_published"] += 1
        elif first.on_time:
            entry["on_time"] += 1
        else:
            entry["late"] += 1
    out = sorted(stats.values(), key=lambda e: (-e["year"], e["body_name"]))
    for entry in out:
        entry["share_on_time"] = round(entry["on_time"] / entry["meetings"], 3)
    return out
