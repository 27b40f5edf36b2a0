"""The codes of the indicateurs service and their French names (units, states of a value, qualifications),
published: the gateway shows them from here (like `events.py` and `periods.py`, this module imports nothing else
of the service)."""

from enum import StrEnum

UNITS = ("nombre", "%", "euros", "jours", "heures", "personnes", "ménages", "logements", "places", "m²")


# The organisation under which the values the platform computes are kept (see `service/measures.py`).
COMPUTED_BY = "plateforme"
COMPUTED_BY_NAME = "Calcul automatique de la plateforme"


class State(StrEnum):
    BROUILLON = "brouillon"
    SOUMIS = "soumis"
    APPROUVE = "approuve"
    A_REPRENDRE = "a_reprendre"


STATE_LABELS = {
    State.BROUILLON: "Brouillon",
    State.SOUMIS: "Soumis",
    State.APPROUVE: "Approuvé",
    State.A_REPRENDRE: "À reprendre",
}


class Qualification(StrEnum):
    PROVISOIRE = "provisoire"
    ESTIME = "estime"
    DEFINITIF = "definitif"


QUALIFICATION_LABELS = {
    Qualification.PROVISOIRE: "Provisoire",
    Qualification.ESTIME: "Estimé",
    Qualification.DEFINITIF: "Définitif",
}
