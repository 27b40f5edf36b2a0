"""« Ce qui m'attend »: the landing page after login, one section per thing that needs the viewer, each line a
link to where it is done.

- a referent (its organisation): values to enter before each open campaign's deadline, values sent back with
  the secretariat's reason, the organisation's engagements not updated since the last COPIL;
- the secretariat: values waiting for validation, each open campaign's completeness, meetings whose agenda is
  still to be sent (with the day it must go out), associations waiting for an answer to their application to the
  inter-associatif, residents' opinions whose answer is overdue;
- a member of a body (anyone with a seat): the upcoming meetings of their bodies, proposals still open;
- an administrator: the webhooks disabled after repeated failures;
- everyone: their unread notices.

Every call is optional: a service that does not answer leaves its section saying so, the rest of the page works.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.clients import ServiceCalls
from gateway.deps import CallsDep, CurrentViewer, Viewer
from gateway.pages.engagements.forms import part_of
from gateway.pages.engagements.my_engagements import MyFilters, last_copil
from gateway.pages.lookups import nothing, optional
from gateway.processes import SERVICES
from gateway.rendering import render
from kernel import french

router = APIRouter()
SHOWN = 5  # lines of a list shown on the home page; the rest is one link away


@dataclass
class Home:
    """What the page shows; `None` for a section that does not concern the viewer."""

    today: date
    campaigns: list[dict[str, Any]] | None = None  # open campaigns: owed count, returned values
    returned: list[dict[str, Any]] = field(default_factory=list)
    stale: dict[str, Any] | None = None  # engagements not updated since the last COPIL
    queue: int | None = None  # values waiting for validation
    completeness: list[dict[str, Any]] | None = None
    to_prepare: list[dict[str, Any]] | None = None  # meetings whose agenda is still to be sent
    applications: int | None = None  # confirmed applications to the inter-associatif, not answered yet
    proposals: list[dict[str, Any]] | None = None  # points members proposed, awaiting a decision
    overdue_opinions: list[dict[str, Any]] | None = None  # opinions whose answer is late
    meetings: list[dict[str, Any]] | None = None  # upcoming meetings of the viewer's bodies
    notices: dict[str, Any] | None = None
    failing_webhooks: list[dict[str, Any]] | None = None  # the administrators' webhook alerts
    unavailable: list[str] = field(default_factory=list)

    @property
    def nothing_to_do(self) -> bool:
        return not (any(c["owed"] for c in self.campaigns or []) or self.returned or (self.stale or {}).get("count")
                    or self.queue or self.to_prepare or self.meetings or (self.notices or {}).get("unread")
                    or self.failing_webhooks or self.applications or self.overdue_opinions or self.proposals)


def owed_link(o: dict[str, Any]) -> str:
    """Where a value is entered or taken up again (as on « Valeurs à renseigner »)."""
    qpv = f"&qpv={o['qpv_id']}" if o.get("qpv_id") else ""
    anchor = "nouvelle-valeur" if o["status"] == "manquant" else \
        f"valeur-{o['period']}" + (f"-{o['qpv_id']}" if o.get("qpv_id") else "")
    return f"/indicateurs/{o['indicator_id']}?periode={o['period']}{qpv}#{anchor}"


async def _referent(calls: ServiceCalls, campaigns: list[dict[str, Any]], home: Home) -> None:
    """Values owed for each open campaign and those sent back."""
    open_campaigns = [c for c in campaigns if not c["locked"]]
    todos = await asyncio.gather(*(optional(calls.get("indicateurs", f"/api/v1/campaigns/{c['id']}/todo"))
                                   for c in open_campaigns))
    home.campaigns = []
    for c, todo in zip(open_campaigns, todos, strict=True):
        if todo is None:
            home.unavailable.append("indicateurs")
            continue
        owed = [o for o in todo["owed"] if o["status"] != "a_reprendre"]
        home.campaigns.append({**c, "owed": len(owed), "drafts": sum(o["status"] == "brouillon" for o in owed),
                               "expected": todo["expected"], "days_left": (c["closes_on"] - home.today).days})
        home.returned += [{**o, "campaign": c["title"], "link": owed_link(o)} for o in todo["owed"]
                          if o["status"] == "a_reprendre"]


async def _stale(request: Request, calls: ServiceCalls, organisation: str, home: Home) -> None:
    """The organisation's engagements whose part was not updated since the day of the last COPIL."""
    details, since = await asyncio.gather(
        optional(calls.get("engagements", "/api/v1/engagements/with-parts", pilot=organisation)),
        last_copil(request, calls))
    if details is None:
        home.unavailable.append("engagements")
        return
    if since is None:
        return
    stale = []
    for d in details:
        part = part_of(d, organisation)
        if part is not None and (part.get("updated_at") or "")[:10] < since.isoformat():
            stale.append({"number": d["number"], "title": d["title"], "updated_at": part.get("updated_at")})
    home.stale = {"count": len(stale), "since": since, "items": stale[:SHOWN],
                  "link": "/mes-engagements?" + MyFilters(retard=True, depuis=since.isoformat()).query()}


async def _secretariat(calls: ServiceCalls, campaigns: list[dict[str, Any]], home: Home) -> None:
    """The validation queue, the open campaigns' completeness, the agendas still to send, the applications, the
    late answers to residents' opinions and the proposed points to decide on."""
    open_campaigns = [c for c in campaigns if not c["locked"]]
    queue, meetings, applications, overdue, proposals, *rates = await asyncio.gather(
        optional(calls.get("indicateurs", "/api/v1/validation-queue", limit=1)),
        optional(calls.get("participation", "/api/v1/meetings", since=home.today.isoformat())),
        optional(calls.get("participation", "/api/v1/applications", status="pending")),
        optional(calls.get("participation", "/api/v1/opinions", overdue=True)),
        optional(calls.get("participation", "/api/v1/proposals")),
        *(optional(calls.get("indicateurs", "/api/v1/completeness", period=c["period"])) for c in open_campaigns))
    home.applications = len(applications) if applications is not None else None
    home.overdue_opinions = overdue[:SHOWN] if overdue is not None else None
    home.proposals = proposals[:SHOWN] if proposals is not None else None
    home.queue = queue["total"] if queue else None
    home.completeness = [{**c, **{k: r[k] for k in ("expected", "received", "rate")},
                          "days_left": (c["closes_on"] - home.today).days}
                         for c, r in zip(open_campaigns, rates, strict=True) if r]
    if None in (meetings, applications, overdue, proposals):
        home.unavailable.append("participation")
    if meetings is not None:
        home.to_prepare = [m for m in meetings if m["status"] != "cancelled" and m["phase"] == "upcoming"
                           and not m["published_version"]][:SHOWN]
    if queue is None or len(home.completeness) < len(open_campaigns):
        home.unavailable.append("indicateurs")


async def _member(calls: ServiceCalls, home: Home) -> None:
    mine = await optional(calls.get("participation", "/api/v1/me"))
    if mine is None:
        home.unavailable.append("participation")
        return
    home.meetings = [{**m, "proposals_open": bool(m.get("proposals_until")) and m["status"] != "cancelled"
                      and date.fromisoformat(str(m["proposals_until"])) >= home.today}
                     for m in mine["meetings"]][:SHOWN]


async def _notices(calls: ServiceCalls, home: Home) -> None:
    found = await optional(calls.get("notifications", "/api/v1/notices", limit=20))
    if found is None:
        home.unavailable.append("notifications")
        return
    home.notices = {"unread": found["unread"], "items": [n for n in found["items"] if not n["read"]][:5]}


async def _webhooks(calls: ServiceCalls, home: Home) -> None:
    """The administrators' alerts: endpoints disabled after repeated failures, not dismissed yet."""
    home.failing_webhooks = await optional(calls.get("notifications", "/api/v1/webhooks/notices"))


async def build(request: Request, viewer: Viewer, calls: ServiceCalls) -> Home:
    """Gathers every section that concerns the viewer, concurrently."""
    home = Home(today=french.today())
    campaigns = await optional(calls.get("indicateurs", "/api/v1/campaigns"))
    if campaigns is None:
        home.unavailable.append("indicateurs")
        campaigns = []
    for c in campaigns:
        c["closes_on"] = date.fromisoformat(str(c["closes_on"]))
    org = viewer.organisation_id
    await asyncio.gather(
        _referent(calls, campaigns, home) if viewer.is_referent and org else nothing(),
        _stale(request, calls, org, home) if org else nothing(),
        _secretariat(calls, campaigns, home) if viewer.is_secretariat else nothing(),
        _member(calls, home), _notices(calls, home),
        _webhooks(calls, home) if viewer.is_admin else nothing())
    labels = {process.name: process.label for process in SERVICES}
    home.unavailable = sorted({labels.get(name, name) for name in home.unavailable})
    return home


@router.get("/accueil")
async def my_home(request: Request, viewer: CurrentViewer, calls: CallsDep) -> Response:
    """What needs the viewer today, each line a link to where it is done."""
    home = await build(request, viewer, calls)
    return render(request, "home/accueil.html", {"page_title": "Ce qui vous attend", "nav": "mon-accueil",
                                                 "home": home})
