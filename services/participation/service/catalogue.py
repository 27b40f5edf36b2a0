"""Participation's own copy of the contract's catalogue (engagements, their themes and pilots), built from the
engagements service's `engagement.defined` events, without reading another service's tables: the appel à projets
checks and names the themes and engagements a project serves; an opinion on an engagement is owed an answer by
its pilots. Every list of engagement numbers participation stores is checked against it (`known_engagements`)."""

from __future__ import annotations

from sqlalchemy import JSON, Column
from sqlmodel import Field, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Invalid
from kernel.french import folded
from services.participation.models import Base


class EngagementSeen(Base, table=True):
    """An engagement as `cdv.engagements.engagement.defined` last described it."""

    __tablename__ = "engagement_seen"
    number: int = Field(primary_key=True)
    title: str
    theme_id: str = Field(default="", max_length=80, index=True)
    theme_title: str = ""
    pilots: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


async def record_engagement(session: AsyncSession, *, number: int, title: str, theme_id: str, theme_title: str,
                            pilots: list[str]) -> None:
    """Keeps the latest definition of an engagement (a new contract version may move it or change its pilots)."""
    row = await session.get(EngagementSeen, number) or EngagementSeen(number=number, title=title)
    row.title, row.theme_id, row.theme_title, row.pilots = title, theme_id, theme_title, list(pilots)
    session.add(row)


async def engagements(session: AsyncSession) -> dict[int, EngagementSeen]:
    return {e.number: e for e in (await session.exec(select(EngagementSeen))).all()}


async def engagements_seen(session: AsyncSession, numbers: list[int]) -> dict[int, EngagementSeen]:
    if not numbers:
        return {}
    rows = (await session.exec(select(EngagementSeen).where(col(EngagementSeen.number).in_(numbers)))).all()
    return {r.number: r for r in rows}


async def known_engagements(session: AsyncSession, numbers: list[int], *, field: str = "engagements") -> list[int]:
    """The numbers, sorted and once each, when participation knows every one of them; otherwise a 422 naming the
    unknown ones (`unknown`), before anything is written. Before any engagement is known (a fresh install whose
    contract is not loaded yet) no number is taken either: the message says so."""
    wanted = sorted(set(numbers))
    if not wanted:
        return []
    unknown = [n for n in wanted if n not in await engagements_seen(session, wanted)]
    if not unknown:
        return wanted
    if (await session.exec(select(EngagementSeen.number).limit(1))).first() is None:
        raise Invalid("Les engagements du contrat ne sont pas encore connus de ce service (contrat pas encore "
                      "chargé) : enregistrez sans engagement, ou réessayez une fois le contrat chargé.",
                      field=field, unknown=unknown)
    shown = ", ".join(str(n) for n in unknown)
    raise Invalid(f"Engagement{'s' if len(unknown) > 1 else ''} inconnu{'s' if len(unknown) > 1 else ''} : "
                  f"n° {shown}.", field=field, unknown=unknown)


async def themes(session: AsyncSession) -> dict[str, str]:
    """The contract's themes: id -> title, in the catalogue's order."""
    rows = (await session.exec(select(EngagementSeen).order_by(EngagementSeen.number))).all()
    return {e.theme_id: e.theme_title for e in rows}


def theme_lookup(known: dict[str, str]) -> dict[str, str]:
    """Id or title (case and accents ignored) -> theme id. Two themes may share a title (the contract has
    « Développement économique, emploi, formation » twice): such a title is left out, only its ids work."""
    titles: dict[str, list[str]] = {}
    for theme_id, title in known.items():
        titles.setdefault(folded(title), []).append(theme_id)
    out = {folded(t): ids[0] for t, ids in titles.items() if len(ids) == 1}
    out.update({folded(i): i for i in known})
    return out
