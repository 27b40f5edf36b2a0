"""The forms of the indicator pages: values typed, the bodies sent to the indicateurs service, French errors.

The service validates; its 422 answers come back either as request validation (`errors: [{field, type, …}]`)
or as a domain refusal with one `field` and a French `message`. Both are shown next to the field at fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from gateway.formatting import number_fr, parse_number

_FRENCH_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _iso_date(text: str) -> str | None:
    """A date typed as 31/03/2027 (no date picker) or 2027-03-31; the service judges the rest."""
    if not text:
        return None
    if m := _FRENCH_DATE.match(text):
        return f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}"
    return text


def _number_or_raw(text: str) -> float | str | None:
    if text == "":
        return None
    number = parse_number(text)
    return number if number is not None else text


# --- a value (new, or a correction) --------------------------------------------------------------------------

@dataclass
class ValueForm:
    period: str = ""
    qpv: str = ""
    value: str = ""
    qualification: str = "provisoire"
    comment: str = ""
    source: str = ""
    version: str = "0"

    @classmethod
    def from_submission(cls, s: dict[str, Any]) -> ValueForm:
        return cls(period=s["period"], qpv=s.get("qpv_id") or "", value=number_fr(s["value"]).replace("−", "-"),
                   qualification=s["qualification"], comment=s.get("comment") or "", source=s.get("source") or "",
                   version=str(s["version"]))

    @classmethod
    def from_form(cls, form: FormData) -> ValueForm:
        return cls(period=_text(form, "period"), qpv=_text(form, "qpv"), value=_text(form, "value"),
                   qualification=_text(form, "qualification") or "provisoire", comment=_text(form, "comment"),
                   source=_text(form, "source"), version=_text(form, "version") or "0")

    def body(self, indicator_id: int, *, draft: bool) -> dict[str, Any]:
        return {"indicator_id": indicator_id, "period": self.period, "qpv_id": self.qpv or None,
                "value": _number_or_raw(self.value), "qualification": self.qualification,
                "comment": self.comment or None, "source": self.source or None, "draft": draft,
                "version": int(self.version) if self.version.isdigit() else self.version}


_VALUE_FIELDS = {"period": "period", "qpv_id": "qpv", "value": "value", "qualification": "qualification",
                 "comment": "comment", "source": "source"}


def _value_message(name: str, error: dict[str, Any], tried: ValueForm) -> str:
    kind = error.get("type", "")
    if name == "value":
        if tried.value == "":
            return "Indiquez la valeur, par exemple 1 234,5."
        return "Saisissez un nombre, par exemple 1 234,5 (virgule ou point pour les décimales)."
    if name == "period":
        return "Choisissez une période dans la liste."
    if name == "qualification":
        return "Choisissez une qualification : provisoire, estimé ou définitif."
    if name in ("comment", "source") and kind == "string_too_long":
        limit = f"{int((error.get('ctx') or {}).get('max_length', 0)):,}".replace(",", "\u202f")
        return f"{'Le commentaire' if name == 'comment' else 'La source'} ne doit pas dépasser {limit} caractères."
    if name == "qpv":
        return "Choisissez un quartier dans la liste."
    return "Valeur invalide."


def value_errors(body: Any, tried: ValueForm) -> dict[str, str]:
    """{field: French message} from a 422 of `POST /submissions`; `_form` holds what fits no field."""
    return _errors(body, _VALUE_FIELDS, lambda name, error: _value_message(name, error, tried),
                   "La valeur a été refusée : vérifiez ce que vous avez saisi.")


# --- the secretariat's refinement of a definition ------------------------------------------------------------

@dataclass
class DefinitionForm:
    version: str = ""
    unit: str = "nombre"
    periodicity: str = "annuelle"
    target: str = ""
    by_qpv: bool = False
    qpv: list[str] = field(default_factory=list)
    negative_allowed: bool = False
    responsible: list[str] = field(default_factory=list)

    @classmethod
    def from_definition(cls, d: dict[str, Any]) -> DefinitionForm:
        target = d.get("target")
        return cls(version=str(d["version"]), unit=d["unit"], periodicity=d["periodicity"],
                   target="" if target is None else number_fr(target).replace("\u202f", " ").replace("−", "-"),
                   by_qpv=bool(d["by_qpv"]), qpv=list(d.get("qpv") or []),
                   negative_allowed=bool(d.get("negative_allowed")), responsible=list(d.get("responsible") or []))

    @classmethod
    def from_form(cls, form: FormData) -> DefinitionForm:
        def many(name: str) -> list[str]:
            return [v for v in form.getlist(name) if isinstance(v, str) and v]

        return cls(version=_text(form, "version"), unit=_text(form, "unit"), periodicity=_text(form, "periodicity"),
                   target=_text(form, "target"), by_qpv=_text(form, "by_qpv") == "oui", qpv=many("qpv"),
                   negative_allowed=_text(form, "negative_allowed") == "oui", responsible=many("responsible"))

    def body(self) -> dict[str, Any]:
        return {"version": int(self.version) if self.version.isdigit() else self.version, "unit": self.unit,
                "periodicity": self.periodicity, "target": _number_or_raw(self.target), "by_qpv": self.by_qpv,
                "qpv": self.qpv if self.by_qpv else [], "negative_allowed": self.negative_allowed,
                "responsible": self.responsible}


_DEFINITION_FIELDS = {name: name for name in ("unit", "periodicity", "target", "by_qpv", "qpv", "negative_allowed",
                                              "responsible")}


def _definition_message(name: str, error: dict[str, Any]) -> str:
    if name == "unit":
        return "Choisissez une unité dans la liste."
    if name == "periodicity":
        return "Choisissez une périodicité dans la liste."
    if name == "target":
        return "Saisissez la cible en nombre, par exemple 1 200, ou laissez le champ vide."
    if name == "responsible":
        return "Cochez au moins une organisation responsable."
    if name == "qpv":
        return "Choisissez les quartiers dans la liste."
    return "Valeur invalide."


def definition_errors(body: Any) -> dict[str, str]:
    return _errors(body, _DEFINITION_FIELDS, _definition_message,
                   "La modification a été refusée : vérifiez les valeurs saisies.")


# --- campaigns -----------------------------------------------------------------------------------------------

@dataclass
class CampaignForm:
    title: str = ""
    period: str = ""
    closes_on: str = ""

    @classmethod
    def from_form(cls, form: FormData) -> CampaignForm:
        return cls(title=_text(form, "title"), period=_text(form, "period"), closes_on=_text(form, "closes_on"))

    def body(self) -> dict[str, Any]:
        return {"title": self.title, "period": self.period, "closes_on": _iso_date(self.closes_on)}


@dataclass
class ReopenForm:
    reason: str = ""
    closes_on: str = ""

    @classmethod
    def from_form(cls, form: FormData) -> ReopenForm:
        return cls(reason=_text(form, "reason"), closes_on=_text(form, "closes_on"))

    def body(self) -> dict[str, Any]:
        return {"reason": self.reason, "closes_on": _iso_date(self.closes_on)}


_CAMPAIGN_FIELDS = {"title": "title", "period": "period", "closes_on": "closes_on", "reason": "reason"}


def _campaign_message(name: str, error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if name == "title":
        if kind == "string_too_long":
            return "L'intitulé ne doit pas dépasser 200 caractères."
        return "Indiquez un intitulé, par exemple « Bilan 2026 »."
    if name == "period":
        return "Indiquez la période : 2026, 2026-S1 ou 2026-T1 par exemple."
    if name == "closes_on":
        return "Saisissez une date valide, par exemple 31/03/2027."
    if name == "reason":
        if kind == "string_too_long":
            return "Le motif ne doit pas dépasser 2\u202f000 caractères."
        return "Indiquez le motif : il est conservé dans l'historique de la campagne."
    return "Valeur invalide."


def campaign_errors(body: Any) -> dict[str, str]:
    return _errors(body, _CAMPAIGN_FIELDS, _campaign_message,
                   "La demande a été refusée : vérifiez les valeurs saisies.")


# --- returning a value for revision --------------------------------------------------------------------------

def reason_errors(body: Any) -> dict[str, str]:
    def message(_name: str, error: dict[str, Any]) -> str:
        if error.get("type") == "string_too_long":
            return "Le motif ne doit pas dépasser 2\u202f000 caractères."
        return "Indiquez le motif du renvoi : il sera montré au référent qui a saisi la valeur."

    return _errors(body, {"reason": "reason"}, message, "Le renvoi a été refusé : vérifiez le motif.")


# --- mapping -------------------------------------------------------------------------------------------------

def _errors(body: Any, fields: dict[str, str], message: Any, fallback: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if isinstance(body, dict) and "errors" not in body:  # a domain refusal: {code, message, field}
        name = fields.get(str(body.get("field") or ""), "_form")
        errors[name] = body.get("message") or fallback
        return errors
    details = body.get("errors") if isinstance(body, dict) else None
    for error in details if isinstance(details, list) else []:
        name = fields.get(str(error.get("field", "")).split(".")[0])
        if name:
            errors.setdefault(name, message(name, error))
        else:
            errors.setdefault("_form", "Le formulaire est incomplet ou périmé : rechargez la page, puis recommencez.")
    return errors or {"_form": fallback}
