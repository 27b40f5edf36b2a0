"""The chart and the data table of an indicator's series (`gateway.pages.indicateurs.chart`): one row per period,
one column per QPV (and organisation, when several report), and a chart drawn from the same points."""

from __future__ import annotations

from gateway.pages.indicateurs.chart import BOTTOM, HEIGHT, TOP, build_chart, build_table


def point(period: str, value: float, *, qpv: str | None = None, org: str = "ville-nantes",
          qualification: str = "definitif") -> dict:
    return {"period": period, "value": value, "qpv_id": qpv, "qpv_name": qpv.title() if qpv else None,
            "organisation_id": org, "qualification": qualification}


ORGS = {"ville-nantes": "Ville de Nantes", "etat": "État"}


def test_the_table_has_a_row_per_period_in_time_order_and_a_column_per_qpv() -> None:
    series = {"unit": "personnes", "target": None, "points": [
        point("2024", 30, qpv="malakoff"), point("2023", 10, qpv="malakoff"), point("2024", 40, qpv="bottiere")]}
    table = build_table(series, ORGS)
    assert [label for _, label in table["columns"]] == ["Bottiere", "Malakoff"]
    assert [row["period"] for row in table["rows"]] == ["2023", "2024"]
    assert [c and c["value"] for c in table["rows"][0]["cells"]] == [None, 10]  # no value for Bottière in 2023
    assert [c["value"] for c in table["rows"][1]["cells"]] == [40, 30]


def test_a_year_comes_before_its_semesters_and_several_organisations_are_named() -> None:
    series = {"unit": "nombre", "target": None, "points": [
        point("2024-S2", 2), point("2024", 5, org="etat"), point("2024-S1", 1)]}
    table = build_table(series, ORGS)
    assert [row["period"] for row in table["rows"]] == ["2024", "2024-S1", "2024-S2"]
    assert sorted(label for _, label in table["columns"]) == ["Ville de Nantes", "État"]


def test_no_approved_value_no_chart() -> None:
    series = {"unit": "nombre", "target": None, "points": []}
    assert build_chart(series, build_table(series, ORGS)) is None


def test_the_chart_places_higher_values_higher_and_says_what_it_shows() -> None:
    series = {"unit": "personnes", "target": 100,
              "points": [point("2022", 20), point("2023", 60, qualification="estime")]}
    chart = build_chart(series, build_table(series, ORGS))
    assert chart is not None and len(chart.series) == 1
    low, high = chart.series[0].points
    assert low.x < high.x and high.y < low.y  # SVG y grows downwards
    assert TOP <= chart.target_y < high.y <= HEIGHT - BOTTOM  # the target (100) is above every value
    assert high.label == "2023 : 60\u00a0personnes (estimé)"
    assert chart.target_label == "Cible : 100\u00a0personnes"
    assert chart.summary.startswith("Courbe des valeurs approuvées de 2022 à 2023 ; axe vertical en personnes.")
    assert "la cible, 100\u00a0personnes" in chart.summary
    ticks = [label for _, label in chart.y_ticks]
    assert ticks == ["0", "20", "40", "60", "80", "100", "120"]  # round steps from zero, room above the target


def test_negative_values_get_a_zero_line_inside_the_plot() -> None:
    series = {"unit": "%", "target": None, "points": [point("2022", -5.5), point("2023", 12.25)]}
    chart = build_chart(series, build_table(series, ORGS))
    assert chart is not None
    below, above = chart.series[0].points
    assert above.y < chart.zero_y < below.y
    assert below.label == "2022 : −5,5\u202f% (définitif)"


def test_several_series_each_get_their_shape_and_the_summary_counts_them() -> None:
    series = {"unit": "nombre", "target": None, "points": [
        point("2023-T1", 1, qpv="malakoff"), point("2023-T1", 2, qpv="bottiere"), point("2023-T2", 3, qpv="bottiere")]}
    chart = build_chart(series, build_table(series, ORGS))
    assert chart is not None
    assert [s.shape for s in chart.series] == ["circle", "square"]
    assert [len(s.points) for s in chart.series] == [2, 1]  # Bottière, then Malakoff (one value)
    assert chart.series[0].points[0].label == "Bottiere, 1er trimestre 2023 : 2 (définitif)"
    assert chart.summary.startswith("Courbes des valeurs approuvées de 1er trimestre 2023 à 2e trimestre 2023, "
                                    "2 séries")
    assert [label for _, label in chart.x_labels] == ["2023 T1", "2023 T2"]
