"""The audit log across the services (administrators only): the latest changes, who made them, before and after.

Each service keeps its own append-only log (`GET /audit`, administrators only); this page asks the chosen
services with the same filters and merges their answers, newest first.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway import processes
from gateway.clients import ServiceError, ServiceUnavailable
from gateway.deps import AdminViewer, CallsDep
from gateway.forms import Notice
from gateway.processes import SERVICE_NAMES
from gateway.rendering import render

router = APIRouter(prefix="/admin")
LIMIT = 100
OPERATIONS = {"insert": "création", "update": "modification", "delete": "suppression"}


def _filters(request: Request) -> tuple[dict[str, str], dict[str, Any], str | None]:
    """The form's values, the query the services get, and an error message for a bad date."""
    q = request.query_params
    form = {k: (q.get(k) or "").strip()[:100] for k in ("service", "table", "actor", "organisation", "operation",
                                                         "since")}
    params: dict[str, Any] = {"table": form["table"], "actor": form["actor"], "organisation": form["organisation"],
                              "operation": form["operation"] if form["operation"] in OPERATIONS else "",
                              "limit": LIMIT}
    error = None
    if form["since"]:
        try:
            params["since"] = date.fromisoformat(form["since"]).isoformat() + "T00:00:00"
        except ValueError:
            error = "Date invalide : saisissez-la au format AAAA-MM-JJ."
    return form, params, error


@router.get("/journal")
async def journal(request: Request, _admin: AdminViewer, calls: CallsDep) -> Response:
    """The latest changes of every service (or one), filtered by object, author, organisation, kind and date."""
    form, params, error = _filters(request)
    services = [form["service"]] if form["service"] in SERVICE_NAMES else list(SERVICE_NAMES)

    async def one(service: str) -> dict[str, Any] | None:
        try:
            return await calls.get(service, "/audit", **params)
        except (ServiceError, ServiceUnavailable):
            return None

    answers = dict(zip(services, await asyncio.gather(*(one(s) for s in services)), strict=True))
    entries = sorted((e for a in answers.values() if a for e in a["entries"]), key=lambda e: e["at"], reverse=True)
    missing = [processes.service(s).label for s, a in answers.items() if a is None]
    notice = Notice("error", error) if error else (
        Notice("error", "Journal incomplet : pas de réponse de " + ", ".join(missing) + ".") if missing else None)
    tables = sorted({t for a in answers.values() if a for t in a["tables"]})
    return render(request, "admin/journal.html", {
        "page_title": "Journal des modifications", "nav": "journal", "entries": entries[:LIMIT], "form": form,
        "services": {s: processes.service(s).label for s in SERVICE_NAMES}, "tables": tables,
        "operations": OPERATIONS, "notice": notice, "limit": LIMIT})
