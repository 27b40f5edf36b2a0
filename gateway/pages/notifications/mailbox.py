"""Development only: the e-mails `make run`'s SMTP sink caught (a Maildir under var/mail/), shown to
administrators, so that a newcomer reads the circulated agenda and opens its invitation without a mail client.
Absent (404) outside development."""

from __future__ import annotations

import email
import email.policy
import mailbox
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from gateway.deps import AdminViewer, SettingsDep
from gateway.rendering import render
from gateway.settings import Settings

router = APIRouter(prefix="/admin/courriels")
# The mail's own HTML, shown framed: no script, nothing fetched from elsewhere, its inline styles allowed.
MAIL_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; "
            "base-uri 'none'; form-action 'none'; sandbox allow-popups allow-popups-to-escape-sandbox")


def _box(settings: Settings) -> mailbox.Maildir:
    folder = settings.caught_mail_dir
    if folder is None or not Path(folder).is_dir():
        raise HTTPException(404)
    return mailbox.Maildir(folder, factory=None, create=False)


def _message(settings: Settings, key: str) -> EmailMessage:
    box = _box(settings)
    try:
        raw = box.get_bytes(key)
    except KeyError as exc:
        raise HTTPException(404) from exc
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def _part(message: EmailMessage, content_type: str) -> Any:
    return next((p for p in message.walk() if p.get_content_type() == content_type
                 and not p.is_attachment()), None)


@router.get("")
async def caught(request: Request, _admin: AdminViewer, settings: SettingsDep) -> Response:
    """The caught e-mails, newest first."""
    box = _box(settings)
    rows = []
    for key in box.iterkeys():
        delivered_at = box.get_message(key).get_date()  # when the sink received it
        message = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        rows.append({"key": key, "to": message.get("To", ""), "subject": message.get("Subject", ""),
                     "date": message.get("Date", ""), "mtime": delivered_at,
                     "invitation": _part(message, "text/calendar") is not None})
    rows.sort(key=lambda r: r["mtime"], reverse=True)
    return render(request, "notifications/courriels.html", {"page_title": "Courriels envoyés (développement)",
                                                            "nav": "courriels", "rows": rows[:500],
                                                            "total": len(rows), "folder": settings.caught_mail_dir})


@router.get("/{key}")
async def one(request: Request, key: str, _admin: AdminViewer, settings: SettingsDep) -> Response:
    """One e-mail: its headers, its text, its HTML in a sandboxed frame, its invitation."""
    message = _message(settings, key)
    text = _part(message, "text/plain")
    calendar = _part(message, "text/calendar")
    return render(request, "notifications/courriel.html", {
        "page_title": message.get("Subject", "Courriel"), "nav": "courriels", "key": key,
        "headers": [(n, message.get(n)) for n in ("From", "To", "Subject", "Date", "Message-ID",
                                                    "List-Unsubscribe", "List-Unsubscribe-Post") if message.get(n)],
        "text": text.get_content() if text is not None else "",
        "has_html": _part(message, "text/html") is not None,
        "calendar": calendar.get_content() if calendar is not None else None,
        "method": calendar.get_param("method") if calendar is not None else None})


@router.get("/{key}/html")
async def one_html(key: str, _admin: AdminViewer, settings: SettingsDep) -> Response:
    """The e-mail's HTML as its recipient sees it (sandboxed: no script, nothing fetched)."""
    part = _part(_message(settings, key), "text/html")
    if part is None:
        raise HTTPException(404)
    return Response(part.get_content(), media_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": MAIL_CSP, "X-Frame-Options": "SAMEORIGIN",
                             "Cache-Control": "no-store"})


@router.get("/{key}/invitation.ics")
async def one_invitation(key: str, _admin: AdminViewer, settings: SettingsDep) -> Response:
    """The calendar invitation, to open in a calendar application."""
    part = _part(_message(settings, key), "text/calendar")
    if part is None:
        raise HTTPException(404)
    method = part.get_param("method") or "REQUEST"
    return Response(part.get_content().encode(), media_type=f"text/calendar; charset=utf-8; method={method}",
                    headers={"Content-Disposition": 'attachment; filename="invitation.ics"'})
