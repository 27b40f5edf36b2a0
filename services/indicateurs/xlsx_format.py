"""Reading an .xlsx workbook of values as the lines of a CSV file (pure module; the checks are `csv_format`'s).

The sheet read is the one named « Valeurs » (the template's), else the first one. Each row becomes a list of
texts, as a CSV line would hold them: 12 not 12.0, a date as 2024-03-31, a cell shown as a percentage (12 %,
stored by Excel as 0.12) as 12. Formulas give the value Excel last computed (a file never opened in a
spreadsheet has none: such a cell reads as empty). A zip that would unpack to more than `MAX_UNPACKED` bytes,
or a sheet with more than `MAX_ROWS` rows, is refused before it is read.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from kernel.spreadsheets import cell_text

ZIP_MAGIC = b"PK\x03\x04"
OLD_EXCEL_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97-2003), not read
MAX_UNPACKED = 200_000_000
MAX_ROWS = 200_000
SHEET = "Valeurs"

Lines = list[tuple[int, list[str]]]


class Unreadable(Exception):
    """The workbook cannot be read; the message says why, in French."""


def is_xlsx(content: bytes) -> bool:
    return content.startswith(ZIP_MAGIC)


def is_old_excel(content: bytes) -> bool:
    return content.startswith(OLD_EXCEL_MAGIC)


def _text(cell: Any) -> str:
    value = getattr(cell, "value", None)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in (getattr(cell, "number_format",
                                                                                            "") or ""):
        value = round(value * 100, 10)  # Excel keeps 12 % as 0.12
    return cell_text(value).strip()


def read_lines(content: bytes) -> Lines:
    """The rows of the workbook's values sheet as (row number, texts), header first; raises `Unreadable`."""
    from openpyxl import load_workbook  # imported here: only .xlsx imports need it

    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise Unreadable("fichier Excel illisible : enregistrez-le de nouveau au format .xlsx, ou en CSV") from exc
    if unpacked > MAX_UNPACKED:
        raise Unreadable("fichier Excel trop volumineux une fois décompressé")
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:
        raise Unreadable("fichier Excel illisible : enregistrez-le de nouveau au format .xlsx, ou en CSV") from exc
    try:
        sheet = workbook[SHEET] if SHEET in workbook.sheetnames else workbook.worksheets[0]
        sheet.reset_dimensions()  # read the rows there are, not the size the file claims
        lines: Lines = []
        for number, row in enumerate(sheet.iter_rows(), start=1):
            if number > MAX_ROWS:
                raise Unreadable(f"fichier trop long : {MAX_ROWS} lignes au plus")
            lines.append((number, [_text(c) for c in row]))
        return lines
    except Unreadable:
        raise
    except Exception as exc:
        raise Unreadable("fichier Excel illisible : enregistrez-le de nouveau au format .xlsx, ou en CSV") from exc
    finally:
        workbook.close()
