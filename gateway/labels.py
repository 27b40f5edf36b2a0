"""The French names the pages show for codes: the services' published labels (one definition, in the service
that owns the codes) and the names only the pages need. `rendering.py` gives them to every template."""

from __future__ import annotations

from services.engagements.labels import STATUS_LABELS
from services.indicateurs.labels import QUALIFICATION_LABELS, UNITS
from services.indicateurs.periods import Periodicity
from services.participation.labels import (
    ACTIVITY_LABELS,
    BODY_KIND_LABELS,
    CHANGE_LABELS,
    DISPLAY_LABELS,
    FOLLOW_UP_LABELS,
    PRESENCE_LABELS,
    SEAT_LABELS,
)

__all__ = ["ACTIVITIES", "AGENDA_CHANGES", "BODY_KINDS", "BODY_KIND_HEADINGS", "DISPLAYS", "FIELD_LABELS",
           "FOLLOW_UPS", "ORGANISATION_KINDS", "OWED", "PERIODICITIES", "PERIOD_FORMATS", "PRESENCES",
           "QUALIFICATIONS", "SEATS", "STATUSES", "UNITS"]

# Owned by the services (UNITS too: the units an indicator may have).
STATUSES = STATUS_LABELS  # a pilot's part, and an engagement's consolidated status
QUALIFICATIONS = QUALIFICATION_LABELS  # how sure a value is
BODY_KINDS = BODY_KIND_LABELS  # a governance body's kind, in the order bodies are listed
SEATS = SEAT_LABELS  # titulaire or suppléant
PRESENCES = PRESENCE_LABELS  # at a meeting
FOLLOW_UPS = FOLLOW_UP_LABELS  # where a decision's follow-up stands
AGENDA_CHANGES = CHANGE_LABELS  # what changed in an agenda from one version to the next
ACTIVITIES = ACTIVITY_LABELS  # what a conseil citoyen works on
DISPLAYS = DISPLAY_LABELS  # how a conseil citoyen's member appears publicly

# The pages' own.
FIELD_LABELS = {  # the fields of a part, as its history names them
    "status": "Statut",
    "progress": "Avancement",
    "comment": "Commentaire",
    "qpv": "Quartiers (QPV)",
    "next_milestone": "Prochaine étape",
    "next_milestone_date": "Date de la prochaine étape",
    "actions": "Détail par action",
}
ORGANISATION_KINDS = {  # headings of the organisation lists
    "etat": "État",
    "collectivite": "Collectivités",
    "organisme-public": "Organismes publics",
    "bailleur": "Bailleurs sociaux",
    "association": "Associations",
    "instance-participative": "Instances participatives",
    "autre": "Autres",
}
PERIODICITIES = {
    Periodicity.ANNUELLE: "Annuelle",
    Periodicity.SEMESTRIELLE: "Semestrielle",
    Periodicity.TRIMESTRIELLE: "Trimestrielle",
}
PERIOD_FORMATS = {  # the import page's reminder of how a period is written
    Periodicity.ANNUELLE: "2020",
    Periodicity.SEMESTRIELLE: "2020-S1 ou 2020-S2",
    Periodicity.TRIMESTRIELLE: "2020-T1 à 2020-T4",
}
BODY_KIND_HEADINGS = {  # headings of the list of bodies
    "copil": "Comité de pilotage",
    "gtc": "Groupe technique de coordination",
    "groupe-thematique": "Groupes techniques thématiques",
    "interbailleurs": "Interbailleurs",
    "inter-associatif": "Inter-associatif",
    "conseil-citoyen": "Conseils citoyens",
    "rdv-politique-de-la-ville": "RDV politique de la ville",
}
OWED = {"manquant": "Manquante", "brouillon": "Brouillon non soumis", "a_reprendre": "À reprendre"}  # to report
