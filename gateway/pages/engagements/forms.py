"""The part form (a pilot's status, progress, comment, QPV, next milestone): values, body, French errors.

The engagements service validates; this module turns its 422 answers into a French message next to the
field at fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

FIELDS = ("status", "progress", "comment", "qpv", "next_milestone", "next_milestone_date", "actions")
_FRENCH_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


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
        def text(name: str) -> str:
            value = form.get(name)
            return value.strip() if isinstance(value, str) else ""

        actions = {}
        for key in form:
            if key.startswith("action_") and key.endswith("_status") and text(key):
                index = key.removeprefix("action_").removesuffix("_status")
                if index.isdigit():
                    actions[int(index)] = (text(key), text(f"action_{index}_comment"))
        return cls(version=text("version"), status=text("status"), progress=text("progress").rstrip("%").strip(),
                   comment=text("comment"), qpv=[q for q in form.getlist("qpv") if isinstance(q, str) and q],
                   next_milestone=text("next_milestone"), next_milestone_date=text("next_milestone_date"),
                   actions=actions)

    def body(self) -> dict[str, Any]:
        """The PATCH body for the engagements service (raw values: the service judges them)."""
        milestone_date: str | None = self.next_milestone_date or None
        if milestone_date and (m := _FRENCH_DATE.match(milestone_date)):  # 12/03/2025 typed without a date picker
            milestone_date = f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}"
        return {
            "version": int(self.version) if self.version.isdigit() else self.version,
            "status": self.status,
            "progress": self.progress if self.progress != "" else None,
            "comment": self.comment or None,
            "qpv": self.qpv,
            "next_milestone": self.next_milestone or None,
            "next_milestone_date": milestone_date,
            "actions": [{"index": i, "status": status, "comment": comment or None}
                        for i, (status, comment) in sorted(self.actions.items())],
        }


def _message(field_name: str, error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if field_name == "progress":
        if kind in ("greater_than_equal", "less_than_equal"):
            return "L'avancement doit être compris entre 0 et 100 %."
        return "Indiquez l'avancement par un nombre entier de 0 à 100."
    if field_name == "status":
        return "Choisissez un statut dans la liste."
    if field_name in ("comment", "next_milestone") and kind == "string_too_long":
        limit = f"{int(ctx.get('max_length', 0)):,}".replace(",", "\u202f")
        what = "Le commentaire" if field_name == "comment" else "La prochaine étape"
        return f"{what} ne doit pas dépasser {limit} caractères."
    if field_name == "next_milestone_date":
        return "Saisissez une date valide, par exemple 31/12/2025."
    if field_name == "qpv":
        return "Choisissez les quartiers dans la liste."
    if field_name == "actions":
        return "Détail par action : choisissez un statut dans la liste pour chaque action renseignée."
    return "Valeur invalide."


def field_errors(body: Any) -> dict[str, str]:
    """Maps a 422 answer of the service to {field: French message}; `_form` holds what fits no field."""
    errors: dict[str, str] = {}
    if isinstance(body, dict) and body.get("code") == "invalid" and "errors" not in body:  # {code, message, field}
        field = body.get("field") if body.get("field") in FIELDS else "_form"
        errors[field] = body.get("message") or "Valeur invalide."
        return errors
    # Request validation: {code: "invalid", message, errors: [{field, type, message, ctx}]}
    details = body.get("errors") if isinstance(body, dict) else None
    for error in details if isinstance(details, list) else []:
        name = str(error.get("field", "")).split(".")[0]
        if name in FIELDS:
            errors.setdefault(name, _message(name, error))
        else:
            errors.setdefault("_form", "Le formulaire est incomplet ou périmé : rechargez la page, puis recommencez.")
    return errors or {"_form": "La mise à jour a été refusée : vérifiez les valeurs saisies."}
