"""A mandat citoyen's recommendations (« préconisations ») and the answers owed to them.

Each recommendation names the organisation expected to answer and a due date; that organisation's referents
(or the secretariat, for an answer received by letter) answer once — acceptée, acceptée en partie, refusée, with
a text — and the answer is published beside it. Unanswered past the due date, it is overdue for everyone to see.
Notifications reminds the organisation before the due date (from the published event).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Field, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Forbidden, Invalid
from kernel.identity import Identity
from kernel.outbox import Outbox
from kernel.rows import get_or_404, guarded_update
from services.participation.events import RecommendationAnswered, RecommendationPublished
from services.participation.models import Base, aware, now, timestamp
from services.participation.schemas import AnswerIn, RecommendationIn
from services.participation.service.common import PARIS, clean, new_id, today_paris
from services.participation.service.mandates import get_mandate, mandate_url, require_author
from services.participation.service.registry import Organisation
from services.participation.settings import Settings

ANSWER_LABELS = {"acceptee": "Acceptée", "partielle": "Acceptée en partie", "refusee": "Refusée"}


class Recommendation(Base, table=True):
    id: str = Field(primary_key=True, max_length=32)
    mandate_id: str = Field(foreign_key="mandate.id", max_length=32, index=True)
    text: str
    organisation_id: str = Field(max_length=80, index=True)
    due_on: date
    published_at: datetime = Field(default_factory=now, sa_column=timestamp())
    answer: str | None = Field(default=None, max_length=20)
    answer_text: str | None = None
    answered_at: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))
    answered_by: str | None = Field(default=None, max_length=200)
    version: int = 1


def overdue(r: Recommendation, today: date | None = None) -> bool:
    return r.answer is None and r.due_on < (today or today_paris())


async def publish(session: AsyncSession, outbox: Outbox, settings: Settings, who: Identity, mandate_id: str,
                  data: RecommendationIn) -> Recommendation:
    """A member publishes a recommendation addressed to an organisation, answer due by a date."""
    mandate = await get_mandate(session, mandate_id)
    await require_author(session, who, mandate)
    text = clean(data.text, "text", "Préconisation", required=True, max_length=8000) or ""
    org = await session.get(Organisation, data.organisation_id or "")
    if org is None:
        raise Invalid("Organisation : choisissez dans la liste l'organisation qui doit répondre.",
                      field="organisation_id")
    due_on = data.due_on or today_paris() + timedelta(days=settings.recommendation_answer_days)
    if due_on < today_paris():
        raise Invalid("L'échéance de la réponse ne peut pas être passée.", field="due_on")
    rec = Recommendation(id=new_id(), mandate_id=mandate.id, text=text, organisation_id=org.id, due_on=due_on)
    session.add(rec)
    await outbox.record(session, RecommendationPublished(
        recommendation_id=rec.id, mandate_id=mandate.id, mandate_title=mandate.title, text=text,
        organisation_id=org.id, due_on=due_on, engagements=mandate.engagements,
        url=mandate_url(settings, mandate.id)), subject=f"mandate/{mandate.id}")
    await session.commit()
    return rec


async def answer(session: AsyncSession, outbox: Outbox, who: Identity, recommendation_id: str,
                 data: AnswerIn, *, at: datetime | None = None) -> Recommendation:
    """The named organisation's referent (or the secretariat) answers; published beside the recommendation."""
    rec = await get_or_404(session, Recommendation, recommendation_id, "Préconisation introuvable.")
    if not who.is_secretariat and not (who.has("referent") and who.organisation_id == rec.organisation_id):
        raise Forbidden("Seuls les référents de l'organisation à qui la préconisation s'adresse (ou le secrétariat "
                        "du COPIL) peuvent y répondre.")
    if rec.answer is not None:
        raise Invalid("Cette préconisation a déjà reçu sa réponse.")
    text = clean(data.text, "text", "Réponse", required=True, max_length=8000) or ""
    at = at or now()
    await guarded_update(session, Recommendation, rec.id, expect={"version": data.version, "answer": None},
                         values={"answer": data.answer, "answer_text": text, "answered_at": at,
                                 "answered_by": who.organisation_name or who.name, "version": data.version + 1},
                         conflict="Une réponse a été enregistrée entre-temps : relisez la préconisation.",
                         current=lambda r: {"answer": r.answer, "version": r.version})
    await outbox.record(session, RecommendationAnswered(
        recommendation_id=rec.id, mandate_id=rec.mandate_id, organisation_id=rec.organisation_id,
        answer=data.answer, text=text, due_on=rec.due_on, answered_at=at,
        on_time=aware(at).astimezone(PARIS).date() <= rec.due_on), subject=f"mandate/{rec.mandate_id}")
    await session.commit()
    return rec


async def of_mandate(session: AsyncSession, mandate_id: str) -> list[Recommendation]:
    return list((await session.exec(select(Recommendation).where(Recommendation.mandate_id == mandate_id)
                                    .order_by(col(Recommendation.published_at)))).all())


async def listing(session: AsyncSession, *, organisation_id: str | None = None,
                  only_open: bool = False) -> list[Recommendation]:
    """Recommendations (of one organisation, or unanswered only), overdue first, then by due date."""
    query = select(Recommendation)
    if organisation_id:
        query = query.where(Recommendation.organisation_id == organisation_id)
    if only_open:
        query = query.where(col(Recommendation.answer).is_(None))
    rows = list((await session.exec(query)).all())
    today = today_paris()
    return sorted(rows, key=lambda r: (not overdue(r, today), r.due_on))


def recommendation_out(r: Recommendation) -> dict:
    return {"id": r.id, "mandate_id": r.mandate_id, "text": r.text, "organisation_id": r.organisation_id,
            "due_on": r.due_on, "published_at": r.published_at, "answer": r.answer,
            "answer_label": ANSWER_LABELS.get(r.answer or ""), "answer_text": r.answer_text,
            "answered_at": r.answered_at, "answered_by": r.answered_by, "overdue": overdue(r),
            "answered_late": bool(r.answered_at and aware(r.answered_at).astimezone(PARIS).date() > r.due_on),
            "version": r.version}
