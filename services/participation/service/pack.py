"""The "depuis la dernière réunion" pack of a meeting: what happened since the body's previous meeting
(engagements whose status or progress changed, indicator values approved, decisions due or overdue) and the
agenda. Built from participation's own read model; rendered as HTML and, with WeasyPrint, as a paginated PDF
in French with a table of contents."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Forbidden
from kernel.french import datetime_fr, day_fr, number_fr
from kernel.identity import Identity
from services.participation.labels import BODY_KIND_LABELS, FOLLOW_UP_LABELS
from services.participation.service.agendas import draft_snapshot, versions_of
from services.participation.service.common import utcnow
from services.participation.service.decisions import overdue, register
from services.participation.service.meetings import ends_at, previous_meeting, starts_at, visible_meeting
from services.participation.service.readmodel import progress_between, values_between
from services.participation.settings import Settings

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
ENGAGEMENT_STATUSES = {"a_lancer": "À lancer", "en_cours": "En cours", "realise": "Réalisé", "reporte": "Reporté",
                       "abandonne": "Abandonné"}


_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True,
                   lstrip_blocks=True)
_env.filters.update(day_fr=day_fr, datetime_fr=datetime_fr, number_fr=number_fr)


async def build(session: AsyncSession, settings: Settings, who: Identity, meeting_id: str) -> dict[str, Any]:
    """The pack's content, for the secretariat and the body's members."""
    meeting, body, access = await visible_meeting(session, who, meeting_id)
    if not access.insider:
        raise Forbidden("Le dossier de la réunion est réservé au secrétariat et aux membres de l'instance.")
    previous = await previous_meeting(session, meeting)
    since = ends_at(previous) if previous is not None else None
    until = min(utcnow(), starts_at(meeting))
    updates = await progress_between(session, since, until)
    engagements: dict[int, dict] = {}
    for u in updates:
        if "status" not in u.changed and "progress" not in u.changed:
            continue
        entry = engagements.setdefault(u.engagement_number, {"number": u.engagement_number, "title": u.title,
                                                             "updates": [], "consolidated_status": None})
        entry["title"] = u.title
        entry["consolidated_status"] = ENGAGEMENT_STATUSES.get(u.consolidated_status, u.consolidated_status)
        entry["updates"].append({"at": u.at, "organisation": u.organisation_name, "actor": u.actor_name,
                                 "status": (ENGAGEMENT_STATUSES.get(u.before_status, u.before_status),
                                            ENGAGEMENT_STATUSES.get(u.after_status, u.after_status)),
                                 "status_changed": "status" in u.changed,
                                 "progress": (u.before_progress, u.after_progress),
                                 "progress_changed": "progress" in u.changed, "comment": u.comment})
    values = await values_between(session, since, until)
    day = meeting.local_start.date()
    decisions = [(d, m, b) for d, m, b in await register(session, who, only_open=True)
                 if d.due_on is not None and d.due_on <= day and (not d.internal or d.body_id == body.id)]
    versions = await versions_of(session, meeting.id)
    if versions:
        agenda = {"number": versions[-1].number, "items": versions[-1].items, "documents": versions[-1].documents,
                  "published_at": versions[-1].published_at, "late_reason": versions[-1].late_reason}
    else:
        items, documents = await draft_snapshot(session, settings, meeting.id)
        agenda = {"number": None, "items": items, "documents": documents, "published_at": None, "late_reason": None}
    return {
        "meeting": {"id": meeting.id, "title": meeting.title, "starts_at": starts_at(meeting), "place": meeting.place,
                    "video_url": meeting.video_url, "status": meeting.status},
        "body": {"id": body.id, "name": body.name, "kind_label": BODY_KIND_LABELS.get(body.kind, body.kind)},
        "previous": None if previous is None else {"id": previous.id, "title": previous.title,
                                                   "starts_at": starts_at(previous)},
        "since": since, "until": until, "generated_at": utcnow(),
        "engagements": sorted(engagements.values(), key=lambda e: e["number"]),
        "values": [{"indicator_id": v.indicator_id, "label": v.indicator_label,
                    "engagement_number": v.engagement_number,
                    "period": v.period, "qpv_id": v.qpv_id, "value": v.value, "unit": v.unit,
                    "organisation_id": v.organisation_id, "at": v.at} for v in values],
        "decisions": [{"id": d.id, "text": d.text, "body_name": b.name, "meeting_title": m.title,
                       "meeting_day": m.local_start.date(), "due_on": d.due_on, "overdue": overdue(d),
                       "status_label": FOLLOW_UP_LABELS.get(d.status, d.status),
                       "responsible_organisation_id": d.responsible_organisation_id, "engagements": d.engagements}
                      for d, m, b in decisions],
        "agenda": agenda,
    }


def render_html(pack: dict[str, Any], organisations: dict[str, str]) -> str:
    return _env.get_template("pack.html").render(pack=pack, organisations=organisations)


async def render_pdf(pack: dict[str, Any], organisations: dict[str, str]) -> bytes:
    """The pack as a PDF (WeasyPrint, in a thread: it is CPU-bound)."""
    from weasyprint import HTML  # imported here: loading pango/cairo is only needed to print

    html = render_html(pack, organisations)
    return await asyncio.to_thread(lambda: HTML(string=html, base_url=str(TEMPLATES)).write_pdf())
