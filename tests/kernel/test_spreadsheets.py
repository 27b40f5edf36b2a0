"""Every export written for spreadsheets (CSV and .xlsx) neutralises a text that a spreadsheet would run as a
formula (`=`, `+`, `-`, `@`, tab, carriage return), and leaves numbers alone."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from kernel.spreadsheets import Sheet, cell_text, safe, to_csv, to_xlsx

DANGEROUS = ["=HYPERLINK(\"http://x\";\"clic\")", "+33 6 12", "-2+3", "@SUM(A1:A9)", "\tcmd", "\r=1"]


def test_a_text_that_starts_a_formula_gets_an_apostrophe_and_numbers_stay_numbers() -> None:
    assert [safe(t) for t in DANGEROUS] == ["'" + t for t in DANGEROUS]
    assert safe("Nombre de places") == "Nombre de places" and safe("a=b") == "a=b"
    assert safe(-2.5) == -2.5 and safe(-3) == -3 and safe(None) is None


def test_csv_cells_are_neutralised() -> None:
    text = to_csv(["colonne", "valeur"], [[t, -1.5] for t in DANGEROUS], sep=";")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0] == ["colonne", "valeur"]
    assert [r[0] for r in rows[1:]] == ["'" + t for t in DANGEROUS]
    assert {r[1] for r in rows[1:]} == {"-1.5"}, "a negative number is data, not a formula"


def test_xlsx_cells_are_text_never_formulas() -> None:
    content = to_xlsx([Sheet("Feuille", ["colonne", "valeur", "quand"],
                             [[t, -4, datetime(2025, 3, 1, 12, tzinfo=UTC)] for t in DANGEROUS])])
    sheet = load_workbook(io.BytesIO(content))["Feuille"]
    for row, dangerous in zip(sheet.iter_rows(min_row=2), DANGEROUS, strict=True):
        assert row[0].data_type == "s" and row[0].value == ("'" + dangerous).replace("\r", "\n")  # XML: CR read as LF
        assert row[1].value == -4 and row[2].value == datetime(2025, 3, 1, 12)


def test_a_spreadsheet_cell_reads_as_a_csv_would_hold_it() -> None:
    assert [cell_text(v) for v in (12.0, 12.5, 2020, None, datetime(2024, 3, 31), True)] == [
        "12", "12.5", "2020", "", "2024-03-31", "1"]


def test_no_module_writes_a_spreadsheet_without_the_kernel_helper() -> None:
    """One writer for every export: a module writing CSV or .xlsx by itself would skip the neutralisation."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    writers = ("csv.writer(", "csv.DictWriter(", "Workbook(", "xlsxwriter")
    offenders = [str(path.relative_to(root)) for folder in ("gateway", "services", "kernel")
                 for path in (root / folder).rglob("*.py")
                 if path.name != "spreadsheets.py" and any(w in path.read_text(encoding="utf-8") for w in writers)]
    assert offenders == [], f"write exports through kernel.spreadsheets: {offenders}"
