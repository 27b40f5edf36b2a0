"""Events the notifications service publishes: the proof of delivery of what it sends, on its internal stream.

A recipient appears by an opaque id (the participation member id, or `user:<id>` for an account), never by
address: the secretariat's pages join it with the names they already know. The SMTP server's reply may quote
the address, hence the internal stream (participation reads it for the circulation status; integrators do not).
"""

from datetime import datetime
from typing import Literal

from pydantic import Field

from kernel.events import EventPayload, event_type

NoticeKind = Literal["agenda", "agenda_revision", "meeting_moved", "meeting_cancelled", "reminder", "notice",
                     "digest", "account"]


class DeliveryFields(EventPayload):
    delivery_id: str = Field(description="Identifiant de l'envoi (un par destinataire et par message).")
    notice_kind: NoticeKind = Field(description="Nature du message envoyé.")
    recipient_id: str = Field(description="Membre (identifiant opaque) ou compte (`user:<id>`).")
    source_event_id: str = Field(description="Événement qui a causé l'envoi.")
    meeting_id: str | None = Field(None, description="Réunion concernée, pour une diffusion d'ordre du jour.")
    agenda_version: int | None = Field(None, description="Version de l'ordre du jour diffusée.")
    attempts: int = Field(ge=1, description="Tentatives faites (1 pour un envoi réussi du premier coup).")
    at: datetime = Field(description="Moment de la remise ou de l'abandon.")


@event_type("cdv.notifications-internal.delivery.sent",
            "Un courriel a été accepté par le serveur SMTP pour un destinataire.")
class DeliverySent(DeliveryFields):
    smtp_response: str = Field(description="Réponse du serveur SMTP (code et texte), ex. « 250 OK ».")


@event_type("cdv.notifications-internal.delivery.failed",
            "Un courriel n'a pas pu être remis à un destinataire après ses nouvelles tentatives.")
class DeliveryFailed(DeliveryFields):
    reason: str = Field(description="Raison en français, avec la réponse du serveur (ex. « adresse refusée »).")


RETIRED = ("Plus publié : la réponse du serveur SMTP peut citer l'adresse du destinataire. L'accusé de remise est "
           "désormais interne (cdv.notifications-internal.delivery.*) ; rien ne le remplace pour les intégrateurs.")


@event_type("cdv.notifications.delivery.sent", DeliverySent.__summary__, retired=RETIRED)
class DeliverySentV1(DeliverySent):
    pass


@event_type("cdv.notifications.delivery.failed", DeliveryFailed.__summary__, retired=RETIRED)
class DeliveryFailedV1(DeliveryFailed):
    pass
