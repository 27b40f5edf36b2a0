"""The portal's pure computations: engagements counted by status per axis and theme, values grouped in series."""

from gateway.pages.public import summary


def _e(number: int, axis: int, theme: str, status: str, progress: int) -> dict:
    return {"number": number, "axis_number": axis, "axis_title": f"Axe {axis}", "theme_id": theme,
            "theme_title": theme.title(), "status": status, "progress": progress}


def test_engagements_are_counted_by_status_for_the_contract_each_axis_and_each_theme() -> None:
    progress = summary.progress_by_axis([_e(1, 1, "image", "realise", 100), _e(2, 1, "image", "en_cours", 50),
                                         _e(3, 1, "cadre", "a_lancer", 0), _e(4, 2, "emploi", "en_cours", 30)])
    order = [code for code, _ in progress["statuses"]]
    total = dict(zip(order, progress["total"]["counts"], strict=True))
    assert total == {"a_lancer": 1, "en_cours": 2, "realise": 1, "reporte": 0, "abandonne": 0}
    axis1 = progress["axes"][0]
    assert axis1["total"] == 3 and axis1["progress"] == 50
    assert [(t["label"], t["total"]) for t in axis1["themes"]] == [("Image", 2), ("Cadre", 1)]
    # The bar's segments cover the whole width, in status order, only for statuses present.
    segments = progress["total"]["segments"]
    assert [s["status"] for s in segments] == ["a_lancer", "en_cours", "realise"]
    assert round(sum(s["width"] for s in segments)) == summary.BAR_WIDTH
    assert segments[1]["x"] == segments[0]["width"]


def test_values_are_grouped_by_indicator_in_period_order_and_the_latest_come_first() -> None:
    values = [
        {"indicator_id": 2, "indicator_label": "B", "unit": "nombre", "engagement_number": 5, "period": "2020",
         "qpv_id": None, "qpv_name": None, "organisation_id": "o", "value": 3, "approved_at": "2021-01-02"},
        {"indicator_id": 1, "indicator_label": "A", "unit": "%", "engagement_number": 5, "period": "2020-S2",
         "qpv_id": "m", "qpv_name": "Malakoff", "organisation_id": "o", "value": 2, "approved_at": "2021-03-01"},
        {"indicator_id": 1, "indicator_label": "A", "unit": "%", "engagement_number": 5, "period": "2020-S1",
         "qpv_id": "m", "qpv_name": "Malakoff", "organisation_id": "o", "value": 1, "approved_at": "2020-09-01"},
    ]
    series = summary.series_by_indicator(values)
    assert [s["label"] for s in series] == ["A", "B"]
    assert [v["period"] for v in series[0]["rows"]] == ["2020-S1", "2020-S2"] and series[0]["by_qpv"]
    assert series[0]["latest"] == "2020-S2" and not series[1]["by_qpv"]
    assert [v["value"] for v in summary.latest_values(values, limit=2)] == [2, 3]
