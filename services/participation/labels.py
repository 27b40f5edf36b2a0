"""The codes of the participation service's governance and their French names, published: the gateway shows them
from here (like `events.py`, this module imports nothing else of the service)."""

BODY_KIND_LABELS = {  # in the order bodies are listed
    "copil": "Comité de pilotage",
    "gtc": "Groupe technique de coordination",
    "groupe-thematique": "Groupe technique thématique",
    "interbailleurs": "Interbailleurs",
    "inter-associatif": "Inter-associatif",
    "conseil-citoyen": "Conseil citoyen",
    "rdv-politique-de-la-ville": "RDV politique de la ville",
}
SEAT_LABELS = {"titulaire": "titulaire", "suppleant": "suppléant"}
PRESENCE_LABELS = {"present": "présent", "excuse": "excusé", "represente": "représenté", "absent": "absent"}
FOLLOW_UP_LABELS = {"a_faire": "À faire", "en_cours": "En cours", "fait": "Fait", "abandonne": "Abandonné"}  # decisions
CHANGE_LABELS = {  # what changed in an agenda from one version to the next
    "added": "Ajouté",
    "removed": "Retiré",
    "moved": "Déplacé",
    "changed": "Modifié",
    "document_added": "Document ajouté",
    "document_removed": "Document retiré",
}
# What a conseil citoyen works on (the contract names these themes; the secretariat picks several per conseil).
ACTIVITY_LABELS = {
    "cadre-de-vie": "Cadre de vie",
    "education": "Éducation",
    "proprete": "Propreté",
    "tranquillite": "Tranquillité",
    "jardins-partages": "Jardins partagés",
    "jeunesse": "Jeunesse",
    "sante": "Santé",
    "emploi": "Emploi",
    "culture": "Culture et animations",
    "renouvellement-urbain": "Renouvellement urbain",
}
# How a conseil citoyen's member appears publicly, as they choose (the first is the default: the most private).
DISPLAY_LABELS = {
    "compte": "Compté seulement, sans nom",
    "prenom": "Prénom et initiale du nom",
}
