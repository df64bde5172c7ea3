"""Step 1 of the leader import: the upload form, and the file read into a :class:`Table`.

CSV in UTF-8, Windows-1252 or UTF-16 with a byte order mark, separated by semicolons,
commas or tabs; or an Excel workbook (.xlsx, read streaming with openpyxl). Every way a
file can be unreadable is an :class:`~hr.imports.base.ImportFileError` with a
message HR can act on."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

import openpyxl
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hr.imports.base import (
    MAX_UNPACKED_BYTES,
    OLE2_MAGIC,
    ZIP_MAGIC,
    ImportFileError,
    _megabytes,
    logger,
    max_file_bytes,
)

# --- 1. Reading the file ---------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    headers: list[str]
    # (the line's number in the file, its cells); line 1 is the headers.
    lines: list[tuple[int, list[str]]]


def read_upload(upload: UploadedFile) -> Table:
    """The file's headers and lines, or :class:`ImportFileError` saying why not."""
    return read_file(upload.read(), upload.name)


def read_file(data: bytes, name: str) -> Table:
    """:func:`read_upload` of a file's bytes and its name (the import worker's stored upload)."""
    is_excel = name.lower().endswith(".xlsx")
    table = _read_xlsx(data) if is_excel else _read_csv(data)
    if not any(header.strip() for header in table.headers):
        raise ImportFileError(_("The file is empty: the first line must name the columns."))
    if not table.lines:
        raise ImportFileError(
            _(
                "The file has only the column names and no leaders. Add one line per leader "
                "under the column names."
            )
        )
    return table


def _decode(data: bytes) -> str:
    if data.startswith(ZIP_MAGIC):
        raise ImportFileError(
            _(
                "The file is called .csv but is an Excel workbook. Rename it to .xlsx, or save "
                "it from Excel as CSV."
            )
        )
    if data.startswith(OLE2_MAGIC):
        raise _old_excel()
    try:
        if data.startswith(codecs.BOM_UTF8):
            return data[len(codecs.BOM_UTF8) :].decode("utf-8")
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            # Excel's "Unicode text": UTF-16 with a byte order mark, tab-separated.
            return data.decode("utf-16")
    except UnicodeDecodeError as exc:
        raise _not_text() from exc
    nuls = data.count(b"\x00")
    if nuls and nuls * 3 >= len(data):
        # Every other byte zero: UTF-16 whose byte order cannot be known for sure.
        raise ImportFileError(
            _(
                "The file is in UTF-16 without a byte order mark, which cannot be read "
                "reliably. Save it from Excel as “CSV UTF-8 (kommasepareret)” or as an Excel "
                "workbook (.xlsx)."
            )
        )
    if nuls * 100 > len(data):
        raise _not_text()
    # A stray NUL in a text file is reported in its cell (see _clean_line).
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # Danish Excel's "CSV (semikolonsepareret)" is Windows-1252.
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise _not_text() from exc


def _not_text() -> ImportFileError:
    return ImportFileError(
        _(
            "The file cannot be read as text: it looks like a program, a picture or another "
            "binary file, not a CSV file. Save the leader list from Excel as “CSV UTF-8 "
            "(kommasepareret)” or as an Excel workbook (.xlsx)."
        )
    )


def _old_excel() -> ImportFileError:
    return ImportFileError(
        _(
            "The file is an old Excel workbook (.xls). Open it in Excel and save it as "
            "“Excel Workbook (.xlsx)” or as CSV."
        )
    )


def _too_many_lines() -> ImportFileError:
    limit = formats.number_format(settings.IMPORT_MAX_ROWS, use_l10n=True, force_grouping=True)
    return ImportFileError(
        _(
            "The file has more than %(limit)s leaders; the import takes at most %(limit)s at "
            "a time. Split the file into smaller files."
        )
        % {"limit": limit}
    )


def _blank(cells: Iterable[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _read_csv(data: bytes) -> Table:
    text = _decode(data)
    header = text.split("\n", 1)[0]
    delimiter = max([";", ",", "\t"], key=header.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    limit = settings.IMPORT_MAX_ROWS
    headers: list[str] = []
    lines: list[tuple[int, list[str]]] = []
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if number == 1:
                headers = cells
            elif not _blank(cells):  # blank lines at the end of a spreadsheet's export
                lines.append((number, cells))
                if len(lines) > limit:
                    raise _too_many_lines()
    except csv.Error as exc:
        raise ImportFileError(
            _(
                "Line %(line)s cannot be read: a cell is too long, or a quotation mark is "
                "not closed. Correct the line and upload the file again."
            )
            % {"line": number + 1}
        ) from exc
    return Table(headers=headers, lines=lines)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # Excel keeps numbers as floats: 1001.0 is employee 1001.
        return str(int(value))
    return str(value)


def _read_xlsx(data: bytes) -> Table:
    if not data.startswith(ZIP_MAGIC):
        if data.startswith(OLE2_MAGIC):
            raise _old_excel()
        raise ImportFileError(
            _(
                "The file is called .xlsx but is not an Excel workbook (it may be a CSV file). "
                "Rename it to .csv, or open it in Excel and save it as “Excel Workbook (.xlsx)”."
            )
        )
    broken = ImportFileError(
        _(
            "The Excel workbook cannot be read; it may be damaged or protected by a password. "
            "Open it in Excel, save it as “Excel Workbook (.xlsx)” and upload it again."
        )
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise broken from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError(
            _(
                "The Excel workbook unpacks to more than %(limit)s MB, far more than a list of "
                "leaders needs. Save only the sheet with the leaders, or save it as CSV."
            )
            % {"limit": MAX_UNPACKED_BYTES // (1024 * 1024)}
        )
    limit = settings.IMPORT_MAX_ROWS
    headers: list[str] = []
    lines: list[tuple[int, list[str]]] = []
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a bad file
        logger.info("unreadable workbook: %r", exc)
        raise broken from exc
    try:
        sheet = book.active
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell(value) for value in values]
            if number == 1:
                headers = cells
            elif not _blank(cells):
                lines.append((number, cells))
                if len(lines) > limit:
                    raise _too_many_lines()
    except ImportFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - damaged XML inside the archive, and the like
        logger.info("unreadable worksheet: %r", exc)
        raise broken from exc
    finally:
        book.close()
    return Table(headers=headers, lines=lines)


class LeaderImportForm(forms.Form):
    """The upload: a .csv or .xlsx file within the size limit. Only that is checked here,
    in the request; reading and checking its lines is the import worker's
    (:mod:`hr.import_jobs`), however long the file."""

    import_file = forms.FileField(label=gettext_lazy("CSV or Excel file from the HR system"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["import_file"].help_text = (
            _(
                "Columns: Medarbejdernummer, Navn, E-mail, Stilling, Ledelsesniveau, Afdeling. "
                "Semicolons or commas; UTF-8 or Excel (.xlsx). At most %(size)s MB and %(rows)s "
                "leaders."
            )
            % _limits()
        )

    def clean_import_file(self) -> UploadedFile:
        upload = self.cleaned_data["import_file"]
        if not upload.name.lower().endswith((".csv", ".txt", ".xlsx")):
            raise ValidationError(_("Choose a .csv or .xlsx file."))
        if upload.size > max_file_bytes():
            raise ValidationError(
                _(
                    "The file is %(actual)s MB; the import accepts at most %(size)s MB and "
                    "%(rows)s leaders. A list of all the municipality's leaders is far smaller: "
                    "remove columns the import does not use, or split the file."
                )
                % {"actual": _megabytes(upload.size), **_limits()}
            )
        return upload


def _limits() -> dict[str, str]:
    return {
        "size": str(settings.IMPORT_MAX_FILE_MB),
        "rows": formats.number_format(settings.IMPORT_MAX_ROWS, use_l10n=True, force_grouping=True),
    }
