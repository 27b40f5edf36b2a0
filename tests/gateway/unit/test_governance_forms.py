"""The governance pages' reading of participation's refusals and of their forms: pure functions, no service."""

from __future__ import annotations

import pytest

from gateway.clients import ServiceError
from gateway.forms import Notice
from gateway.pages.participation.common import NotNumbers, local_datetime, numbers, refused, wrong_hours


def error(status: int, body: object) -> ServiceError:
    return ServiceError("participation", status, body)


def test_a_domain_refusal_says_participations_reason_beside_its_form() -> None:
    outcome = refused(error(422, {"code": "invalid", "message": "Publication tardive : donnez une raison.",
                                  "field": "late_reason"}), "publish")
    assert outcome.status_code == 422
    assert outcome.notice == Notice("error", "Publication tardive : donnez une raison. Rien n'a été enregistré.",
                                    "publish")
    assert refused(error(403, {"code": "forbidden", "message": "Réservé au secrétariat."}), "draft").notice == \
        Notice("refused", "Réservé au secrétariat. Rien n'a été enregistré.", "draft")


def test_a_request_participation_could_not_read_names_the_first_field_in_french() -> None:
    body = {"code": "invalid", "message": "Requête invalide : lines.0.status : valeur non permise.",
            "errors": [{"field": "lines.0.status", "type": "literal_error", "message": "valeur non permise"},
                       {"field": "title", "type": "missing", "message": "champ obligatoire"}]}
    assert refused(error(422, body), "attendance").notice.text == \
        "Présences : valeur non permise. Rien n'a été enregistré."


def test_what_is_not_a_refusal_is_an_error_page() -> None:
    with pytest.raises(ServiceError):
        refused(error(404, {"code": "not_found", "message": "Réunion introuvable."}), "draft")
    with pytest.raises(ServiceError):
        refused(error(500, None), "draft")


def test_dates_times_and_engagement_numbers_as_typed() -> None:
    assert local_datetime("2026-03-12", "09:30") == "2026-03-12T09:30:00"
    assert local_datetime("12/03/2026", "") == "2026-03-12T09:00:00"  # no date picker; 9 h by default
    assert local_datetime("", "09:30") is None and local_datetime("demain", "9h") == "demainT9h"
    assert wrong_hours({"start": "09:30", "end": "12"}) is None and wrong_hours({}) is None
    assert wrong_hours({"start": "09:30", "end": "25:99"}).startswith("Heure de fin : « 25:99 » n'est pas une heure")
    assert numbers("12, 47;3") == numbers("n° 12 ; 47 3") == [12, 47, 3] and numbers("") == []
    with pytest.raises(NotNumbers, match="Engagements concernés : « x » n'est pas un numéro d'engagement"):
        numbers("12, 47;3 x", "Engagements concernés")
