"""News and resources of the public portal (the « espace ressources » of engagement 47): the secretariat
publishes them, everyone reads them. A resource is a document reached by its link (a file already online, or a
meeting document's address); an actualité is a dated text."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import Text
from sqlmodel import Column, Field, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Invalid, NotFound
from kernel.identity import Identity
from kernel.outbox import Outbox
from kernel.rows import get_or_404
from services.participation.events import NewsPublished, NewsWithdrawn
from services.participation.models import Base, aware, now, timestamp
from services.participation.schemas import NewsIn
from services.participation.service.common import clean, new_id, require_secretariat


class NewsItem(Base, table=True):
    __tablename__ = "news_item"
    id: str = Field(primary_key=True, max_length=32)
    kind: str = Field(max_length=12, index=True)  # actualite | ressource
    title: str = Field(max_length=200)
    summary: str | None = Field(default=None, max_length=500)
    body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    url: str | None = Field(default=None, max_length=2000)
    published_at: datetime = Field(default_factory=now, sa_column=timestamp(index=True))
    withdrawn: bool = False
    created_by: str = Field(max_length=200)


def _checked_url(url: str | None) -> str | None:
    value = clean(url, "url", "Adresse", max_length=2000)
    if value is None:
        return None
    parts = urlsplit(value)
    if value.startswith("/") and not value.startswith("//"):
        return value  # a page or document of the platform itself
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise Invalid("Adresse : une adresse web complète (https://…) ou une page de la plateforme (/…).",
                      field="url")
    return value


async def publish(session: AsyncSession, outbox: Outbox, who: Identity, data: NewsIn,
                  news_id: str | None = None) -> NewsItem:
    """Publishes a news item or a resource (or changes one); announced by `news.published`."""
    require_secretariat(who, "publier une actualité ou une ressource")
    title = clean(data.title, "title", "Titre", required=True, max_length=200) or ""
    summary = clean(data.summary, "summary", "Chapeau", max_length=500)
    body = clean(data.body, "body", "Texte", max_length=20000)
    url = _checked_url(data.url)
    if data.kind == "ressource" and url is None:
        raise Invalid("Adresse : une ressource a besoin du lien de son document.", field="url")
    if data.kind == "actualite" and body is None and summary is None:
        raise Invalid("Texte : une actualité a besoin d'un chapeau ou d'un texte.", field="body")
    if news_id is None:
        item = NewsItem(id=new_id(), kind=data.kind, title=title, created_by=who.name)
    else:
        item = await get_or_404(session, NewsItem, news_id, "Cette actualité n'existe pas.")
        item.kind, item.title = data.kind, title
    item.summary, item.body, item.url = summary, body, url
    session.add(item)
    await outbox.record(session, NewsPublished(news_id=item.id, kind=item.kind, title=item.title,  # type: ignore[arg-type]
                                               summary=item.summary, url=item.url,
                                               published_at=aware(item.published_at)), subject=f"news/{item.id}")
    await session.commit()
    await session.refresh(item)
    return item


async def withdraw(session: AsyncSession, outbox: Outbox, who: Identity, news_id: str) -> NewsItem:
    """Takes a news item or resource off the portal (kept, not shown)."""
    require_secretariat(who, "retirer une actualité ou une ressource")
    item = await get_or_404(session, NewsItem, news_id, "Cette actualité n'existe pas.")
    if not item.withdrawn:
        item.withdrawn = True
        session.add(item)
        await outbox.record(session, NewsWithdrawn(news_id=item.id), subject=f"news/{item.id}")
        await session.commit()
    return item


async def list_news(session: AsyncSession, *, kind: str | None = None, limit: int = 50) -> list[NewsItem]:
    """Gets the items on the portal, newest first."""
    query = select(NewsItem).where(NewsItem.withdrawn == False)  # noqa: E712 - SQL comparison
    if kind:
        query = query.where(NewsItem.kind == kind)
    query = query.order_by(NewsItem.published_at.desc()).limit(limit)  # type: ignore[attr-defined]
    return list((await session.exec(query)).all())


async def get_news(session: AsyncSession, news_id: str) -> NewsItem:
    """Gets one item on the portal (a withdrawn one is not found)."""
    item = await get_or_404(session, NewsItem, news_id, "Cette actualité n'existe pas.")
    if item.withdrawn:
        raise NotFound("Cette actualité a été retirée.")
    return item


def news_out(item: NewsItem) -> dict:
    return {"id": item.id, "kind": item.kind, "title": item.title, "summary": item.summary, "body": item.body,
            "url": item.url, "published_at": aware(item.published_at)}
