"""The forms of the engagement and indicator pages: what they send to the services, and the French message each
field gets when a service refuses it."""

from __future__ import annotations

from starlette.datastructures import FormData

from gateway.clients import ServiceError
from gateway.forms import Notice, refusal
from gateway.pages.engagements.forms import PART_FIELDS, PartForm, PartState
from gateway.pages.indicateurs.forms import (
    CAMPAIGN_FIELDS,
    DEFINITION_FIELDS,
    REASON_FIELDS,
    CampaignForm,
    DefinitionForm,
    ValueForm,
    value_fields,
)


def invalid(*errors: dict) -> ServiceError:
    return ServiceError("service", 422, {"code": "invalid", "message": "Requête invalide.", "errors": list(errors)})


def test_a_part_form_sends_raw_values_and_french_dates() -> None:
    form = FormData([("version", "4"), ("status", "en_cours"), ("progress", "40 %"), ("comment", " Bien. "),
                     ("qpv", "malakoff"), ("next_milestone_date", "12/03/2025"), ("action_1_status", "realise"),
                     ("action_1_comment", "fait"), ("action_0_status", "")])
    body = PartForm.from_form(form).body()
    assert body == {"version": 4, "status": "en_cours", "progress": "40", "comment": "Bien.", "qpv": ["malakoff"],
                    "next_milestone": None, "next_milestone_date": "2025-03-12",
                    "actions": [{"index": 1, "status": "realise", "comment": "fait"}]}


def test_a_part_form_shows_the_stored_part_and_opens_after_a_failed_try() -> None:
    part = {"version": 2, "status": "realise", "progress": 100, "comment": None, "qpv": ["bottiere"],
            "actions": [{"index": 0, "status": "en_cours"}]}
    form = PartForm.from_part(part)
    assert (form.version, form.progress, form.comment, form.actions) == ("2", "100", "", {0: ("en_cours", "")})
    assert not PartState(form, notice=Notice("success", "Enregistré.")).open
    assert PartState(form, notice=Notice("conflict", "Changé.")).open and PartState(form, errors={"x": "y"}).open


def test_a_parts_fields_are_explained_in_french() -> None:
    errors = refusal(invalid({"field": "progress", "type": "less_than_equal"},
                             {"field": "comment", "type": "string_too_long", "ctx": {"max_length": 4000}},
                             {"field": "actions.0.status", "type": "enum"}), fields=PART_FIELDS).errors
    assert errors == {"progress": "L'avancement doit être compris entre 0 et 100 %.",
                      "comment": "Le commentaire ne doit pas dépasser 4\u202f000 caractères.",
                      "actions": "Détail par action : choisissez un statut dans la liste pour chaque action "
                                 "renseignée."}


def test_a_value_is_read_the_french_way_and_sent_as_a_number() -> None:
    tried = ValueForm.from_form(FormData([("period", "2024"), ("value", "1 234,5"), ("version", "")]))
    body = tried.body(12, draft=True)
    assert (body["value"], body["qualification"], body["version"], body["draft"]) == (1234.5, "provisoire", 0, True)
    assert ValueForm(value="douze").body(12, draft=False)["value"] == "douze"  # the service says what is wrong
    assert ValueForm.from_submission({"period": "2024", "value": -1500.25, "qualification": "estime",
                                      "version": 3}).value == "-1\u202f500,25"


def test_a_values_message_depends_on_what_was_typed() -> None:
    empty, wrong = ValueForm(value=""), ValueForm(value="douze")
    exc = invalid({"field": "value", "type": "float_parsing"}, {"field": "qpv_id", "type": "missing"})
    assert refusal(exc, fields=value_fields(empty)).errors == {
        "value": "Indiquez la valeur, par exemple 1 234,5.", "qpv": "Choisissez un quartier dans la liste."}
    assert refusal(exc, fields=value_fields(wrong)).errors["value"].startswith("Saisissez un nombre")


def test_a_definition_form_sends_its_target_as_a_number_and_no_qpv_unless_by_qpv() -> None:
    form = DefinitionForm.from_form(FormData([("version", "5"), ("unit", "personnes"), ("periodicity", "annuelle"),
                                              ("target", "1 500"), ("qpv", "malakoff"), ("responsible", "etat")]))
    assert form.body() == {"version": 5, "unit": "personnes", "periodicity": "annuelle", "target": 1500.0,
                           "by_qpv": False, "qpv": [], "negative_allowed": False, "responsible": ["etat"]}
    stored = DefinitionForm.from_definition({"version": 5, "unit": "%", "periodicity": "annuelle", "target": 1234.5,
                                             "by_qpv": True, "qpv": ["malakoff"], "responsible": ["etat"]})
    assert (stored.target, stored.by_qpv) == ("1 234,5", True)
    assert refusal(invalid({"field": "responsible", "type": "too_short"}), fields=DEFINITION_FIELDS).errors == {
        "responsible": "Cochez au moins une organisation responsable."}


def test_campaign_and_reason_forms() -> None:
    assert CampaignForm(title="Bilan 2026", period="2026", closes_on="31/03/2027").body() == {
        "title": "Bilan 2026", "period": "2026", "closes_on": "2027-03-31"}
    assert refusal(invalid({"field": "title", "type": "string_too_long"}), fields=CAMPAIGN_FIELDS).errors == {
        "title": "L'intitulé ne doit pas dépasser 200 caractères."}
    assert refusal(invalid({"field": "reason", "type": "string_too_short"}), fields=REASON_FIELDS).errors == {
        "reason": "Indiquez le motif du renvoi : il sera montré au référent qui a saisi la valeur."}
