"""HTTP API of the engagements service (called by the gateway with the caller's signed identity)."""

from typing import Annotated

from fastapi import APIRouter, Query

from kernel.app import RuntimeDep, SessionDep
from kernel.errors import Forbidden
from kernel.identity import IdentityDep
from kernel.ids import MAX_ID, Id
from services.engagements import public, service
from services.engagements.models import Status
from services.engagements.schemas import (
    AxisOut,
    CatalogueIn,
    EngagementDetail,
    EngagementSummary,
    EngagementWithParts,
    LoadReport,
    PartUpdate,
    PublicEngagement,
)

router = APIRouter(prefix="/api/v1", tags=["engagements"])


@router.put("/contracts/{contract_id}")
async def load_contract(contract_id: str, catalogue: CatalogueIn, session: SessionDep, runtime: RuntimeDep,
                        who: IdentityDep) -> LoadReport:
    """Loads (or reloads) a contract's catalogue. Administrators only; progress and history are kept."""
    if not who.has("admin"):
        raise Forbidden("Seul un administrateur peut charger un contrat.")
    if catalogue.id != contract_id:
        raise Forbidden("L'identifiant du contrat ne correspond pas à l'adresse.")
    return await service.load_catalogue(session, runtime.outbox, catalogue)


@router.get("/contract")
async def contract(session: SessionDep, _who: IdentityDep) -> dict:
    """The current contract: title, version and the QPV it names."""
    c = await service.current_contract(session)
    return {"id": c.id, "title": c.title, "territory": c.territory, "version": c.version, "qpv": c.qpv,
            "loaded_at": c.loaded_at}


@router.get("/axes")
async def axes(session: SessionDep, _who: IdentityDep) -> list[AxisOut]:
    """The contract's axes and their themes with their objectives."""
    return await service.list_axes(session)


@router.get("/engagements")
async def engagements(session: SessionDep, _who: IdentityDep, axis: Id | None = None, theme: str | None = None,
                      pilot: str | None = None, status: Status | None = None,
                      qpv: str | None = None) -> list[EngagementSummary]:
    """All engagements, filtered by axis, theme, pilot organisation, consolidated status or QPV."""
    return await service.list_engagements(session, axis=axis, theme=theme, pilot=pilot, status=status, qpv=qpv)


@router.get("/engagements/with-parts")
async def engagements_with_parts(session: SessionDep, _who: IdentityDep,
                                 pilot: str | None = None) -> list[EngagementWithParts]:
    """The engagements an organisation pilots (all of them without `pilot`), each with its contents and every
    pilot's part (one call for a referent's whole list, or an export, instead of one per engagement)."""
    return await service.list_with_parts(session, pilot=pilot)


@router.get("/public/engagements")
async def public_engagements(session: SessionDep, _who: IdentityDep) -> list[PublicEngagement]:
    """Every engagement as the public sees it: contents, pilots' status and progress with their date; never a
    comment, a note or a person's name."""
    return await public.public_engagements(session)


@router.get("/public/engagements/{number}")
async def public_engagement(number: Id, session: SessionDep, _who: IdentityDep) -> PublicEngagement:
    """One engagement as the public sees it."""
    return await public.public_engagement(session, number)


@router.get("/engagements/{number}")
async def engagement(number: Id, session: SessionDep, _who: IdentityDep,
                     history: Annotated[int, Query(ge=0, le=MAX_ID)] = service.HISTORY_SHOWN) -> EngagementDetail:
    """One engagement: its pilots' parts and its latest `history` changes (`history_total` says how many there are)."""
    return await service.get_engagement(session, number, history=history)


@router.patch("/engagements/{number}/parts/{organisation_id}",
              responses={403: {"description": "Pas pilote"}, 409: {"description": "Version dépassée"}})
async def update_part(number: Id, organisation_id: str, update: PartUpdate, session: SessionDep,
                      runtime: RuntimeDep, who: IdentityDep,
                      history: Annotated[int, Query(ge=0, le=MAX_ID)] = service.HISTORY_SHOWN) -> EngagementDetail:
    """A pilot reports its part (status, progress, comment, QPV, next milestone) from the version it read; the
    answer is the engagement as `GET` gives it, with its latest `history` changes (0: none, for a card)."""
    return await service.update_part(session, runtime.outbox, number=number, organisation_id=organisation_id,
                                     update=update, identity=who, history=history)
