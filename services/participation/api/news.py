"""Routes of the portal's news and resources: the secretariat publishes and withdraws, everyone reads."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from kernel.app import RuntimeDep, SessionDep
from kernel.identity import IdentityDep
from services.participation.schemas import NewsIn
from services.participation.service import news

router = APIRouter(prefix="/api/v1", tags=["actualités"])


@router.get("/news")
async def list_news(session: SessionDep, _who: IdentityDep, kind: str | None = None,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[dict[str, Any]]:
    """The news items and resources on the portal, newest first (`kind`: actualite or ressource)."""
    return [news.news_out(i) for i in await news.list_news(session, kind=kind, limit=limit)]


@router.get("/news/{news_id}")
async def news_item(news_id: str, session: SessionDep, _who: IdentityDep) -> dict[str, Any]:
    """One news item or resource."""
    return news.news_out(await news.get_news(session, news_id))


@router.post("/news", status_code=201, responses={403: {"description": "Pas secrétariat"}})
async def publish(data: NewsIn, session: SessionDep, runtime: RuntimeDep, who: IdentityDep) -> dict[str, Any]:
    """The secretariat publishes a news item or a resource."""
    return news.news_out(await news.publish(session, runtime.outbox, who, data))


@router.put("/news/{news_id}", responses={403: {"description": "Pas secrétariat"}})
async def change(news_id: str, data: NewsIn, session: SessionDep, runtime: RuntimeDep,
                 who: IdentityDep) -> dict[str, Any]:
    """The secretariat corrects a news item or a resource."""
    return news.news_out(await news.publish(session, runtime.outbox, who, data, news_id))


@router.post("/news/{news_id}/withdraw", responses={403: {"description": "Pas secrétariat"}})
async def withdraw(news_id: str, session: SessionDep, runtime: RuntimeDep, who: IdentityDep) -> dict[str, Any]:
    """The secretariat takes an item off the portal."""
    item = await news.withdraw(session, runtime.outbox, who, news_id)
    return {"id": item.id, "withdrawn": item.withdrawn}
