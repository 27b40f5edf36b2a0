"""Routes of members' proposals and of the interbailleurs' and inter-associatif's contributions."""

from typing import Any

from fastapi import APIRouter

from kernel.app import RuntimeDep, SessionDep
from kernel.identity import IdentityDep
from services.participation.api.deps import SettingsDep
from services.participation.schemas import ContributionIn, ProposalDecision, ProposalIn
from services.participation.service import proposals
from services.participation.service.meetings import starts_at

router = APIRouter(prefix="/api/v1", tags=["propositions"])


@router.get("/proposals")
async def pending(session: SessionDep, who: IdentityDep) -> list[dict[str, Any]]:
    """The points members proposed that await the secretariat's decision, every meeting's, the nearest first
    (secretariat)."""
    return [proposals.proposal_out(p) | {"meeting_title": m.title, "meeting_starts_at": starts_at(m)}
            for p, m in await proposals.pending_proposals(session, who)]


@router.post("/meetings/{meeting_id}/proposals", status_code=201)
async def propose(meeting_id: str, data: ProposalIn, session: SessionDep, runtime: RuntimeDep,
                  settings: SettingsDep, who: IdentityDep) -> dict[str, Any]:
    """A member of the body proposes an item (until the cut-off)."""
    return proposals.proposal_out(await proposals.propose(session, runtime.outbox, settings, who, meeting_id, data))


@router.post("/meetings/{meeting_id}/proposals/{proposal_id}/decision")
async def decide(meeting_id: str, proposal_id: str, data: ProposalDecision, session: SessionDep,
                 runtime: RuntimeDep, settings: SettingsDep, who: IdentityDep) -> dict[str, Any]:
    """The secretariat accepts (the item joins the working agenda) or declines with a reason."""
    proposal = await proposals.decide(session, runtime.outbox, settings, who, meeting_id, proposal_id, data)
    return proposals.proposal_out(proposal)


@router.put("/meetings/{meeting_id}/items/{item_id}/contribution")
async def contribute(meeting_id: str, item_id: str, data: ContributionIn, session: SessionDep,
                     who: IdentityDep) -> dict[str, Any]:
    """Members of the interbailleurs or the inter-associatif write their body's contribution to an item."""
    return proposals.contribution_out(await proposals.contribute(session, who, meeting_id, item_id, data))
