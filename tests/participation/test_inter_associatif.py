"""The inter-associatif's « appel à participation » in the participation service: checks of the application, the
signed confirmation link, duplicates, the rate limit per client address, and who decides."""

from __future__ import annotations

import json

from sqlmodel import select

from services.participation.models import metadata
from services.participation.service.applications import check_identifier, luhn_ok
from tests.participation.conftest import SECRETARIAT, person
from tests.participation.test_authorization import PUBLIC

VALID = {"association_name": "Les Amis du Square", "identifier": "W442009876", "qpv_id": "malakoff",
         "purpose": "Animations de pied d'immeuble.", "contact_name": "Nadia Haddad",
         "contact_email": "nadia@exemple.test", "consent": True, "client_address": "203.0.113.7"}


async def _events(gov, kind: str) -> list[dict]:  # type: ignore[no-untyped-def]
    """The events of this type written to the outbox, oldest first."""
    outbox = metadata.tables["outbox"]
    async with gov.running.runtime.db.session() as session:
        rows = (await session.exec(select(outbox.c.envelope).order_by(outbox.c.position))).all()
    return [e for e in (json.loads(r) for r in rows) if e["type"] == kind]


async def _apply(gov, **changes):  # type: ignore[no-untyped-def]
    return await gov.call("POST", "/applications", PUBLIC, json=VALID | changes)


async def _confirmed(gov, **changes) -> str:  # type: ignore[no-untyped-def]
    response = await _apply(gov, **changes)
    assert response.status_code == 202, response.text
    [event] = [e for e in await _events(gov, "cdv.participation-internal.application.confirmation_requested")
               if e["data"]["application_id"] == response.json()["id"]]
    token = event["data"]["link"].rsplit("/", 1)[1]
    confirmed = await gov.call("POST", "/applications/confirm", PUBLIC, json={"token": token})
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "pending", confirmed.text
    return response.json()["id"]


def test_rna_and_siren_numbers_are_checked() -> None:
    assert check_identifier(" w 442 001 234 ") == ("W442001234", None)
    assert check_identifier("732 829 320") == (None, "732829320")  # a real SIREN's Luhn key
    assert luhn_ok("732829320") and not luhn_ok("732829321")


async def test_bad_applications_get_clear_french_errors_and_record_nothing(gov) -> None:
    cases = {
        "W12345": ("identifier", "Numéro RNA invalide"),
        "W44200123X": ("identifier", "Numéro RNA invalide"),
        "732829321": ("identifier", "clé de contrôle"),
        "12345": ("identifier", "RNA (W suivi de 9 chiffres) ou le SIREN"),
        "": ("identifier", "champ obligatoire"),
    }
    for typed, (field, words) in cases.items():
        response = await _apply(gov, identifier=typed)
        assert response.status_code == 422 and response.json()["field"] == field, (typed, response.text)
        assert words in response.json()["message"], response.json()
    too_long = await _apply(gov, purpose="x" * 2001)
    assert too_long.status_code == 422 and "2000 caractères au plus" in too_long.json()["message"]
    huge = await _apply(gov, purpose="x" * 50_000)
    assert huge.status_code == 422 and "texte trop long" in huge.json()["message"]
    no_consent = await _apply(gov, consent=False)
    assert no_consent.status_code == 422 and no_consent.json()["field"] == "consent"
    bad_mail = await _apply(gov, contact_email="nadia@")
    assert bad_mail.status_code == 422 and "Adresse e-mail invalide" in bad_mail.json()["message"]
    unknown_qpv = await _apply(gov, qpv_id="atlantide")
    assert unknown_qpv.status_code == 422 and unknown_qpv.json()["field"] == "qpv_id"
    assert await _events(gov, "cdv.participation-internal.application.confirmation_requested") == []


async def test_an_application_counts_once_confirmed_and_a_duplicate_is_refused(gov) -> None:
    first = await _apply(gov, client_address="198.51.100.1")
    assert first.status_code == 202
    assert await gov.ok("GET", "/applications") == []  # unconfirmed: nobody sees it yet
    forged = await gov.call("POST", "/applications/confirm", PUBLIC, json={"token": "pas-un-jeton"})
    assert forged.status_code == 404 and "n'est pas valide" in forged.json()["message"]
    application_id = await _confirmed(gov, client_address="198.51.100.2")
    [pending] = await gov.ok("GET", "/applications")
    assert pending["id"] == application_id and pending["contact_email"] == "nadia@exemple.test"
    [submitted] = await _events(gov, "cdv.participation.application.submitted")
    assert "nadia" not in json.dumps(submitted).lower()  # public: no personal data

    again = await _apply(gov, client_address="198.51.100.3", identifier="W 442 009 876")
    assert again.status_code == 422
    assert again.json()["message"] == ("Une candidature de l'association n° W442009876 attend déjà une décision : "
                                       "inutile de la déposer de nouveau.")
    # The first, unconfirmed one cannot make a second live application either.
    [request] = [e for e in await _events(gov, "cdv.participation-internal.application.confirmation_requested")
                 if e["data"]["application_id"] == first.json()["id"]]
    late = await gov.call("POST", "/applications/confirm", PUBLIC,
                          json={"token": request["data"]["link"].rsplit("/", 1)[1]})
    assert late.status_code == 422 and "attend déjà une décision" in late.json()["message"]

    accepted = await gov.call("POST", f"/applications/{application_id}/decision", SECRETARIAT,
                              json={"accepted": True, "version": pending["version"]})
    assert accepted.status_code == 200, accepted.text
    member = await _apply(gov, client_address="198.51.100.4")
    assert member.status_code == 422 and "est déjà membre de l'inter-associatif" in member.json()["message"]


async def test_too_many_applications_from_one_address_are_refused(gov) -> None:
    for n in range(5):
        ok = await _apply(gov, identifier=f"W44200000{n}", client_address="192.0.2.9")
        assert ok.status_code == 202, ok.text
    refused = await _apply(gov, identifier="W442000009", client_address="192.0.2.9")
    assert refused.status_code == 429 and "Trop de candidatures" in refused.json()["message"]
    elsewhere = await _apply(gov, identifier="W442000009", client_address="192.0.2.10")
    assert elsewhere.status_code == 202


async def test_who_decides_and_what_the_public_sees(gov) -> None:
    application_id = await _confirmed(gov)
    coordinator = person("Coordinatrice Inter-asso", "inter-associatif")
    outsider = person("Référent Extérieur", "ville-reze")
    for who in (PUBLIC, outsider):
        listing = await gov.call("GET", "/applications", who)
        decision = await gov.call("POST", f"/applications/{application_id}/decision", who,
                                  json={"accepted": True, "version": 2})
        for response in (listing, decision):
            assert response.status_code == 403 and "coordinateurs de l'inter-associatif" in response.json()["message"]
    assert (await gov.ok("GET", "/associations", PUBLIC))["members"] == []
    no_reason = await gov.call("POST", f"/applications/{application_id}/decision", coordinator,
                               json={"accepted": False, "version": 2})
    assert no_reason.status_code == 422 and "Raison" in no_reason.json()["message"]
    accepted = await gov.ok("POST", f"/applications/{application_id}/decision", coordinator,
                            json={"accepted": True, "reason": "Bienvenue !", "version": 2})
    assert accepted["status"] == "accepted"
    public = await gov.ok("GET", "/associations", PUBLIC)
    assert public["active_count"] == 1 and not public["may_decide"]
    [shown] = public["members"]
    assert shown["name"] == "Les Amis du Square" and "contact_name" not in shown and "contact_email" not in shown
    [changed] = await _events(gov, "cdv.participation.association.membership_changed")
    assert changed["data"]["active"] and changed["data"]["active_count"] == 1
    assert "nadia" not in json.dumps(changed).lower()
    [measure] = [e for e in await _events(gov, "cdv.participation.measure.computed")
                 if e["data"]["indicator_label"].startswith("Nombre d'associations actives")]
    assert (measure["data"]["engagement_number"], measure["data"]["value"]) == (47, 1)
    [answered] = await _events(gov, "cdv.participation-internal.application.answered")
    assert answered["data"]["accepted"] and answered["data"]["email"] == "nadia@exemple.test"

    left = await gov.call("POST", f"/associations/{application_id}/end", outsider, json={"version": 3})
    assert left.status_code == 403
    await gov.ok("POST", f"/associations/{application_id}/end", SECRETARIAT, json={"version": 3})
    assert (await gov.ok("GET", "/associations", PUBLIC))["active_count"] == 0
    assert [e["data"]["value"] for e in await _events(gov, "cdv.participation.measure.computed")
            if e["data"]["indicator_label"].startswith("Nombre d'associations actives")] == [1, 0]
