"""The completion report as an Excel workbook (.xlsx), for the download and the command.

The same rows as the CSV (:func:`programme.csv_export.rows`), written by openpyxl in
write-only mode: rows go straight to a temporary file (memory stays flat however
many leaders), which is then streamed to the browser in chunks. Dates are real
spreadsheet dates, the header row is frozen and the columns have a sensible width;
text cells that a spreadsheet would run as formulas are neutralised as in the CSV.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .csv_export import neutralise

CHUNK = 64 * 1024
# Widths (characters) for the leading columns; modules and the rest get their title's.
WIDTHS = [18, 28, 36, 34, 20, 12, 16]


def write(head: list[str], body: Iterable[list], target) -> None:
    """Write the workbook to the binary file ``target``."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=gettext("Completion")[:31])
    sheet.freeze_panes = "A2"
    for index, title in enumerate(head):
        width = WIDTHS[index] if index < len(WIDTHS) else max(12, min(len(title) + 2, 40))
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    bold = Font(bold=True)
    header = []
    for title in head:
        cell = WriteOnlyCell(sheet, value=neutralise(title))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in body:
        # openpyxl writes a date as a date cell (shown as yyyy-mm-dd) by itself.
        sheet.append([neutralise(value) if isinstance(value, str) else value for value in row])
    book.save(target)


def stream(head: list[str], body: Iterable[list]) -> Iterator[bytes]:
    """The workbook's bytes in chunks, from a temporary file removed afterwards."""
    with tempfile.TemporaryFile() as target:
        write(head, body, target)
        target.seek(0)
        while chunk := target.read(CHUNK):
            yield chunk
