"""Templates (Jinja2 with jinja2-fragments) and the French formatting the pages share.

A page template has named blocks; an htmx request gets just the block it needs (`block=`), a plain request the
whole page, so every page also works without JavaScript.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2_fragments.fastapi import Jinja2Blocks
from starlette.requests import Request
from starlette.responses import Response

HERE = Path(__file__).resolve().parent
PARIS = ZoneInfo("Europe/Paris")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
STATUSES = {
    "a_lancer": "À lancer",
    "en_cours": "En cours",
    "realise": "Réalisé",
    "reporte": "Reporté",
    "abandonne": "Abandonné",
}
FIELD_LABELS = {
    "status": "Statut",
    "progress": "Avancement",
    "comment": "Commentaire",
    "qpv": "Quartiers (QPV)",
    "next_milestone": "Prochaine étape",
    "next_milestone_date": "Date de la prochaine étape",
    "actions": "Détail par action",
}
ORGANISATION_KINDS = {
    "etat": "État",
    "collectivite": "Collectivités",
    "organisme-public": "Organismes publics",
    "bailleur": "Bailleurs sociaux",
    "association": "Associations",
    "instance-participative": "Instances participatives",
    "autre": "Autres",
}


def _parse(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return value
    return value


def day_fr(value: Any) -> str:
    """12 mars 2025."""
    value = _parse(value)
    if isinstance(value, datetime):
        value = value.astimezone(PARIS).date() if value.tzinfo else value.date()
    if not isinstance(value, date):
        return str(value or "")
    return f"{'1er' if value.day == 1 else value.day} {MONTHS[value.month - 1]} {value.year}"


def datetime_fr(value: Any) -> str:
    """12 mars 2025 à 14 h 05 (heure de Paris)."""
    value = _parse(value)
    if not isinstance(value, datetime):
        return day_fr(value)
    if value.tzinfo is None:
        from datetime import UTC

        value = value.replace(tzinfo=UTC)
    local = value.astimezone(PARIS)
    return f"{day_fr(local.date())} à {local.hour} h {local.minute:02d}"


def short_datetime_fr(value: Any) -> str:
    """12/03 à 9 h 14 (heure de Paris), for compact statuses."""
    value = _parse(value)
    if not isinstance(value, datetime):
        return str(value or "")
    if value.tzinfo is None:
        from datetime import UTC

        value = value.replace(tzinfo=UTC)
    local = value.astimezone(PARIS)
    return f"{local.day:02d}/{local.month:02d} à {local.hour} h {local.minute:02d}"


def time_fr(value: Any) -> str:
    """9 h 30 (heure de Paris)."""
    value = _parse(value)
    if not isinstance(value, datetime):
        return ""
    local = value.astimezone(PARIS) if value.tzinfo else value
    return f"{local.hour} h {local.minute:02d}"


def iso_local(value: Any) -> str:
    """Machine-readable value for <time datetime="…">."""
    value = _parse(value)
    return value.isoformat() if isinstance(value, date) else ""


def change_value(field: str, value: Any, qpv_names: Mapping[str, str] | None = None) -> str:
    """One side of a history change, in words."""
    if value in (None, "", []):
        return "non renseigné"
    if field == "status":
        return STATUSES.get(value, str(value))
    if field == "progress":
        return f"{value} %"
    if field == "qpv":
        names = qpv_names or {}
        return ", ".join(names.get(q, q) for q in value)
    if field == "next_milestone_date":
        return day_fr(value)
    if field == "actions":
        return " ; ".join(f"action {a['index'] + 1} : {STATUSES.get(a['status'], a['status'])}"
                          + (f" ({a['comment']})" if a.get("comment") else "") for a in value)
    return str(value)


_asset_versions: dict[str, str] = {}


def static(path: str) -> str:
    """URL of a static asset, with a content hash so browsers may cache it and still get a new version."""
    if path not in _asset_versions:
        try:
            _asset_versions[path] = hashlib.sha256((HERE / "static" / path).read_bytes()).hexdigest()[:10]
        except OSError:
            _asset_versions[path] = "0"
    return f"/static/{path}?v={_asset_versions[path]}"


templates = Jinja2Blocks(directory=str(HERE / "templates"))
templates.env.filters.update(day_fr=day_fr, datetime_fr=datetime_fr, iso_local=iso_local,
                             short_datetime_fr=short_datetime_fr, time_fr=time_fr)
templates.env.globals.update(STATUSES=STATUSES, FIELD_LABELS=FIELD_LABELS, change_value=change_value,
                             ORGANISATION_KINDS=ORGANISATION_KINDS, static=static)
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True


def is_htmx(request: Request) -> bool:
    """An htmx request that wants a fragment (a history restore wants the whole page)."""
    return request.headers.get("HX-Request") == "true" and "HX-History-Restore-Request" not in request.headers


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, block: str | None = None,
           status_code: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """Renders a page, or one of its blocks; the viewer (or None) is always in the context."""
    ctx = {"viewer": getattr(request.state, "viewer", None), "territory": request.app.state.settings.territory,
           **(context or {})}
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers,
                                          block_name=block)
    response.headers["Vary"] = "HX-Request, Cookie"
    response.headers.setdefault("Cache-Control", "no-store")
    return response
