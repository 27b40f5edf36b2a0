"""Routes of the mandats citoyens: mandates, their members and findings, recommendations and answers."""

from typing import Any

from fastapi import APIRouter

from kernel.app import RuntimeDep, SessionDep
from kernel.identity import IdentityDep
from services.participation.api.deps import SettingsDep
from services.participation.schemas import (
    AnswerIn,
    FindingIn,
    MandateIn,
    MandateMemberIn,
    MandateUpdate,
    RecommendationIn,
)
from services.participation.service import mandates, recommendations
from services.participation.service.common import is_public

router = APIRouter(prefix="/api/v1", tags=["mandats citoyens"])


async def _detail(session: SessionDep, who: IdentityDep, mandate_id: str) -> dict[str, Any]:
    mandate = await mandates.get_mandate(session, mandate_id)
    member = not is_public(who) and await mandates.is_member(session, who, mandate_id)
    insider = who.is_secretariat or member
    people = await mandates.members_of(session, mandate_id)
    recs = await recommendations.of_mandate(session, mandate_id)
    return mandates.mandate_out(mandate) | {
        "members": [mandates.member_out(m, p, private=who.is_secretariat, insider=insider) for m, p in people],
        "findings": [mandates.finding_out(f) for f in await mandates.findings_of(session, mandate_id)],
        "recommendations": [recommendations.recommendation_out(r) for r in recs],
        "is_member": member, "may_publish": (who.is_secretariat or member) and mandate.status != "termine",
        "answerable": [r.id for r in recs if r.answer is None and (
            who.is_secretariat or (who.has("referent") and who.organisation_id == r.organisation_id))]}


@router.get("/mandates")
async def list_mandates(session: SessionDep, _who: IdentityDep) -> list[dict[str, Any]]:
    """Every mandate (public), with how many recommendations wait for an answer and how many are overdue."""
    out = []
    for m in await mandates.list_mandates(session):
        recs = await recommendations.of_mandate(session, m.id)
        out.append(mandates.mandate_out(m) | {
            "recommendations": len(recs), "unanswered": sum(r.answer is None for r in recs),
            "overdue": sum(recommendations.overdue(r) for r in recs)})
    return out


@router.post("/mandates", status_code=201)
async def open_mandate(data: MandateIn, session: SessionDep, runtime: RuntimeDep, settings: SettingsDep,
                       who: IdentityDep) -> dict[str, Any]:
    return mandates.mandate_out(await mandates.open_mandate(session, runtime.outbox, settings, who, data))


@router.get("/mandates/{mandate_id}")
async def mandate(mandate_id: str, session: SessionDep, who: IdentityDep) -> dict[str, Any]:
    """A mandate with its findings, recommendations and answers (overdue flagged); members by name only for
    insiders or when they agreed."""
    return await _detail(session, who, mandate_id)


@router.patch("/mandates/{mandate_id}")
async def update(mandate_id: str, data: MandateUpdate, session: SessionDep, runtime: RuntimeDep,
                 who: IdentityDep) -> dict[str, Any]:
    return mandates.mandate_out(await mandates.update_mandate(session, runtime.outbox, who, mandate_id, data))


@router.post("/mandates/{mandate_id}/members", status_code=201)
async def add_member(mandate_id: str, data: MandateMemberIn, session: SessionDep, runtime: RuntimeDep,
                     who: IdentityDep) -> dict[str, Any]:
    member, person = await mandates.add_member(session, runtime.outbox, who, mandate_id, data)
    return mandates.member_out(member, person, private=True, insider=True)


@router.post("/mandates/{mandate_id}/members/{member_id}/remove")
async def remove_member(mandate_id: str, member_id: str, session: SessionDep, who: IdentityDep) -> dict[str, str]:
    await mandates.remove_member(session, who, mandate_id, member_id)
    return {"id": member_id}


@router.post("/mandates/{mandate_id}/findings", status_code=201)
async def finding(mandate_id: str, data: FindingIn, session: SessionDep, runtime: RuntimeDep,
                  who: IdentityDep) -> dict[str, Any]:
    return mandates.finding_out(await mandates.publish_finding(session, runtime.outbox, who, mandate_id, data))


@router.post("/mandates/{mandate_id}/recommendations", status_code=201)
async def recommend(mandate_id: str, data: RecommendationIn, session: SessionDep, runtime: RuntimeDep,
                    settings: SettingsDep, who: IdentityDep) -> dict[str, Any]:
    rec = await recommendations.publish(session, runtime.outbox, settings, who, mandate_id, data)
    return recommendations.recommendation_out(rec)


@router.post("/recommendations/{recommendation_id}/answer")
async def answer(recommendation_id: str, data: AnswerIn, session: SessionDep, runtime: RuntimeDep,
                 who: IdentityDep) -> dict[str, Any]:
    rec = await recommendations.answer(session, runtime.outbox, who, recommendation_id, data)
    return recommendations.recommendation_out(rec)


@router.get("/recommendations")
async def listing(session: SessionDep, _who: IdentityDep, organisation_id: str | None = None,
                  open: bool = False) -> list[dict[str, Any]]:
    """Recommendations of every mandate (public), overdue first; filtered by the organisation that must answer."""
    rows = await recommendations.listing(session, organisation_id=organisation_id, only_open=open)
    titles = {m.id: m.title for m in await mandates.list_mandates(session)}
    return [recommendations.recommendation_out(r) | {"mandate_title": titles.get(r.mandate_id)} for r in rows]
