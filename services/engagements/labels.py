"""The codes of the engagements service and their French names, published: the gateway shows them from here
(like `events.py`, this module imports nothing else of the service)."""

from enum import StrEnum


class Status(StrEnum):
    A_LANCER = "a_lancer"
    EN_COURS = "en_cours"
    REALISE = "realise"
    REPORTE = "reporte"
    ABANDONNE = "abandonne"


STATUS_LABELS = {
    Status.A_LANCER: "À lancer",
    Status.EN_COURS: "En cours",
    Status.REALISE: "Réalisé",
    Status.REPORTE: "Reporté",
    Status.ABANDONNE: "Abandonné",
}
