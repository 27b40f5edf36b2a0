"""Routes of the decision register."""

from typing import Any

from fastapi import APIRouter

from kernel.app import RuntimeDep, SessionDep
from kernel.errors import NotFound
from kernel.identity import IdentityDep
from kernel.ids import Id
from services.participation.schemas import DecisionIn, FollowUpIn
from services.participation.service import decisions
from services.participation.service.common import is_public

router = APIRouter(prefix="/api/v1", tags=["décisions"])


def _public_view(out: dict[str, Any]) -> dict[str, Any]:
    """No private person's name in what the public reads: follow-ups show the organisation only."""
    for entry in out["history"]:
        entry["actor_name"] = None
    out["recorded_by"] = None
    return out


@router.post("/meetings/{meeting_id}/decisions", status_code=201)
async def record(meeting_id: str, data: DecisionIn, session: SessionDep, runtime: RuntimeDep,
                 who: IdentityDep) -> dict[str, Any]:
    """The secretariat records a decision of a meeting (public unless `internal`)."""
    decision = await decisions.record_decision(session, runtime.outbox, who, meeting_id, data)
    return {"id": decision.id, "status": decision.status, "version": decision.version, "internal": decision.internal}


@router.get("/decisions")
async def register(session: SessionDep, who: IdentityDep, engagement: Id | None = None, body_id: str | None = None,
                   organisation_id: str | None = None, overdue: bool = False,
                   open: bool = False) -> list[dict[str, Any]]:
    """The register as the caller may read it; overdue follow-ups first."""
    rows = await decisions.register(session, who, engagement=engagement, body_id=body_id,
                                    organisation_id=organisation_id, only_overdue=overdue, only_open=open)
    history = await decisions.history_of(session, [d.id for d, _, _ in rows])
    out = [decisions.decision_out(d, m, b, history.get(d.id)) for d, m, b in rows]
    return [_public_view(o) for o in out] if is_public(who) else out


@router.get("/decisions/{decision_id}")
async def decision(decision_id: str, session: SessionDep, who: IdentityDep) -> dict[str, Any]:
    rows = [r for r in await decisions.register(session, who) if r[0].id == decision_id]
    if not rows:
        raise NotFound("Décision introuvable.")
    d, m, b = rows[0]
    out = decisions.decision_out(d, m, b, (await decisions.history_of(session, [d.id])).get(d.id))
    return _public_view(out) if is_public(who) else out


@router.post("/decisions/{decision_id}/follow-up")
async def follow_up(decision_id: str, data: FollowUpIn, session: SessionDep, runtime: RuntimeDep,
                    who: IdentityDep) -> dict[str, Any]:
    """The organisation responsible for the follow-up (or the secretariat) moves it on, with a comment."""
    d = await decisions.update_follow_up(session, runtime.outbox, who, decision_id, data)
    return {"id": d.id, "status": d.status, "version": d.version}
