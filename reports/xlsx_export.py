"""The completion report as an Excel workbook (.xlsx), streamed as it is written.

The same rows as the CSV (:func:`reports.csv_export.rows`, with ``as_text=False``:
completion dates are dates). The workbook is one worksheet of inline strings,
numbers and dates in a zip file written straight into the response, so memory
stays flat and the first bytes leave at once, however many leaders.

Why not openpyxl's or XlsxWriter's write-only modes: measured on 30,000 leaders both
spent 7-9 s writing the cells (20 times the CSV's writer), and openpyxl keeps every
distinct string of the file in memory (a shared-strings table: every name and
address of a national export). A worksheet is simple XML; writing it here costs a
few microseconds a cell and the standard library's zipfile streams it.
Tests read the files back with openpyxl.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext

from reports.csv_export import neutralise

# Widths (characters) of the leading columns; the others follow their title.
WIDTHS = [18, 28, 36, 34, 20, 12, 16]
EPOCH = dt.date(1899, 12, 30)  # spreadsheets count days from here
ROWS_PER_WRITE = 500
# Characters XML 1.0 cannot hold at all (control characters but tab, LF, CR).
INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
</Types>"""  # noqa: E501
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""  # noqa: E501
WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets>
</workbook>"""  # noqa: E501
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
</Relationships>"""  # noqa: E501
# Cell styles: 0 plain, 1 bold (the header), 2 a date shown as 2016-01-12.
STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/></numFmts>
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""  # noqa: E501


def _text(value: str) -> str:
    value = INVALID.sub("", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        name = chr(65 + remainder) + name
    return name


def _sheet(head: list[str], body: Iterable[list]) -> Iterator[str]:
    letters = [_column(i) for i in range(len(head))]
    widths = "".join(
        f'<col min="{i + 1}" max="{i + 1}" width="{width}" customWidth="1"/>'
        for i, width in enumerate(
            WIDTHS[i] if i < len(WIDTHS) else max(12, min(len(title) + 2, 40))
            for i, title in enumerate(head)
        )
    )
    yield (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
        f"<cols>{widths}</cols><sheetData>"
    )
    cells = "".join(
        f'<c r="{letter}1" t="inlineStr" s="1"><is><t>{_text(neutralise(title))}</t></is></c>'
        for letter, title in zip(letters, head, strict=True)
    )
    yield f'<row r="1">{cells}</row>'
    days: dict[dt.date, int] = {}
    chunk: list[str] = []
    for number, row in enumerate(body, start=2):
        parts = [f'<row r="{number}">']
        for letter, value in zip(letters, row, strict=False):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                parts.append(
                    f'<c r="{letter}{number}" t="inlineStr"><is><t>{_text(value)}</t></is></c>'
                )
            elif isinstance(value, dt.date):
                if value not in days:
                    days[value] = (value - EPOCH).days
                parts.append(f'<c r="{letter}{number}" s="2"><v>{days[value]}</v></c>')
            elif isinstance(value, bool):
                parts.append(f'<c r="{letter}{number}" t="b"><v>{int(value)}</v></c>')
            else:
                parts.append(f'<c r="{letter}{number}"><v>{value}</v></c>')
        parts.append("</row>")
        chunk.append("".join(parts))
        if len(chunk) == ROWS_PER_WRITE:
            yield "".join(chunk)
            chunk.clear()
    yield "".join(chunk)
    yield "</sheetData></worksheet>"


class _Pipe:
    """A write-only file for zipfile that hands on what was written since last asked."""

    def __init__(self):
        self.chunks: list[bytes] = []
        self.position = 0

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        """Nothing to flush: the chunks are handed on by :meth:`take`."""

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def stream(head: list[str], body: Iterable[list]) -> Iterator[bytes]:
    """The workbook's bytes, as the rows are read (no temporary file)."""
    pipe = _Pipe()
    name = _text(gettext("Completion")[:31])
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as book:
        for path, content in [
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", ROOT_RELS),
            ("xl/workbook.xml", WORKBOOK.format(name=name)),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
            ("xl/styles.xml", STYLES),
        ]:
            book.writestr(path, content)
        yield pipe.take()
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            for text in _sheet(head, body):
                sheet.write(text.encode("utf-8"))
                yield pipe.take()
    yield pipe.take()


def write(head: list[str], body: Iterable[list], target) -> None:
    """Write the workbook to the binary file ``target`` (the command line)."""
    for chunk in stream(head, body):
        target.write(chunk)
