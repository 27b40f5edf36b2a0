"""Indicateurs domain: definitions follow the contract's engagements."""

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.outbox import Outbox
from services.indicateurs.events import DefinitionDefined
from services.indicateurs.models import IndicatorDefinition
from services.indicateurs.schemas import DefinitionOut


async def sync_engagement(session: AsyncSession, outbox: Outbox, *, contract_id: str, engagement_number: int,
                          engagement_title: str, pilots: list[str], indicators: list[dict]) -> None:
    """Creates a definition per indicator label of an engagement; retires labels the contract dropped."""
    existing = {d.label: d for d in (await session.exec(select(IndicatorDefinition).where(
        IndicatorDefinition.contract_id == contract_id,
        IndicatorDefinition.engagement_number == engagement_number))).all()}
    labels = {i["label"]: i for i in indicators}
    touched: list[IndicatorDefinition] = []
    for label, spec in labels.items():
        d = existing.get(label)
        if d is None:
            d = IndicatorDefinition(contract_id=contract_id, engagement_number=engagement_number,
                                    engagement_title=engagement_title, label=label,
                                    uncertain=bool(spec.get("uncertain")), responsible=pilots)
        elif d.engagement_title == engagement_title and d.active and set(d.responsible) == set(pilots):
            continue
        else:
            d.engagement_title, d.active, d.responsible, d.version = engagement_title, True, pilots, d.version + 1
        session.add(d)
        touched.append(d)
    for label, d in existing.items():
        if label not in labels and d.active:
            d.active, d.version = False, d.version + 1
            session.add(d)
            touched.append(d)
    await session.flush()
    for d in touched:
        await outbox.record(session, DefinitionDefined(
            indicator_id=d.id or 0, contract_id=d.contract_id, engagement_number=d.engagement_number,
            label=d.label, unit=d.unit, periodicity=d.periodicity, target=d.target, by_qpv=d.by_qpv,
            responsible=d.responsible, active=d.active, version=d.version), subject=f"indicator/{d.id}")


async def list_definitions(session: AsyncSession, engagement: int | None = None) -> list[DefinitionOut]:
    """Gets the active indicator definitions, by engagement."""
    query = select(IndicatorDefinition).where(IndicatorDefinition.active == True)  # noqa: E712
    if engagement is not None:
        query = query.where(IndicatorDefinition.engagement_number == engagement)
    rows = (await session.exec(query.order_by(IndicatorDefinition.engagement_number,
                                              IndicatorDefinition.id))).all()
    return [DefinitionOut.model_validate(r, from_attributes=True) for r in rows]
