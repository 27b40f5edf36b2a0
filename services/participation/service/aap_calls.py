"""The yearly appel à projets (AAP) of the contract (engagement 49): its dates, each funder's envelope and its
priorities, linked to the contract's themes and engagements. One call a year; the secretariat writes it, anyone
reads it (it is public)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Invalid, NotFound
from kernel.identity import Identity
from kernel.outbox import Outbox
from kernel.rows import guarded_update
from services.participation.events.aap import AapCallDefined, Envelope, Priority
from services.participation.models import Base, now, timestamp
from services.participation.schemas import AapCallIn
from services.participation.service import catalogue
from services.participation.service.common import clean, require_secretariat
from services.participation.service.registry import organisation_names

MIN_YEAR, MAX_YEAR = 2015, 2100


class AapCall(Base, table=True):
    __tablename__ = "aap_call"
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    title: str
    opens_on: date
    closes_on: date
    decisions_by: date | None = None
    envelopes: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # funder -> €
    priorities: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    version: int = 1
    updated_at: datetime = Field(default_factory=now, sa_column=timestamp())
    # The indicator values last published for this call's year (label -> value): unchanged ones are not re-sent.
    measures: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


async def get_call(session: AsyncSession, year: int) -> AapCall:
    call = await session.get(AapCall, year)
    if call is None:
        raise NotFound(f"Il n'y a pas d'appel à projets {year}.")
    return call


async def list_calls(session: AsyncSession) -> list[AapCall]:
    """Gets the calls, the latest first."""
    return list((await session.exec(select(AapCall).order_by(AapCall.year.desc()))).all())  # type: ignore[attr-defined]


def is_funder(call: AapCall, who: Identity) -> bool:
    """A referent of an organisation with an envelope in this call."""
    return who.has("referent") and who.organisation_id is not None and who.organisation_id in call.envelopes


async def _checked(session: AsyncSession, year: int, data: AapCallIn) -> dict:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Invalid(f"Année invalide : {year}.", field="year")
    if data.closes_on < data.opens_on:
        raise Invalid("La date limite de dépôt précède l'ouverture de l'appel.", field="closes_on")
    if data.decisions_by is not None and data.decisions_by < data.closes_on:
        raise Invalid("Les décisions ne peuvent pas être prévues avant la date limite de dépôt.", field="decisions_by")
    names = await organisation_names(session)
    envelopes: dict[str, int] = {}
    for e in data.envelopes:
        if e.funder_id not in names:
            raise Invalid(f"Financeur inconnu : « {e.funder_id} » n'est pas une organisation du contrat.",
                          field="envelopes")
        if e.funder_id in envelopes:
            raise Invalid(f"Deux enveloppes pour « {names[e.funder_id]} ».", field="envelopes")
        envelopes[e.funder_id] = e.amount
    known_themes = await catalogue.themes(session)
    priorities = []
    for p in data.priorities:
        text = clean(p.text, "priorities", "Priorité", required=True, max_length=1000)
        unknown = [t for t in p.themes if known_themes and t not in known_themes]
        if unknown:
            raise Invalid(f"Thème inconnu : « {unknown[0]} ».", field="priorities")
        engagements = await catalogue.known_engagements(session, p.engagements, field="priorities")
        priorities.append({"text": text, "themes": sorted(set(p.themes)), "engagements": engagements})
    return {"title": clean(data.title, "title", "Titre", required=True, max_length=300),
            "opens_on": data.opens_on, "closes_on": data.closes_on, "decisions_by": data.decisions_by,
            "envelopes": envelopes, "priorities": priorities}


async def define_call(session: AsyncSession, outbox: Outbox, who: Identity, year: int, data: AapCallIn) -> AapCall:
    """The secretariat opens the call of a year, or changes it (with the version it read)."""
    require_secretariat(who, "ouvrir ou modifier un appel à projets")
    values = await _checked(session, year, data)
    call = await session.get(AapCall, year)
    if call is None:
        if data.version not in (None, 0):
            raise NotFound(f"Il n'y a pas d'appel à projets {year}.")
        call = AapCall(year=year, **values)
        session.add(call)
        await session.flush()
    else:
        if data.version is None:
            raise Invalid(f"L'appel à projets {year} existe déjà : modifiez-le.", field="year")
        await guarded_update(session, AapCall, year, expect={"version": data.version},
                             values={**values, "version": data.version + 1, "updated_at": now()},
                             conflict="Cet appel à projets a été modifié entre-temps : relisez-le, puis recommencez.",
                             current=call_out)
    names = await organisation_names(session)
    await outbox.record(session, AapCallDefined(
        year=call.year, title=call.title, opens_on=call.opens_on, closes_on=call.closes_on,
        decisions_by=call.decisions_by, version=call.version,
        envelopes=[Envelope(funder_id=f, funder_name=names.get(f, f), amount=a) for f, a in call.envelopes.items()],
        priorities=[Priority(**p) for p in call.priorities]), subject=f"aap_call/{call.year}")
    await session.commit()
    return call


def call_out(call: AapCall, names: dict[str, str] | None = None) -> dict:
    names = names or {}
    return {"year": call.year, "title": call.title, "opens_on": call.opens_on, "closes_on": call.closes_on,
            "decisions_by": call.decisions_by, "version": call.version,
            "envelopes": [{"funder_id": f, "funder_name": names.get(f, f), "amount": a}
                          for f, a in sorted(call.envelopes.items(), key=lambda kv: -kv[1])],
            "envelope_total": sum(call.envelopes.values()), "priorities": call.priorities}
