"""The part form (a pilot's status, progress, comment, QPV, next milestone, detail per action): the values it
shows, the body sent to the engagements service, and a French message for each field the service refuses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from gateway.forms import Fields, Notice, form_version, iso_date, text, texts, too_long

FIELDS = ("status", "progress", "comment", "qpv", "next_milestone", "next_milestone_date", "actions")


@dataclass
class PartForm:
    """What the form shows: a part's current values, or what the person typed."""

    version: str = ""
    status: str = "a_lancer"
    progress: str = "0"
    comment: str = ""
    qpv: list[str] = field(default_factory=list)
    next_milestone: str = ""
    next_milestone_date: str = ""
    # Optional detail per action, by the action's rank: {0: ("en_cours", "comment")}; absent = no detail.
    actions: dict[int, tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def from_part(cls, part: dict[str, Any]) -> PartForm:
        return cls(version=str(part["version"]), status=part["status"], progress=str(part["progress"]),
                   comment=part.get("comment") or "", qpv=list(part.get("qpv") or []),
                   next_milestone=part.get("next_milestone") or "",
                   next_milestone_date=part.get("next_milestone_date") or "",
                   actions={a["index"]: (a["status"], a.get("comment") or "") for a in part.get("actions") or []})

    @classmethod
    def from_form(cls, form: FormData) -> PartForm:
        actions = {}
        for key in form:
            if key.startswith("action_") and key.endswith("_status") and text(form, key):
                index = key.removeprefix("action_").removesuffix("_status")
                if index.isdigit():
                    actions[int(index)] = (text(form, key), text(form, f"action_{index}_comment"))
        return cls(version=text(form, "version"), status=text(form, "status"),
                   progress=text(form, "progress").rstrip("%").strip(), comment=text(form, "comment"),
                   qpv=texts(form, "qpv"), next_milestone=text(form, "next_milestone"),
                   next_milestone_date=text(form, "next_milestone_date"), actions=actions)

    def body(self) -> dict[str, Any]:
        """The PATCH body for the engagements service (raw values: the service judges them)."""
        return {
            "version": form_version(self.version),
            "status": self.status,
            "progress": self.progress if self.progress != "" else None,
            "comment": self.comment or None,
            "qpv": self.qpv,
            "next_milestone": self.next_milestone or None,
            "next_milestone_date": iso_date(self.next_milestone_date),  # 12/03/2025 typed without a date picker
            "actions": [{"index": i, "status": status, "comment": comment or None}
                        for i, (status, comment) in sorted(self.actions.items())],
        }


@dataclass
class PartState:
    """How one part's form shows: its values, errors next to fields, and the outcome of the last try."""

    form: PartForm
    errors: dict[str, str] = field(default_factory=dict)
    notice: Notice | None = None

    @property
    def open(self) -> bool:
        return bool(self.errors) or (self.notice is not None and self.notice.kind != "success")


def _message(field_name: str, error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if field_name == "progress":
        if kind in ("greater_than_equal", "less_than_equal"):
            return "L'avancement doit être compris entre 0 et 100 %."
        return "Indiquez l'avancement par un nombre entier de 0 à 100."
    if field_name == "status":
        return "Choisissez un statut dans la liste."
    if field_name in ("comment", "next_milestone") and kind == "string_too_long":
        return too_long("Le commentaire" if field_name == "comment" else "La prochaine étape", error)
    if field_name == "next_milestone_date":
        return "Saisissez une date valide, par exemple 31/12/2025."
    if field_name == "qpv":
        return "Choisissez les quartiers dans la liste."
    if field_name == "actions":
        return "Détail par action : choisissez un statut dans la liste pour chaque action renseignée."
    return "Valeur invalide."


PART_FIELDS = Fields({name: name for name in FIELDS}, _message,
                     "La mise à jour a été refusée : vérifiez les valeurs saisies.")


def part_of(detail: dict[str, Any], organisation_id: str) -> dict[str, Any] | None:
    """An organisation's part in an engagement's detail (None when it pilots no part of it)."""
    return next((p for p in detail["parts"] if p["organisation_id"] == organisation_id), None)
