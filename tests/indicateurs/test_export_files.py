"""The indicator exports written for spreadsheets (CSV and .xlsx): a text cell that would start a formula is
neutralised, a negative value stays a number."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from services.indicateurs import exports


def test_the_indicator_exports_neutralise_a_label_and_keep_negative_values() -> None:
    row = {"contract_id": "c", "engagement_number": 1, "indicator_id": 7, "indicator_label": "=1+1",
           "unit": "%", "period": "2024", "qpv_id": None, "qpv_code": None, "qpv_name": None, "value": -2.5,
           "qualification": "provisoire", "organisation_id": "@org", "approved_at": None, "version": 1}
    lines = exports.to_csv([row]).splitlines()
    assert ",'=1+1,%,2024,,,-2.5,provisoire,'@org,,1" in lines[1]
    sheet = load_workbook(io.BytesIO(exports.to_xlsx([row])))["Valeurs"]
    values = [c.value for c in sheet[2]]
    assert values[3] == "'=1+1" and values[8] == -2.5 and values[10] == "'@org"
