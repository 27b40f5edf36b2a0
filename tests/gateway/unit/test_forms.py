"""The outcome of a form after a service refused it (`gateway.forms`), and reading what was typed: pure functions,
no service needed."""

from __future__ import annotations

import pytest
from starlette.datastructures import FormData

from gateway.clients import ServiceError
from gateway.forms import Fields, Notice, changed_meanwhile, form_version, iso_date, refusal, text, texts

FIELDS = Fields({"progress": "progress", "qpv_id": "qpv"},
                lambda name, error: f"{name} : {error.get('type')}", "Vérifiez les valeurs saisies.")


def error(status: int, body: object) -> ServiceError:
    return ServiceError("engagements", status, body)


def test_a_403_says_the_services_reason_and_that_nothing_was_saved() -> None:
    outcome = refusal(error(403, {"code": "forbidden", "message": "Seul un référent peut saisir."}), place="saisie")
    assert outcome.status_code == 403 and outcome.errors == {}
    assert outcome.notice == Notice("refused", "Seul un référent peut saisir. Rien n'a été enregistré.", "saisie")


def test_a_403_without_a_reason_falls_back_and_a_form_may_say_its_own() -> None:
    assert refusal(error(403, "Forbidden"), fallback="Saisie refusée.").notice.text == \
        "Saisie refusée. Rien n'a été enregistré."
    assert refusal(error(403, {}), refused="Réservé au secrétariat.").notice.text == "Réservé au secrétariat."


def test_a_409_with_the_stored_version_shows_it_beside_what_was_sent() -> None:
    current = {"status": "realise", "updated_by_name": "Claire Dubois", "updated_at": "2025-03-12T13:05:00+00:00"}
    outcome = refusal(error(409, {"code": "conflict", "message": "Modifiée.", "current": current}), tried="saisie",
                      changed=lambda c: changed_meanwhile(c, "cette part", "votre mise à jour"))
    notice = outcome.notice
    assert (outcome.status_code, notice.kind, notice.current, notice.tried) == (409, "conflict", current, "saisie")
    assert notice.text.startswith("Quelqu'un a modifié cette part entre-temps (Claire Dubois, le 12 mars 2025 à "
                                  "14 h 05) : votre mise à jour n'a pas été enregistrée.")


def test_a_409_without_the_stored_version_says_the_services_reason() -> None:
    outcome = refusal(error(409, {"code": "conflict", "message": "La campagne est déjà close."}),
                      changed=lambda c: "jamais", nothing_done="Rien n'a été changé.")
    assert outcome.notice == Notice("conflict", "La campagne est déjà close. Rien n'a été changé.")
    assert refusal(error(409, {"message": "Déjà saisie."}), conflict="Autre texte.").notice.text == "Autre texte."


def test_a_422_puts_a_message_next_to_each_field_and_a_summary_on_top() -> None:
    body = {"code": "invalid", "message": "Requête invalide.",
            "errors": [{"field": "progress", "type": "less_than_equal"}, {"field": "qpv_id.0", "type": "missing"},
                       {"field": "progress", "type": "int_parsing"}]}
    outcome = refusal(error(422, body), place="p1", fields=FIELDS, invalid="Corrigez les champs signalés.")
    assert outcome.status_code == 422
    assert outcome.notice == Notice("error", "Corrigez les champs signalés.", "p1")
    assert outcome.errors == {"progress": "progress : less_than_equal", "qpv": "qpv : missing"}  # first one wins


def test_a_422_on_a_field_the_form_does_not_have_asks_to_reload() -> None:
    outcome = refusal(error(422, {"errors": [{"field": "version", "type": "int_parsing"}]}), fields=FIELDS)
    assert outcome.errors == {"_form": "Le formulaire est incomplet ou périmé : rechargez la page, puis recommencez."}


def test_a_domain_422_names_its_field_or_the_whole_form() -> None:
    named = refusal(error(422, {"code": "invalid", "message": "QPV inconnu : x", "field": "qpv_id"}), fields=FIELDS)
    assert named.errors == {"qpv": "QPV inconnu : x"}
    unnamed = refusal(error(422, {"code": "invalid", "message": "Période verrouillée."}), fields=FIELDS)
    assert unnamed.errors == {"_form": "Période verrouillée."}
    assert refusal(error(422, "not json"), fields=FIELDS).errors == {"_form": "Vérifiez les valeurs saisies."}


def test_a_422_without_fields_says_the_reason_and_413_is_refused_the_same_way() -> None:
    assert refusal(error(422, {"message": "En-tête illisible."})).notice == \
        Notice("error", "En-tête illisible. Rien n'a été enregistré.")
    too_big = refusal(error(413, {"message": "Fichier trop volumineux (20 Mo au plus)."}))
    assert (too_big.status_code, too_big.notice.kind) == (413, "error")


@pytest.mark.parametrize("status", [400, 401, 404, 500, 502])
def test_other_errors_are_not_a_forms_business(status: int) -> None:
    exc = error(status, {"message": "?"})
    with pytest.raises(ServiceError) as raised:
        refusal(exc)
    assert raised.value is exc


def test_a_notice_moves_to_another_place_unchanged_otherwise() -> None:
    notice = Notice("conflict", "Changé.", "saisie", current={"version": 2}, tried="x")
    assert notice.at("haut") == Notice("conflict", "Changé.", "haut", current={"version": 2}, tried="x")
    assert notice.place == "saisie"


def test_what_was_typed_is_read_trimmed() -> None:
    form = FormData([("name", "  Camille "), ("qpv", "malakoff"), ("qpv", ""), ("qpv", "bottiere")])
    assert text(form, "name") == "Camille" and text(form, "absent") == ""
    assert texts(form, "qpv") == ["malakoff", "bottiere"]


def test_dates_typed_the_french_way_and_versions() -> None:
    assert iso_date("31/03/2027") == "2027-03-31" and iso_date(" 1/4/2027 ") == "2027-04-01"
    assert iso_date("2027-03-31") == "2027-03-31" and iso_date("demain") == "demain" and iso_date("") is None
    assert form_version("3") == 3 and form_version("3a") == "3a"
