"""The reporting periods' grammar (year, semester, quarter): reading, canonical form, order, containment, and the
French reason given for a period that does not read."""

import pytest

from services.indicateurs.periods import Period, PeriodError, Periodicity, check, parse, sort_key


@pytest.mark.parametrize(("text", "months", "canonical", "periodicity"), [
    ("2020", (1, 12), "2020", Periodicity.ANNUELLE),
    ("2020-S1", (1, 6), "2020-S1", Periodicity.SEMESTRIELLE),
    ("2020-s2", (7, 12), "2020-S2", Periodicity.SEMESTRIELLE),
    (" 2020-T1 ", (1, 3), "2020-T1", Periodicity.TRIMESTRIELLE),
    ("2020-t3", (7, 9), "2020-T3", Periodicity.TRIMESTRIELLE),
    ("2020-T4", (10, 12), "2020-T4", Periodicity.TRIMESTRIELLE),
])
def test_a_period_reads_as_its_months_whatever_the_case_and_spaces(text, months, canonical, periodicity) -> None:
    p = parse(text)
    assert (p.year, p.first_month, p.last_month) == (2020, *months)
    assert str(p) == canonical and p.periodicity is periodicity
    assert parse(str(p)) == p


@pytest.mark.parametrize(("text", "reason"), [
    ("2020-S3", "période invalide « 2020-S3 » : un semestre est S1 ou S2"),
    ("2020-T5", "période invalide « 2020-T5 » (attendu : 2020, 2020-S1 ou 2020-T1)"),
    ("20-T1", "période invalide « 20-T1 » (attendu : 2020, 2020-S1 ou 2020-T1)"),
    ("2020 S1", "période invalide « 2020 S1 » (attendu : 2020, 2020-S1 ou 2020-T1)"),
    ("", "période invalide «  » (attendu : 2020, 2020-S1 ou 2020-T1)"),
    ("1999", "période invalide « 1999 » : année hors de 2000-2100"),
    ("2101-T1", "période invalide « 2101-T1 » : année hors de 2000-2100"),
])
def test_a_bad_period_is_refused_with_a_french_reason(text, reason) -> None:
    with pytest.raises(PeriodError) as refused:
        parse(text)
    assert str(refused.value) == reason
    assert isinstance(refused.value, ValueError)


def test_check_gives_the_canonical_form_of_a_period_of_the_indicators_periodicity() -> None:
    assert check("2020-s1", "semestrielle") == "2020-S1"
    assert check(" 2021 ", "annuelle") == "2021"
    with pytest.raises(PeriodError) as refused:
        check("2020", "trimestrielle")
    assert str(refused.value) == ("période hors périodicité : « 2020 » ne convient pas à un indicateur trimestriel "
                                  "(attendu : AAAA-T1 à AAAA-T4, par exemple 2020-T3)")
    with pytest.raises(PeriodError, match="indicateur annuel"):
        check("2020-T1", "annuelle")
    with pytest.raises(PeriodError, match="un semestre est S1 ou S2"):
        check("2020-S4", "semestrielle")


def test_periods_sort_by_time_a_year_before_its_semesters_and_quarters() -> None:
    shuffled = ["2021", "2020-S2", "2020-T2", "2020", "2020-T1", "2020-S1", "2019-T4"]
    assert sorted(shuffled, key=sort_key) == ["2019-T4", "2020", "2020-S1", "2020-T1", "2020-T2", "2020-S2", "2021"]
    assert sort_key("n'importe quoi") < sort_key("2000"), "what does not read as a period sorts first"


@pytest.mark.parametrize(("outer", "inner", "inside"), [
    ("2020", "2020", True),
    ("2020", "2020-S2", True),
    ("2020", "2020-T3", True),
    ("2020-S1", "2020-T2", True),
    ("2020-S1", "2020-T3", False),
    ("2020-S2", "2020-S1", False),
    ("2020-T1", "2020-S1", False),
    ("2020-T1", "2020", False),
    ("2020", "2021-T1", False),
])
def test_a_campaign_period_covers_the_shorter_periods_inside_it(outer, inner, inside) -> None:
    assert parse(outer).contains(parse(inner)) is inside


def test_the_parts_of_a_period_are_the_periods_of_a_periodicity_inside_it() -> None:
    def parts(text: str, periodicity: Periodicity) -> list[str]:
        return [str(p) for p in parse(text).parts(periodicity)]

    assert parts("2020", Periodicity.TRIMESTRIELLE) == ["2020-T1", "2020-T2", "2020-T3", "2020-T4"]
    assert parts("2020", Periodicity.SEMESTRIELLE) == ["2020-S1", "2020-S2"]
    assert parts("2020-S2", Periodicity.TRIMESTRIELLE) == ["2020-T3", "2020-T4"]
    assert parts("2020-S1", Periodicity.SEMESTRIELLE) == ["2020-S1"]
    assert parts("2020-T1", Periodicity.ANNUELLE) == [], "a quarter holds no year"
    assert parts("2020-T2", Periodicity.SEMESTRIELLE) == []
    assert Period(2020, 1, 12).parts(Periodicity.ANNUELLE) == [Period(2020, 1, 12)]
