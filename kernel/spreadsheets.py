"""Tables written for spreadsheets (CSV and .xlsx), with the cells that a spreadsheet would run neutralised.

A text cell beginning with `=`, `+`, `-` or `@` (or a tab or carriage return) is a formula to Excel and
LibreOffice: a value typed by one organisation could run in the secretariat's spreadsheet (CSV injection, OWASP).
Every export goes through `safe` here, which prefixes such a text with an apostrophe, the spreadsheets' own mark
of "text, not formula"; numbers stay numbers (a negative value is not text and is not touched).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe(value: Any) -> Any:
    """A cell's value as a spreadsheet may show it: a text that would start a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 12, not 12.0
    return safe(value)


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]], sep: str = ",") -> str:
    """RFC 4180 CSV (CRLF line ends), one header line, every text cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\r\n")
    writer.writerow([safe(h) for h in header])
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return out.getvalue()


@dataclass
class Sheet:
    """One sheet of a workbook: a header row (bold, frozen, filtered) and its rows.

    `widths` are column widths in characters (default 14). `locked` names header columns a person must not edit:
    the sheet is then protected, those columns greyed and locked, every other column left open (a template).
    """

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]
    widths: Sequence[int] = ()
    locked: Sequence[str] = field(default_factory=tuple)


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """An .xlsx workbook; every text cell is written as text (never a formula) and neutralised as in CSV."""
    from openpyxl import Workbook  # imported here: only exports and templates need it
    from openpyxl.styles import Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    grey = PatternFill("solid", start_color="E8E8E8", end_color="E8E8E8")
    for sheet in sheets:
        ws = workbook.create_sheet(title=sheet.title[:31])
        ws.append([safe(h) for h in sheet.header])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        locked_columns = {i for i, h in enumerate(sheet.header, start=1) if h in sheet.locked}
        for row in sheet.rows:
            values = []
            for value in row:
                if isinstance(value, datetime) and value.tzinfo is not None:
                    value = value.replace(tzinfo=None)  # Excel has no time zones: written as stored (UTC)
                values.append(safe(value))
            ws.append(values)
        for cell in ws.iter_rows(min_row=2):
            for c in cell:
                if isinstance(c.value, str):
                    c.data_type = "s"  # text, whatever it looks like
                if locked_columns:
                    c.protection = Protection(locked=c.column in locked_columns)
                    if c.column in locked_columns:
                        c.fill = grey
        for i in range(1, len(sheet.header) + 1):
            width = sheet.widths[i - 1] if i - 1 < len(sheet.widths) else 14
            dimension = ws.column_dimensions[get_column_letter(i)]
            dimension.width = width
            if locked_columns and i not in locked_columns:
                dimension.protection = Protection(locked=False)  # new lines may be typed below the template's
        ws.freeze_panes = "A2"
        if ws.max_row > 1:
            ws.auto_filter.ref = ws.dimensions
        if locked_columns:
            ws.protection.sheet = True  # no password: a guard against slips, not a lock
            ws.protection.autoFilter = False
            ws.protection.sort = False
            ws.protection.formatColumns = False
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def cell_text(value: Any) -> str:
    """A cell read from a spreadsheet as the text a CSV would hold: 12 not 12.0, dates as ISO, None as ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
