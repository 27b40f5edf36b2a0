"""Tables written for spreadsheets (CSV and .xlsx), with the cells that a spreadsheet would run neutralised, and
spreadsheets read back as lines of texts (CSV in UTF-8 or Windows-1252 with `;` or `,`, or an .xlsx sheet).

A text cell beginning with `=`, `+`, `-` or `@` (or a tab or carriage return) is a formula to Excel and
LibreOffice: a value typed by one organisation could run in the secretariat's spreadsheet (CSV injection, OWASP).
Every export goes through `safe` here, which prefixes such a text with an apostrophe, the spreadsheets' own mark
of "text, not formula"; numbers stay numbers (a negative value is not text and is not touched).
"""

from __future__ import annotations

import csv
import io
import zipfile
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


# --- reading a file a person sends: CSV or .xlsx as lines of texts ------------------------------------------------

Lines = list[tuple[int, list[str]]]  # (line number where the record starts, its cells as texts)
ZIP_MAGIC = b"PK\x03\x04"
OLD_EXCEL_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97-2003), not read
MAX_UNPACKED = 200_000_000
MAX_ROWS = 200_000
UNREADABLE = "fichier Excel illisible : enregistrez-le de nouveau au format .xlsx, ou en CSV"


class Unreadable(Exception):
    """The workbook cannot be read; the message says why, in French."""


def is_xlsx(content: bytes) -> bool:
    return content.startswith(ZIP_MAGIC)


def is_old_excel(content: bytes) -> bool:
    return content.startswith(OLD_EXCEL_MAGIC)


def _xlsx_text(cell: Any) -> str:
    value = getattr(cell, "value", None)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in (getattr(cell, "number_format",
                                                                                            "") or ""):
        value = round(value * 100, 10)  # Excel keeps 12 % as 0.12
    return cell_text(value).strip()


def read_xlsx(content: bytes, sheet_name: str | None = None) -> Lines:
    """The rows of the sheet `sheet_name` (else the first one) as (row number, texts), header first: 12 not 12.0,
    a date as 2024-03-31, 12 % as 12, a formula as the value Excel last computed. A zip that would unpack to more
    than `MAX_UNPACKED` bytes, or a sheet longer than `MAX_ROWS`, is refused before it is read. Raises
    `Unreadable`."""
    from openpyxl import load_workbook  # imported here: only .xlsx imports need it

    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise Unreadable(UNREADABLE) from exc
    if unpacked > MAX_UNPACKED:
        raise Unreadable("fichier Excel trop volumineux une fois décompressé")
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:
        raise Unreadable(UNREADABLE) from exc
    try:
        sheet = workbook[sheet_name] if sheet_name in workbook.sheetnames else workbook.worksheets[0]
        sheet.reset_dimensions()  # read the rows there are, not the size the file claims
        lines: Lines = []
        for number, row in enumerate(sheet.iter_rows(), start=1):
            if number > MAX_ROWS:
                raise Unreadable(f"fichier trop long : {MAX_ROWS} lignes au plus")
            lines.append((number, [_xlsx_text(c) for c in row]))
        return lines
    except Unreadable:
        raise
    except Exception as exc:
        raise Unreadable(UNREADABLE) from exc
    finally:
        workbook.close()


def decode(content: bytes) -> tuple[str | None, dict[str, object] | None]:
    """UTF-8 (with or without BOM), else Windows-1252 (French Excel's CSV); a byte neither allows is reported."""
    try:
        return content.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252"), None
    except UnicodeDecodeError as exc:
        line = content[:exc.start].count(b"\n") + 1
        return None, {"line": line, "reason": "encodage non reconnu : enregistrez le fichier en UTF-8 ou en "
                                              "Windows-1252 (« CSV (séparateur : point-virgule) » d'Excel)"}


def csv_lines(text: str) -> tuple[Lines, dict[str, object] | None]:
    """The lines of CSV text (separator `;` or `,`, read from the header line), quoted fields per RFC 4180; a line
    the reader cannot parse stops it and is reported."""
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    # A field may be as long as the file: a long one is then refused by its line's checks, not by the reader.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    lines: Lines = []
    end_of_previous = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return lines, None
        except csv.Error as exc:
            return lines, {"line": end_of_previous + 1, "reason": f"ligne illisible ({exc}) : la suite du fichier "
                                                                   "n'a pas pu être lue"}
        lines.append((end_of_previous + 1, fields))  # a quoted field may span several lines
        end_of_previous = reader.line_num


def read_lines(content: bytes, sheet_name: str | None = None) -> tuple[Lines, bool, dict[str, object] | None]:
    """A file's lines (header first) whether CSV or .xlsx, whether it is a workbook, and what stopped the reading
    if anything (`{line, reason}` in French)."""
    if is_xlsx(content):
        try:
            return read_xlsx(content, sheet_name), True, None
        except Unreadable as exc:
            return [], True, {"line": 1, "reason": str(exc)}
    if is_old_excel(content):
        return [], True, {"line": 1, "reason": "format .xls (Excel 97-2003) non lu : enregistrez le fichier au "
                                               "format .xlsx, ou en CSV"}
    text, error = decode(content)
    if text is None:
        return [], False, error
    lines, error = csv_lines(text)
    return lines, False, error
