"""E-mails as MIME: French text and HTML alternatives (tables and inline styles, which Outlook and Thunderbird
both render), the calendar invitation as a `text/calendar; method=…` alternative and as an `.ics` attachment,
and the one-click unsubscribe headers (RFC 8058) on every e-mail one may turn off.

Messages are rendered at send time from the delivery's context and the recipient as known then.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from kernel.french import datetime_fr, day_fr, time_fr
from services.notifications import calendar
from services.notifications.deliveries import Delivery
from services.notifications.people import Recipient
from services.notifications.preferences import CATEGORIES, DIGEST, unsubscribe_token
from services.notifications.settings import Settings

CALENDAR_KINDS = {"agenda": "REQUEST", "agenda_revision": "REQUEST", "meeting_moved": "REQUEST",
                  "meeting_cancelled": "CANCEL"}


# Said instead of the meeting pack's link to a member without an account (the pack needs a signed-in member).
PACK_WITHOUT_ACCOUNT = ("Le dossier « depuis la dernière réunion » (PDF) est réservé aux membres qui ont un compte sur "
                        "la plateforme : le secrétariat du contrat de ville peut vous en ouvrir un.")


def _environment(autoescape: bool) -> Environment:
    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html"]) if autoescape else False, trim_blocks=False,
                      keep_trailing_newline=True)
    env.filters.update(day_fr=day_fr, datetime_fr=datetime_fr, hour_fr=time_fr)
    env.globals["PACK_WITHOUT_ACCOUNT"] = PACK_WITHOUT_ACCOUNT
    return env


HTML = _environment(True)
TEXT = _environment(False)


def links(settings: Settings, recipient: Recipient, category: str) -> dict[str, str | None]:
    """The preferences page (for someone with an account: it needs a login), and the one-click unsubscribe link of
    the category (none for mandatory ones; its signed token needs no account)."""
    base = settings.public_url.rstrip("/")
    unsubscribable = category == DIGEST.code or (category in CATEGORIES and not CATEGORIES[category].mandatory)
    token = unsubscribe_token(settings.identity_secret, recipient.person_key, category) if unsubscribable else None
    label = DIGEST.label if category == DIGEST.code else CATEGORIES[category].label if category in CATEGORIES else ""
    return {"preferences_url": f"{base}/notifications/preferences" if recipient.has_account else None,
            "unsubscribe_url": f"{base}/desabonnement/{token}" if token else None, "category_label": label}


def _open_to(document: dict[str, Any], has_account: bool) -> dict[str, Any]:
    """A document of the agenda with its link if the recipient can open it: a public one anyone can, one for the
    body's members needs a signed-in member (without an account its title stays, without a link)."""
    return document if has_account or document.get("public", True) else {**document, "url": None}


def for_recipient(context: dict[str, Any], recipient: Recipient) -> dict[str, Any]:
    """What of a message depends on whether its recipient has an account: no link to a page that needs a login
    for someone who has none (members of a body need no account). The meeting's page of a published agenda and its
    public documents are open to all; the meeting pack (PDF) and the members' documents need a signed-in member."""
    has_account = recipient.has_account
    out: dict[str, Any] = {"has_account": has_account}
    if not has_account:
        if context.get("documents"):
            out["documents"] = [_open_to(d, has_account) for d in context["documents"]]
        if context.get("items"):
            out["items"] = [{**i, "documents": [_open_to(d, has_account) for d in i.get("documents") or []]}
                            for i in context["items"]]
    return out


def _plain_description(context: dict[str, Any]) -> str:
    """The invitation's DESCRIPTION: the agenda in a few lines."""
    lines = [f"{i + 1}. {item['title']}" for i, item in enumerate(context.get("items") or [])]
    text = ("Ordre du jour :\n" + "\n".join(lines) + "\n\n") if lines else ""
    return text + f"Page de la réunion : {context['meeting']['url']}"


class Unbuildable(ValueError):
    """The message cannot be built for this recipient (e.g. an invalid address); `reason` is in French."""

    @property
    def reason(self) -> str:
        return str(self.args[0])


def _recipient_header(name: str, address: str) -> str | Address:
    """`To:`; an address that is not ASCII is written as UTF-8 (sent only to servers offering SMTPUTF8)."""
    if address.isascii():
        return formataddr((name, address))
    local, at, domain = address.rpartition("@")
    if not (local and at and domain):
        raise ValueError(address)
    return Address(display_name=name, username=local, domain=domain)


def build(delivery: Delivery, recipient: Recipient, settings: Settings) -> bytes:
    """The whole message for this recipient, as bytes ready for SMTP (CRLF line endings).

    Raises Unbuildable when the recipient's address cannot be written in a message."""
    assert recipient.email, "no address"
    context = {**delivery.context, "recipient_name": recipient.name, "territory": settings.territory,
               **links(settings, recipient, delivery.category), **for_recipient(delivery.context, recipient)}
    message = EmailMessage(policy=SMTP if recipient.email.isascii() else SMTPUTF8)
    message["Subject"] = context["subject"]
    message["From"] = formataddr((settings.mail_from_name, settings.mail_from))
    try:
        message["To"] = _recipient_header(recipient.name or "", recipient.email)
    except (ValueError, IndexError, UnicodeError) as exc:
        raise Unbuildable(f"adresse invalide ({recipient.email})") from exc
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = delivery.message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    message["X-Auto-Response-Suppress"] = "All"  # the same, for Exchange
    if context["unsubscribe_url"]:
        message["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(TEXT.get_template(f"{delivery.template}.txt").render(context))
    message.add_alternative(HTML.get_template(f"{delivery.template}.html").render(context), subtype="html")
    method = CALENDAR_KINDS.get(delivery.notice_kind)
    if method is not None:
        ics = calendar.invitation(
            method=method, meeting=context["meeting"], domain=settings.mail_domain,  # type: ignore[arg-type]
            stamp=datetime.fromisoformat(context["stamp"]), organizer_email=settings.mail_from,
            organizer_name=settings.mail_from_name, attendee_email=recipient.email,
            attendee_name=recipient.name, description=_plain_description(context))
        message.add_alternative(ics.decode(), subtype="calendar", params={"method": method})
        message.add_attachment(ics, maintype="application", subtype="ics",
                               filename="annulation.ics" if method == "CANCEL" else "invitation.ics")
    return message.as_bytes()
