"""Opinions (« avis ») of a conseil citoyen or of the inter-associatif on an engagement or on an item of a COPIL
agenda: a text, its QPV, attachments. The engagement's pilot organisations owe an answer within the delay the
secretariat sets (30 days by default); the answer is published under the opinion, and an answer past its due
date shows as overdue to everyone until it arrives.

Publicly an opinion is its body's, never a person's: who wrote it and who answered stay with the insiders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import JSON, Column
from sqlmodel import Field, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Forbidden, Invalid, NotFound
from kernel.identity import Identity
from kernel.outbox import Outbox
from kernel.rows import get_or_404, guarded_update
from services.participation.events import OpinionAnswered, OpinionPublished, OpinionTarget
from services.participation.models import Base, aware, now, timestamp
from services.participation.schemas import OpinionAnswerIn, OpinionIn, OpinionRulesIn
from services.participation.service.agendas import AgendaItem
from services.participation.service.bodies import Body, get_body
from services.participation.service.catalogue import engagements_seen, known_engagements
from services.participation.service.common import clean, new_id, require_secretariat, today_paris, utcnow
from services.participation.service.documents import stream_to_disk
from services.participation.service.meetings import get_meeting
from services.participation.service.members import member_id_in
from services.participation.service.registry import Qpv
from services.participation.settings import Settings

AUTHOR_KINDS = ("conseil-citoyen", "inter-associatif")
MAX_ATTACHMENTS = 5


class Opinion(Base, table=True):
    id: str = Field(primary_key=True, max_length=32)
    body_id: str = Field(foreign_key="body.id", max_length=80, index=True)
    engagement_number: int | None = Field(default=None, index=True)
    meeting_id: str | None = Field(default=None, foreign_key="meeting.id", max_length=32, index=True)
    item_id: str | None = Field(default=None, max_length=32)
    item_title: str | None = Field(default=None, max_length=300)
    qpv_id: str | None = Field(default=None, max_length=80)
    text: str
    # Who published it (insiders only) and who must answer: the pilots known at publication.
    author_id: str = Field(foreign_key="person.id", max_length=32)
    answer_organisations: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    published_at: datetime = Field(default_factory=now, sa_column=timestamp())
    due_on: date = Field(index=True)
    answer: str | None = None
    answered_at: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))
    answered_by_organisation_id: str | None = Field(default=None, max_length=80)
    answered_by: str | None = Field(default=None, max_length=200)
    version: int = 1


class OpinionAttachment(Base, table=True):
    __tablename__ = "opinion_attachment"
    id: str = Field(primary_key=True, max_length=32)
    opinion_id: str = Field(foreign_key="opinion.id", max_length=32, index=True)
    title: str = Field(max_length=300)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=120)
    size: int
    sha256: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=now, sa_column=timestamp())


class OpinionRules(Base, table=True):
    """The delay the secretariat gives pilots to answer (one row; none: the service's default)."""

    __tablename__ = "opinion_rules"
    id: int = Field(default=1, primary_key=True)
    answer_days: int
    updated_by: str = Field(max_length=200)
    updated_at: datetime = Field(default_factory=now, sa_column=timestamp())


def opinion_url(settings: Settings, opinion_id: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}/avis/{opinion_id}"


async def answer_days(session: AsyncSession, settings: Settings) -> int:
    rules = await session.get(OpinionRules, 1)
    return rules.answer_days if rules else settings.opinion_answer_days


async def set_answer_days(session: AsyncSession, who: Identity, data: OpinionRulesIn) -> OpinionRules:
    """The secretariat sets the delay for opinions published from now on."""
    require_secretariat(who, "fixer le délai de réponse aux avis")
    rules = await session.get(OpinionRules, 1) or OpinionRules(answer_days=data.answer_days, updated_by=who.name)
    rules.answer_days, rules.updated_by, rules.updated_at = data.answer_days, who.name, now()
    session.add(rules)
    await session.commit()
    return rules


async def _target(session: AsyncSession, data: OpinionIn) -> tuple[OpinionTarget, list[str]]:
    """What the opinion is about and the organisations that owe the answer."""
    if (data.engagement_number is None) == (data.item_id is None):
        raise Invalid("Choisissez soit un engagement, soit un point de l'ordre du jour d'un COPIL.",
                      field="engagement_number")
    if data.engagement_number is not None:
        [number] = await known_engagements(session, [data.engagement_number], field="engagement_number")
        seen = (await engagements_seen(session, [number]))[number]
        return OpinionTarget(engagement_number=number), list(seen.pilots)
    item = await get_or_404(session, AgendaItem, data.item_id, "Point de l'ordre du jour introuvable.")
    meeting = await get_meeting(session, item.meeting_id)
    if data.meeting_id and data.meeting_id != meeting.id:
        raise NotFound("Point de l'ordre du jour introuvable.")
    if (await get_body(session, meeting.body_id)).kind != "copil" or not meeting.published_version \
            or meeting.status == "cancelled":
        raise Invalid("Un avis porte sur un point de l'ordre du jour publié d'un COPIL.", field="item_id")
    pilots = {p for e in (await engagements_seen(session, list(item.engagements))).values() for p in e.pilots}
    if item.presenter_organisation_id:
        pilots.add(item.presenter_organisation_id)
    return OpinionTarget(meeting_id=meeting.id, item_id=item.id, item_title=item.title), sorted(pilots)


async def publish_opinion(session: AsyncSession, outbox: Outbox, settings: Settings, who: Identity,
                          data: OpinionIn, *, at: datetime | None = None) -> Opinion:
    """A member of a conseil citoyen (or of the inter-associatif) publishes an opinion in its name."""
    body = await get_body(session, data.body_id)
    if body.kind not in AUTHOR_KINDS:
        raise Invalid("Seuls un conseil citoyen et l'inter-associatif publient des avis.", field="body_id")
    try:
        author = await member_id_in(session, who, body.id)
    except NotFound as exc:
        raise Forbidden(f"Seuls les membres de « {body.name} » publient un avis en son nom.") from exc
    target, pilots = await _target(session, data)
    qpv_id = data.qpv_id or body.qpv_id
    if qpv_id and await session.get(Qpv, qpv_id) is None:
        raise Invalid(f"Quartier inconnu : « {qpv_id} ».", field="qpv_id")
    published = at or utcnow()
    days = await answer_days(session, settings)
    opinion = Opinion(id=new_id(), body_id=body.id, engagement_number=target.engagement_number,
                      meeting_id=target.meeting_id, item_id=target.item_id, item_title=target.item_title,
                      qpv_id=qpv_id, text=clean(data.text, "text", "Avis", required=True, max_length=8000) or "",
                      author_id=author, answer_organisations=pilots, published_at=published,
                      due_on=today_paris(published) + timedelta(days=days))
    session.add(opinion)
    await session.flush()
    await outbox.record(session, OpinionPublished(
        opinion_id=opinion.id, body_id=body.id, body_name=body.name, body_kind=body.kind, target=target,
        qpv_id=qpv_id, text=opinion.text, answer_organisation_ids=pilots, due_on=opinion.due_on,
        published_at=published, url=opinion_url(settings, opinion.id)), subject=f"opinion/{opinion.id}")
    await session.commit()
    return opinion


def may_answer(who: Identity, opinion: Opinion) -> bool:
    """A referent of an organisation that owes the answer; the secretariat when no pilot is known."""
    if who.has("referent") and who.organisation_id in opinion.answer_organisations:
        return True
    return not opinion.answer_organisations and who.is_secretariat


async def answer_opinion(session: AsyncSession, outbox: Outbox, settings: Settings, who: Identity, opinion_id: str,
                         data: OpinionAnswerIn, *, at: datetime | None = None) -> Opinion:
    """A pilot answers; the answer is published under the opinion (once: a second answer is a conflict)."""
    opinion = await get_opinion(session, opinion_id)
    if not may_answer(who, opinion):
        raise Forbidden("Seules les organisations pilotes concernées répondent à cet avis.")
    text = clean(data.text, "text", "Réponse", required=True, max_length=8000) or ""
    answered = at or utcnow()
    organisation = who.organisation_id if who.organisation_id in opinion.answer_organisations else None
    await guarded_update(session, Opinion, opinion.id, expect={"version": data.version, "answered_at": None},
                         values={"answer": text, "answered_at": answered, "answered_by": who.name,
                                 "answered_by_organisation_id": organisation, "version": data.version + 1},
                         conflict="Cet avis a déjà reçu une réponse entre-temps : rechargez la page.",
                         current=lambda o: {"version": o.version, "answer": o.answer})
    body = await get_body(session, opinion.body_id)
    await outbox.record(session, OpinionAnswered(
        opinion_id=opinion.id, body_id=body.id, body_name=body.name, target=_target_of(opinion),
        organisation_id=organisation, answer=text, due_on=opinion.due_on,
        on_time=today_paris(answered) <= opinion.due_on, answered_at=answered,
        url=opinion_url(settings, opinion.id)), subject=f"opinion/{opinion.id}")
    await session.commit()
    await session.refresh(opinion)
    return opinion


def _target_of(o: Opinion) -> OpinionTarget:
    return OpinionTarget(engagement_number=o.engagement_number, meeting_id=o.meeting_id, item_id=o.item_id,
                         item_title=o.item_title)


async def get_opinion(session: AsyncSession, opinion_id: str) -> Opinion:
    return await get_or_404(session, Opinion, opinion_id, "Avis introuvable.")


async def add_attachment(session: AsyncSession, settings: Settings, who: Identity, opinion_id: str, *, title: str,
                         filename: str | None, chunks: AsyncIterator[bytes]) -> OpinionAttachment:
    """A member of the opinion's body attaches a file (streamed, size and type checked), before any answer."""
    opinion = await get_opinion(session, opinion_id)
    body = await get_body(session, opinion.body_id)
    try:
        await member_id_in(session, who, body.id)
    except NotFound as exc:
        raise Forbidden(f"Seuls les membres de « {body.name} » joignent un document à son avis.") from exc
    if opinion.answered_at is not None:
        raise Invalid("Cet avis a reçu sa réponse : on ne peut plus y joindre de document.", field="file")
    count = len(await attachments_of(session, [opinion.id]))
    if count >= MAX_ATTACHMENTS:
        raise Invalid(f"Un avis a au plus {MAX_ATTACHMENTS} pièces jointes.", field="file")
    stored = await stream_to_disk(settings, chunks, filename)
    row = OpinionAttachment(id=stored.id, opinion_id=opinion.id,
                            title=clean(title, "title", "Titre", max_length=300) or stored.filename,
                            filename=stored.filename, content_type=stored.content_type, size=stored.size,
                            sha256=stored.sha256)
    session.add(row)
    try:
        await session.commit()
    except Exception:
        (settings.documents_dir() / stored.id).unlink(missing_ok=True)  # nothing half-saved
        raise
    return row


async def attachment_file(session: AsyncSession, settings: Settings,
                          attachment_id: str) -> tuple[OpinionAttachment, Path]:
    """An opinion's attachment is public, as the opinion is."""
    row = await get_or_404(session, OpinionAttachment, attachment_id, "Pièce jointe introuvable.")
    return row, settings.documents_dir() / row.id


async def attachments_of(session: AsyncSession, opinion_ids: list[str]) -> list[OpinionAttachment]:
    if not opinion_ids:
        return []
    query = select(OpinionAttachment).where(OpinionAttachment.opinion_id.in_(opinion_ids))  # type: ignore[attr-defined]
    return list((await session.exec(query.order_by(OpinionAttachment.created_at))).all())


async def list_opinions(session: AsyncSession, *, engagement: int | None = None, body_id: str | None = None,
                        meeting_id: str | None = None, overdue: bool = False,
                        organisation_id: str | None = None) -> list[Opinion]:
    """Opinions, newest first; `overdue`: only those whose answer is late (the oldest due first)."""
    query = select(Opinion)
    if engagement is not None:
        query = query.where(Opinion.engagement_number == engagement)
    if body_id:
        query = query.where(Opinion.body_id == body_id)
    if meeting_id:
        query = query.where(Opinion.meeting_id == meeting_id)
    rows = list((await session.exec(query.order_by(Opinion.published_at.desc()))).all())  # type: ignore[attr-defined]
    if organisation_id:
        rows = [o for o in rows if organisation_id in o.answer_organisations]
    if overdue:
        rows = sorted((o for o in rows if is_overdue(o)), key=lambda o: o.due_on)
    return rows


def is_overdue(o: Opinion, day: date | None = None) -> bool:
    return o.answered_at is None and (day or today_paris()) > o.due_on


async def opinions_out(session: AsyncSession, settings: Settings, who: Identity, rows: list[Opinion]) -> list[dict]:
    """Opinions as the caller may read them: the body and the answering organisation publicly; who wrote and who
    answered only for the secretariat; `may_answer` for the pilots."""
    from services.participation.service.people import Person  # names for the secretariat only

    bodies = {b.id: b for b in (await session.exec(select(Body))).all()}
    files: dict[str, list[dict]] = {}
    for a in await attachments_of(session, [o.id for o in rows]):
        files.setdefault(a.opinion_id, []).append({"id": a.id, "title": a.title, "filename": a.filename,
                                                   "content_type": a.content_type, "size": a.size})
    authors: dict[str, str] = {}
    if who.is_secretariat and rows:
        query = select(Person).where(Person.id.in_({o.author_id for o in rows}))  # type: ignore[attr-defined]
        authors = {p.id: p.name for p in (await session.exec(query)).all()}
    today = today_paris()
    out = []
    for o in rows:
        body = bodies.get(o.body_id)
        answered_at = aware(o.answered_at) if o.answered_at else None
        out.append({
            "id": o.id, "body_id": o.body_id, "body_name": body.name if body else o.body_id,
            "body_kind": body.kind if body else None, "engagement_number": o.engagement_number,
            "meeting_id": o.meeting_id, "item_id": o.item_id, "item_title": o.item_title, "qpv_id": o.qpv_id,
            "text": o.text, "published_at": aware(o.published_at), "due_on": o.due_on,
            "answer_organisations": o.answer_organisations, "answer": o.answer, "answered_at": answered_at,
            "answered_by_organisation_id": o.answered_by_organisation_id,
            "answered_late": answered_at is not None and today_paris(answered_at) > o.due_on,
            "overdue": is_overdue(o, today), "days_overdue": max(0, (today - o.due_on).days) if is_overdue(o, today)
            else 0, "attachments": files.get(o.id, []), "version": o.version,
            "may_answer": o.answered_at is None and may_answer(who, o),
            "url": opinion_url(settings, o.id),
            **({"author_name": authors.get(o.author_id), "answered_by": o.answered_by} if who.is_secretariat else {}),
        })
    return out
