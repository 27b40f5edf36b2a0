"""The forms of the indicator pages: the values they show, the bodies sent to the indicateurs service, and a
French message for each field the service refuses (see `gateway.forms` for how a refusal is shown).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from gateway.formatting import parse_number
from gateway.forms import Fields, form_version, iso_date, text, texts, too_long
from kernel.french import number_fr


def _number_or_raw(typed: str) -> float | str | None:
    if typed == "":
        return None
    number = parse_number(typed)
    return number if number is not None else typed


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
        return cls(period=text(form, "period"), qpv=text(form, "qpv"), value=text(form, "value"),
                   qualification=text(form, "qualification") or "provisoire", comment=text(form, "comment"),
                   source=text(form, "source"), version=text(form, "version") or "0")

    def body(self, indicator_id: int, *, draft: bool) -> dict[str, Any]:
        return {"indicator_id": indicator_id, "period": self.period, "qpv_id": self.qpv or None,
                "value": _number_or_raw(self.value), "qualification": self.qualification,
                "comment": self.comment or None, "source": self.source or None, "draft": draft,
                "version": form_version(self.version)}


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
        return too_long("Le commentaire" if name == "comment" else "La source", error)
    if name == "qpv":
        return "Choisissez un quartier dans la liste."
    return "Valeur invalide."


def value_fields(tried: ValueForm) -> Fields:
    """The fields of a value's form (their messages depend on what was typed)."""
    return Fields(_VALUE_FIELDS, lambda name, error: _value_message(name, error, tried),
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
        return cls(version=text(form, "version"), unit=text(form, "unit"), periodicity=text(form, "periodicity"),
                   target=text(form, "target"), by_qpv=text(form, "by_qpv") == "oui", qpv=texts(form, "qpv"),
                   negative_allowed=text(form, "negative_allowed") == "oui", responsible=texts(form, "responsible"))

    def body(self) -> dict[str, Any]:
        return {"version": form_version(self.version), "unit": self.unit,
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


DEFINITION_FIELDS = Fields(_DEFINITION_FIELDS, _definition_message,
                           "La modification a été refusée : vérifiez les valeurs saisies.")


# --- campaigns -----------------------------------------------------------------------------------------------

@dataclass
class CampaignForm:
    title: str = ""
    period: str = ""
    closes_on: str = ""

    @classmethod
    def from_form(cls, form: FormData) -> CampaignForm:
        return cls(title=text(form, "title"), period=text(form, "period"), closes_on=text(form, "closes_on"))

    def body(self) -> dict[str, Any]:
        return {"title": self.title, "period": self.period, "closes_on": iso_date(self.closes_on)}


@dataclass
class ReopenForm:
    reason: str = ""
    closes_on: str = ""

    @classmethod
    def from_form(cls, form: FormData) -> ReopenForm:
        return cls(reason=text(form, "reason"), closes_on=text(form, "closes_on"))

    def body(self) -> dict[str, Any]:
        return {"reason": self.reason, "closes_on": iso_date(self.closes_on)}


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


CAMPAIGN_FIELDS = Fields(_CAMPAIGN_FIELDS, _campaign_message,
                         "La demande a été refusée : vérifiez les valeurs saisies.")


# --- returning a value for revision --------------------------------------------------------------------------

def _reason_message(_name: str, error: dict[str, Any]) -> str:
    if error.get("type") == "string_too_long":
        return "Le motif ne doit pas dépasser 2\u202f000 caractères."
    return "Indiquez le motif du renvoi : il sera montré au référent qui a saisi la valeur."


REASON_FIELDS = Fields({"reason": "reason"}, _reason_message, "Le renvoi a été refusé : vérifiez le motif.")
