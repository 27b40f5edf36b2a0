"""How the pages write numbers, units, dates and periods in French, and which periods a form proposes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from gateway.formatting import change_value, parse_number, period_fr, with_unit
from gateway.pages.indicateurs.period_choices import default_period, parts_of, period_choices, periodicity_of
from kernel import french
from kernel.french import datetime_fr, day_fr, folded, number_fr, time_fr


def test_numbers_and_units() -> None:
    assert number_fr(1234567.5) == "1\u202f234\u202f567,5" and number_fr(-3) == "−3" and number_fr(None) == ""
    assert with_unit(12.5, "%") == "12,5\u202f%" and with_unit(1200, "euros") == "1\u202f200\u00a0€"
    assert with_unit(1, "personnes") == "1\u00a0personne" and with_unit(35, "personnes") == "35\u00a0personnes"
    assert with_unit(120, "nombre") == "120"
    assert parse_number("1 234,5") == 1234.5 and parse_number("1234.5") == 1234.5
    assert parse_number("−2") == -2 and parse_number("douze") is None and parse_number("inf") is None


def test_dates_in_paris_time() -> None:
    assert day_fr("2025-03-01") == "1er mars 2025"
    assert datetime_fr("2025-07-14T08:05:00+00:00") == "14 juillet 2025 à 10 h 05"
    assert datetime_fr(datetime(2025, 1, 2, 23, 30)) == "3 janvier 2025 à 0 h 30"  # naive means UTC
    assert time_fr("2026-07-01T17:30:00+02:00") == "17 h 30" and time_fr("2026-07-01") == ""


def test_the_day_is_the_day_in_paris(monkeypatch: pytest.MonkeyPatch) -> None:
    """At 23:30 UTC on New Year's Eve it is already the new year in Nantes: pages and caches count from that day."""

    class NewYearsEve(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return datetime(2026, 12, 31, 23, 30, tzinfo=UTC).astimezone(tz)

    monkeypatch.setattr(french, "datetime", NewYearsEve)
    assert french.today() == date(2027, 1, 1)


def test_periods_in_words() -> None:
    assert [period_fr(p) for p in ("2020", "2020-S1", "2020-S2", "2020-T3", "n'importe")] == [
        "2020", "1er semestre 2020", "2e semestre 2020", "3e trimestre 2020", "n'importe"]


def test_periods_inside_a_period() -> None:
    assert periodicity_of("2024-T2") == "trimestrielle" and periodicity_of("2024-S3") is None
    assert parts_of("2024", "semestrielle") == ["2024-S1", "2024-S2"]
    assert parts_of("2024-S2", "trimestrielle") == ["2024-T3", "2024-T4"]
    assert parts_of("2024-S1", "annuelle") == [] and parts_of("bilan", "annuelle") == []


def test_the_periods_a_form_proposes() -> None:
    now = datetime(2025, 8, 20)
    choices = period_choices("semestrielle", now=now, extra=["2026-S1", "2026"])
    assert choices[:3] == ["2026-S1", "2025-S2", "2025-S1"] and choices[-1] == "2015-S1"
    assert default_period("trimestrielle", [], now=now) == "2025-T2"  # the last quarter completed
    assert default_period("annuelle", ["2026", "2024"], now=now) == "2026"  # an open campaign first
    assert default_period("semestrielle", [], now=datetime(2025, 3, 1)) == "2024-S2"
    # without an open campaign, a period a closed campaign locks is not proposed: it would be refused
    assert default_period("annuelle", [], locked={"2024", "2023"}, now=now) == "2022"
    assert default_period("trimestrielle", [], locked={"2025-T2"}, now=now) == "2025-T1"


def test_history_changes_and_sorting_names() -> None:
    assert change_value("status", "en_cours") == "En cours" and change_value("qpv", []) == "non renseigné"
    assert change_value("qpv", ["malakoff"], {"malakoff": "Malakoff"}) == "Malakoff"
    assert sorted(["Zola", "État", "Ecole"], key=folded) == ["Ecole", "État", "Zola"]
    # a header or a title typed in a spreadsheet matches whatever its case, accents and spaces
    assert folded("  Développement   Économique ") == folded("developpement economique") == "developpement economique"


def test_every_organisation_of_the_default_contract_takes_its_article() -> None:
    from pathlib import Path

    from gateway.contract import validation
    from gateway.formatting import of_org, to_org

    contract = validation.load_file(Path(__file__).resolve().parents[3] / "contracts" / "nantes-metropole-2019.yaml")
    expected = {
        "nantes-metropole": "de Nantes Métropole", "ville-nantes": "de la Ville de Nantes",
        "ville-orvault": "de la Ville d'Orvault", "ville-reze": "de la Ville de Rezé",
        "ville-saint-herblain": "de la Ville de Saint-Herblain", "departement-loire-atlantique": "du Conseil",
        "etat-prefecture": "de l'État – Préfecture", "etat-ddsp": "de l'État – Direction",
        "etat-ddcs": "de l'État – Direction", "etat-dsden": "de l'État – Direction",
        "etat-ddtm": "de l'État – Direction", "etat-drac": "de l'État – Direction", "ars": "de l'Agence régionale",
        "anru": "de l'Agence nationale", "caf": "de la Caisse d'allocations", "cpam": "de la Caisse primaire",
        "pole-emploi": "de Pôle emploi", "banque-des-territoires": "de la Banque des Territoires",
        "atdec": "de l'ATDEC", "plie": "du PLIE", "accoord": "d'ACCOORD", "amenageurs": "des Aménageurs",
        "urml": "de l'URML", "reso-villes": "de RésO Villes", "inter-associatif": "de l'Inter-associatif",
        "groupe-culture": "du Groupe thématique", "conseils-citoyens": "des Conseils citoyens",
        "inter-bailleurs": "de l'Inter-bailleurs", "nantes-metropole-habitat": "de Nantes Métropole Habitat",
        "cdc-habitat-social": "de CDC Habitat Social", "harmonie-habitat": "d'Harmonie Habitat",
        "aiguillon-construction": "d'Aiguillon Construction", "la-nantaise-d-habitations": "de La Nantaise",
        "atlantique-habitations": "d'Atlantique Habitations", "habitat-44": "d'Habitat 44", "vilogia": "de Vilogia",
    }
    assert {o.id for o in contract.organisations} == set(expected), "every organisation has its expected form"
    for o in contract.organisations:
        assert of_org(o.name).startswith(expected[o.id]), (o.id, of_org(o.name))
        assert " de État" not in of_org(o.name) and "de le " not in of_org(o.name)
    assert to_org("Ville de Nantes") == "à la Ville de Nantes" and to_org("Conseil départemental") == \
        "au Conseil départemental" and to_org("État – DDSP") == "à l'État – DDSP" and to_org("Vilogia") == \
        "à Vilogia" and to_org("Aménageurs") == "aux Aménageurs"
