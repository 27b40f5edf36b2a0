"""Events the notifications service publishes: the proof of delivery of what it sends.

A recipient appears by an opaque id (the participation member id, or `user:<id>` for an account), never by
address: the secretariat's pages join it with the names they already know.
"""

from datetime import datetime
from typing import Literal

from pydantic import Field

from kernel.events import EventPayload, event_type

NoticeKind = Literal["agenda", "agenda_revision", "meeting_moved", "meeting_cancelled", "reminder", "notice",
                     "digest", "account"]


class DeliveryFields(EventPayload):
    delivery_id: str
    notice_kind: NoticeKind
    recipient_id: str = Field(description="Membre (identifiant opaque) ou compte (`user:<id>`).")
    source_event_id: str = Field(description="Événement qui a causé l'envoi.")
    meeting_id: str | None = Field(None, description="Réunion concernée, pour une diffusion d'ordre du jour.")
    agenda_version: int | None = None
    attempts: int = Field(ge=1)
    at: datetime


@event_type("cdv.notifications.delivery.sent", "Un courriel a été accepté par le serveur SMTP pour un destinataire.")
class DeliverySent(DeliveryFields):
    smtp_response: str = Field(description="Réponse du serveur SMTP (code et texte), ex. « 250 OK ».")


@event_type("cdv.notifications.delivery.failed",
            "Un courriel n'a pas pu être remis à un destinataire après ses nouvelles tentatives.")
class DeliveryFailed(DeliveryFields):
    reason: str = Field(description="Raison en français, avec la réponse du serveur (ex. « adresse refusée »).")
