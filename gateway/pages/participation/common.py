"""What the governance pages share: calls made for the viewer or, without an account, for the public; French
labels; turning a service's refusal into a message; reading forms."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends
from starlette.datastructures import FormData

from gateway.clients import ServiceCalls, ServiceError
from gateway.deps import ClientsDep, OptionalViewer
from kernel.identity import Identity

# The identity the gateway signs for a visitor without an account (participation knows this user id).
PUBLIC = Identity(user_id="public", email="", name="Visiteur", roles=[])

KIND_LABELS = {
    "copil": "Comité de pilotage",
    "gtc": "Groupe technique de coordination",
    "groupe-thematique": "Groupes techniques thématiques",
    "interbailleurs": "Interbailleurs",
    "inter-associatif": "Inter-associatif",
    "conseil-citoyen": "Conseils citoyens",
    "rdv-politique-de-la-ville": "RDV politique de la ville",
}
SEATS = {"titulaire": "titulaire", "suppleant": "suppléant"}
PRESENCE = {"present": "Présent", "excuse": "Excusé", "represente": "Représenté", "absent": "Absent"}
FOLLOW_UP = {"a_faire": "À faire", "en_cours": "En cours", "fait": "Fait", "abandonne": "Abandonné"}
CHANGE_KINDS = {"added": "Ajouté", "removed": "Retiré", "moved": "Déplacé", "changed": "Modifié",
                "document_added": "Document ajouté", "document_removed": "Document retiré"}
LEAD_STATES = {"ok": "dans les temps", "soon": "échéance proche", "today": "à diffuser aujourd'hui",
               "late": "en retard", "published": "publié"}


def public_calls(viewer: OptionalViewer, clients: ClientsDep) -> ServiceCalls:
    """Calls for the viewer, or for the public when nobody is logged in."""
    return clients.on_behalf_of(viewer.identity if viewer else PUBLIC)


AnyCalls = Annotated[ServiceCalls, Depends(public_calls)]


def refusal(exc: ServiceError) -> str:
    """A service's 4xx answer as one French sentence (its message, or the first field error)."""
    if exc.status_code >= 500 or exc.status_code in (401,):
        raise exc
    body = exc.body if isinstance(exc.body, dict) else {}
    if body.get("errors"):
        first = body["errors"][0]
        return f"{FIELD_NAMES.get(first.get('field', ''), first.get('field', ''))} : {first.get('message')}."
    return body.get("message") or "Cette action a été refusée."


FIELD_NAMES = {"title": "Titre", "starts_at": "Début", "ends_at": "Fin", "text": "Texte", "reason": "Raison",
               "name": "Nom", "email": "Adresse e-mail", "comment": "Commentaire", "url": "Adresse",
               "duration_minutes": "Durée", "engagements": "Engagements", "due_on": "Échéance",
               "late_reason": "Raison du retard", "body_id": "Instance", "lines": "Présences"}


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def numbers(value: str) -> list[int]:
    """"12, 47" -> [12, 47] (anything else is ignored: the service checks the numbers)."""
    return [int(n) for n in value.replace(";", ",").replace(" ", ",").split(",") if n.strip().isdigit()]


def local_datetime(day: str, hour: str) -> str | None:
    """A date field and a time field as the ISO wall-clock time the service expects."""
    if not day:
        return None
    try:
        return datetime.fromisoformat(f"{day}T{hour or '09:00'}").isoformat()
    except ValueError:
        return f"{day}T{hour}"  # the service says what is wrong


def optional_date(value: str) -> str | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return value


def names(orgs: list[dict[str, Any]]) -> dict[str, str]:
    return {o["id"]: o["name"] for o in orgs}
