"""Leader import from the HR system's CSV or Excel file: read, check, preview, confirm.

The file is one leader a line; columns in Danish or English (see ``HEADERS``). A
leader is created or updated by employee number, with a login on the e-mail address
(a new login has no usable password: leaders choose one through "forgot password").

1. :func:`read_upload` turns the file into a :class:`Table`: CSV in UTF-8, Windows-1252
   or UTF-16 with a byte order mark, separated by semicolons, commas or tabs; or an
   Excel workbook (.xlsx, read streaming with openpyxl). Every way a file can be
   unreadable is an :class:`ImportFileError` with a message HR can act on.
   HR's upload only checks the file's name and size in the request; the import worker
   reads and checks it (:mod:`programme.import_jobs`).
2. :func:`check` validates every line and plans it against the database set-based:
   the leaders and logins the file names are loaded a few thousand at a time, not one
   query per line, and each line becomes *new*, *update* or *skip* (unchanged). One
   bad line refuses the whole file; problems are listed by line and column.
3. :func:`store_preview` keeps the plan as an :class:`~programme.models.ImportBatch`
   owned by the uploader, so the preview and the confirmation work on any web process.
4. :func:`write_batch` plans the stored lines again against the database as it is now
   (the file is not read again): if anything changed since the preview nothing is
   written; otherwise everything is written in bulk, with change history, in one
   transaction. HR's confirmation only queues it as an
   :class:`~programme.models.ImportJob`, which the import worker runs
   (:mod:`programme.import_jobs`); :func:`confirm` does the same at once, for code
   that wants it done before it returns.

Logins: a leader is only attached to a login that is nobody else's and has no
administrator rights, and only a superuser's import changes an administrator's login
(:mod:`programme.accounts`). An import never changes seats.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import logging
import secrets
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

import openpyxl
from django import forms
from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Page, Paginator
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from . import accounts, clock, page_versions
from .models import Department, ImportBatch, ImportJob, Leader, User

logger = logging.getLogger(__name__)

# Column name in the file -> our field. Compared casefolded and stripped, so "E-mail",
# "e-mail " and "EMAIL" all match.
HEADERS = {
    "employee_number": [
        "medarbejdernummer",
        "medarbejdernr",
        "medarbejdernr.",
        "medarbejder-id",
        "lønnummer",
        "employee number",
        "employee_number",
    ],
    "name": ["navn", "fulde navn", "name"],
    "email": ["e-mail", "email", "e-mailadresse", "mail", "e-mail address"],
    "title": ["stilling", "stillingsbetegnelse", "titel", "title", "job title"],
    "level": ["ledelsesniveau", "niveau", "leadership level", "level"],
    "department": ["afdeling", "center", "afdelingskode", "department"],
}
# The names the preview and the error report use for the columns.
COLUMNS = {
    "employee_number": "Medarbejdernummer",
    "name": "Navn",
    "email": "E-mail",
    "title": "Stilling",
    "level": "Ledelsesniveau",
    "department": "Afdeling",
}
OPTIONAL_COLUMNS = {"title"}
# What HR systems write for a level, beyond our own values and labels.
LEVEL_SYNONYMS = {
    "direktør": Leader.Level.DIRECTOR,
    "centerchef": Leader.Level.HEAD_OF_CENTRE,
    "centerleder": Leader.Level.HEAD_OF_CENTRE,
    "afdelingsleder": Leader.Level.DEPARTMENT,
    "afdelingschef": Leader.Level.DEPARTMENT,
    "teamleder": Leader.Level.TEAM,
    "teamkoordinator": Leader.Level.TEAM,
}
MAX_LENGTHS = {
    "employee_number": Leader._meta.get_field("employee_number").max_length,
    "name": Leader._meta.get_field("name").max_length,
    "email": User._meta.get_field("email").max_length,
    "title": Leader._meta.get_field("title").max_length,
}

# Rows per INSERT/UPDATE statement, and file values per lookup query: small enough
# for SQLite's limit on query parameters and for a short statement on PostgreSQL.
BATCH_SIZE = 1000
LOOKUP_CHUNK = 5000
# After writing this many rows, refresh PostgreSQL's statistics at once, so query
# plans do not wait for autovacuum to notice that the tables grew.
ANALYZE_AFTER_ROWS = 1000
# An .xlsx is a zip archive; this bounds what unpacking it may cost.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls)
ZIP_MAGIC = b"PK\x03\x04"

NEW, UPDATE, SKIP = "new", "update", "skip"
KIND_LABELS = {
    NEW: gettext_lazy("New"),
    UPDATE: gettext_lazy("Updated"),
    SKIP: gettext_lazy("Unchanged"),
}


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message says why and what to do."""


class ImportUnavailable(Exception):
    """A preview that cannot be confirmed (gone, expired, or out of date).

    ``failure`` is the reason as :class:`~programme.models.ImportJob.Failure`, kept on a
    job so its status page words it in the reader's language.
    """

    def __init__(self, message: str, failure: str = ImportJob.Failure.GONE):
        super().__init__(message)
        self.failure = failure


class AlreadyConfirmed(ImportUnavailable):
    """The preview was confirmed already: its job is queued, running or finished."""

    def __init__(self, job: ImportJob):
        super().__init__(_("This file is already confirmed."))
        self.job = job


def _key(text: object) -> str:
    return str(text or "").strip().casefold()


def max_file_bytes() -> int:
    return settings.IMPORT_MAX_FILE_MB * 1024 * 1024


def _megabytes(size: int) -> str:
    return formats.number_format(size / (1024 * 1024), 1, use_l10n=True)


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
    (:mod:`programme.import_jobs`), however long the file."""

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


# --- 2. Checking every line and planning it ------------------------------------------


@dataclass(frozen=True)
class RowError:
    line: int
    column: str  # the column's name, or "" for the line as a whole
    message: str


@dataclass
class Check:
    """What the file would do: the plan (when nothing is wrong) or the problems."""

    rows: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for row in self.rows if row["kind"] == kind)


def column_index(headers: list[str]) -> dict[str, int]:
    """Where each of our columns is in the file; :class:`ImportFileError` if one is missing."""
    aliases = {alias: name for name, names in HEADERS.items() for alias in names}
    index: dict[str, int] = {}
    for position, header in enumerate(headers):
        name = aliases.get(_key(header))
        if name is None:
            continue  # columns we do not import are ignored
        if name in index:
            raise ImportFileError(
                _("The column %(column)s appears twice in the first line. Remove one of them.")
                % {"column": COLUMNS[name]}
            )
        index[name] = position
    missing = [
        COLUMNS[name] for name in COLUMNS if name not in index and name not in OPTIONAL_COLUMNS
    ]
    if missing:
        raise ImportFileError(
            _("The file has no column %(columns)s. The first line must name the columns.")
            % {"columns": ", ".join(missing)}
        )
    return index


def _level_choices() -> dict[str, str]:
    choices = dict(LEVEL_SYNONYMS)
    for value, label in Leader.Level.choices:
        choices[_key(value)] = value
        for language in ("en", "da"):
            with translation.override(language):
                choices[_key(label)] = value
    return choices


def _departments() -> dict[str, tuple[int, str]]:
    by_key = {}
    for pk, code, name in Department.objects.values_list("pk", "code", "name"):
        by_key[_key(code)] = (pk, name)
        by_key[_key(name)] = (pk, name)
    return by_key


def _clean_lines(table: Table) -> tuple[list[dict], list[RowError]]:
    """Each line's values, cleaned and validated on their own (no database but departments)."""
    index = column_index(table.headers)
    levels = _level_choices()
    departments = _departments()
    with translation.override("da"):
        level_labels = ", ".join(str(label) for _value, label in Leader.Level.choices)
    cleaned: list[dict] = []
    errors: list[RowError] = []
    seen_numbers: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for line, cells in table.lines:
        values = {
            name: (cells[position] if position < len(cells) else "").strip()
            for name, position in index.items()
        }
        values.setdefault("title", "")
        problems: dict[str, str] = {}
        for name, text in values.items():
            if "\x00" in text:
                problems[name] = _(
                    "The cell contains a NUL character (0x00), which cannot be saved. "
                    "Remove it from the file."
                )
            elif name in MAX_LENGTHS and len(text) > MAX_LENGTHS[name]:
                problems[name] = _("At most %(max)s characters (this has %(length)s).") % {
                    "max": MAX_LENGTHS[name],
                    "length": len(text),
                }
        number = values["employee_number"]
        email = values["email"].lower()
        if "employee_number" not in problems:
            if not number:
                problems["employee_number"] = _("The employee number is missing.")
            elif number in seen_numbers:
                problems["employee_number"] = _(
                    "Employee number %(number)s is also on line %(line)s."
                ) % {"number": number, "line": seen_numbers[number]}
            else:
                seen_numbers[number] = line
        if "name" not in problems and not values["name"]:
            problems["name"] = _("The name is missing.")
        if "email" not in problems:
            try:
                validate_email(email)
            except ValidationError:
                problems["email"] = _("“%(value)s” is not a valid e-mail address.") % {
                    "value": email
                }
            else:
                if email in seen_emails:
                    problems["email"] = _("The e-mail address is also on line %(line)s.") % {
                        "line": seen_emails[email]
                    }
                else:
                    seen_emails[email] = line
        level = levels.get(_key(values["level"]))
        if level is None and "level" not in problems:
            problems["level"] = _(
                "Unknown leadership level “%(value)s”. Use one of: %(labels)s."
            ) % {"value": values["level"], "labels": level_labels}
        department = departments.get(_key(values["department"]))
        if department is None and "department" not in problems:
            problems["department"] = _(
                "Unknown department “%(value)s”. Use the department's name or code."
            ) % {"value": values["department"]}
        if problems:
            errors += [RowError(line, COLUMNS[name], text) for name, text in problems.items()]
            continue
        cleaned.append(
            {
                "line": line,
                "number": number,
                "name": values["name"],
                "email": email,
                "title": values["title"],
                "level": level,
                "department": department[0],
                "department_name": department[1],
            }
        )
    return cleaned, errors


def _chunks(values: list, size: int = LOOKUP_CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# The database's rows as plain tuples: 30,000 model instances would cost seconds.
class ExistingLeader(NamedTuple):
    pk: int
    employee_number: str
    name: str
    title: str
    level: str
    department_id: int
    left_on: dt.date | None
    anonymised_at: dt.datetime | None
    user_id: int
    email: str
    is_staff: bool
    is_superuser: bool

    @property
    def login(self) -> ExistingLogin:
        return ExistingLogin(self.user_id, self.email, self.is_staff, self.is_superuser, None, None)


class ExistingLogin(NamedTuple):
    pk: int
    email: str
    is_staff: bool
    is_superuser: bool
    leader_name: str | None  # the login's leader, if it has one
    leader_number: str | None


@dataclass
class _Existing:
    """The database rows the lines name, loaded a chunk at a time."""

    leaders: dict[str, ExistingLeader]  # by employee number
    logins: dict[str, ExistingLogin]  # by lower-case e-mail
    departments: dict[int, str]  # every department's name


def _load_existing(cleaned: list[dict]) -> _Existing:
    numbers = [row["number"] for row in cleaned]
    emails = [row["email"] for row in cleaned]
    leaders: dict[str, ExistingLeader] = {}
    for chunk in _chunks(numbers):
        found = Leader.objects.filter(employee_number__in=chunk).values_list(
            *ExistingLeader._fields[:9], "user__email", "user__is_staff", "user__is_superuser"
        )
        for row in found:
            leader = ExistingLeader(*row)
            leaders[leader.employee_number] = leader
    logins: dict[str, ExistingLogin] = {}
    for chunk in _chunks(emails):
        found = (
            User.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=chunk)
            .values_list(
                "pk",
                "email_lower",
                "is_staff",
                "is_superuser",
                "leader__name",
                "leader__employee_number",
            )
        )
        for row in found:
            login = ExistingLogin(*row)
            logins[login.email] = login
    departments = dict(Department.objects.values_list("pk", "name"))
    return _Existing(leaders=leaders, logins=logins, departments=departments)


def _before(leader: ExistingLeader, departments: dict[int, str]) -> dict:
    return {
        "name": leader.name,
        "email": leader.email,
        "title": leader.title,
        "level": leader.level,
        "department": leader.department_id,
        "department_name": departments.get(leader.department_id, ""),
    }


def _plan(cleaned: list[dict], *, by: User) -> tuple[list[dict], list[RowError], _Existing]:
    """Decide each line against the database: new, update or skip - or why it cannot be."""
    existing = _load_existing(cleaned)
    rows: list[dict] = []
    errors: list[RowError] = []
    for values in cleaned:
        line, email = values["line"], values["email"]
        leader = existing.leaders.get(values["number"])
        owner = existing.logins.get(email)
        problem = None
        if owner is not None and (leader is None or owner.pk != leader.user_id):
            problem = _owner_problem(email, owner, new=leader is None)
        elif leader is not None and leader.anonymised_at is not None:
            problem = (
                "employee_number",
                _("Employee number %(number)s belongs to an anonymised leader.")
                % {"number": values["number"]},
            )
        if leader is None:
            kind, before = NEW, None
        else:
            before = _before(leader, existing.departments)
            compared = ("name", "email", "title", "level", "department")
            kind = SKIP if all(before[k] == values[k] for k in compared) else UPDATE
            login_changes = before["email"] != email or before["name"] != values["name"]
            may_change = accounts.may_change_login(by, leader.login)
            if problem is None and login_changes and not may_change:
                problem = (
                    "email" if before["email"] != email else "name",
                    _(
                        "%(name)s signs in with an administrator's login; only a superuser can "
                        "change its e-mail address or name."
                    )
                    % {"name": leader.name},
                )
        if problem is not None:
            errors.append(RowError(line, COLUMNS[problem[0]], problem[1]))
            continue
        # A new leader gets a new login, or an existing one that is nobody's (see above).
        new_login = owner.pk if owner is not None else None
        user = leader.user_id if leader is not None else new_login
        rows.append(
            {
                **values,
                "kind": kind,
                "leader": leader.pk if leader else None,
                "user": user,
                "before": before,
            }
        )
    return rows, errors, existing


def _owner_problem(email: str, owner: ExistingLogin, *, new: bool) -> tuple[str, str] | None:
    """Why ``owner``'s login cannot be this line's, or None when a new leader may have it."""
    if owner.leader_number is not None:
        return "email", _("%(email)s is already the login of %(leader)s (%(number)s).") % {
            "email": email,
            "leader": owner.leader_name,
            "number": owner.leader_number,
        }
    if accounts.is_administrator(owner):
        return "email", _(
            "%(email)s is the login of an administrator (staff or superuser), so it cannot "
            "become a leader's login. Use the leader's own e-mail address."
        ) % {"email": email}
    if new:
        return None
    return "email", _("%(email)s is already the login of another user.") % {"email": email}


def check(table: Table, *, by: User) -> Check:
    """Validate and plan every line of the file; ``by`` is who imports it."""
    cleaned, errors = _clean_lines(table)
    rows, problems, _existing = _plan(cleaned, by=by)
    errors = sorted(errors + problems, key=lambda error: error.line)
    return Check(rows=rows if not errors else [], errors=errors)


# --- 3. The preview, kept in the database ------------------------------------------


def store_preview(result: Check, *, by: User, file_name: str, now=None) -> ImportBatch:
    """Keep a checked file's plan for its uploader to look through and confirm.

    A new upload replaces the uploader's earlier preview, and expired previews are
    removed on the way: they hold names and e-mail addresses nobody needs any more. A
    preview confirmed and waiting for the import worker is kept until the worker has
    written it; finished jobs older than ``ImportJob.KEEP_DAYS`` go too.
    """
    now = now or clock.now()
    delete_batches(_expired(now))
    delete_batches(ImportBatch.objects.filter(created_by=by, job__isnull=True))
    ImportJob.objects.filter(
        created_at__lt=now - dt.timedelta(days=ImportJob.KEEP_DAYS),
        status__in=[ImportJob.Status.DONE, ImportJob.Status.FAILED],
    ).delete()
    return ImportBatch.objects.create(
        created_by=by,
        created_at=now,
        file_name=file_name[: ImportBatch._meta.get_field("file_name").max_length],
        new_count=result.count(NEW),
        update_count=result.count(UPDATE),
        unchanged_count=result.count(SKIP),
        rows=result.rows,
    )


def delete_batches(batches) -> None:
    """Delete previews without reading their lines back (a job's link to one is set
    empty on the way)."""
    batches.defer("rows").delete()


def _expired(now: dt.datetime):
    return ImportBatch.objects.filter(created_at__lt=now - _max_age(), job__isnull=True)


def _max_age() -> dt.timedelta:
    return dt.timedelta(seconds=settings.IMPORT_PREVIEW_MAX_AGE)


def _gone() -> ImportUnavailable:
    failure = ImportJob.Failure.GONE
    return ImportUnavailable(str(failure.label), failure)


def pending_batch(batch_id: str, *, by: User, now=None) -> ImportBatch:
    """The uploader's own preview, or :class:`ImportUnavailable` saying why it cannot be used
    (:class:`AlreadyConfirmed`, with its job, when it was confirmed already).

    Another person's preview is "gone" too: a changed address reveals nothing.
    """
    now = now or clock.now()
    try:
        pk = uuid.UUID(str(batch_id))
    except ValueError as exc:
        raise _gone() from exc
    batch = ImportBatch.objects.select_related("job").filter(pk=pk, created_by=by).first()
    if batch is None:
        raise _gone()
    if hasattr(batch, "job"):
        raise AlreadyConfirmed(batch.job)
    if batch.created_at < now - _max_age():
        batch.delete()
        raise ImportUnavailable(
            _(
                "The preview expired after %(minutes)s minutes, so nothing was imported. "
                "Upload the file again."
            )
            % {"minutes": settings.IMPORT_PREVIEW_MAX_AGE // 60}
        )
    return batch


PREVIEW_PAGE_SIZE = 200


@dataclass(frozen=True)
class PreviewCell:
    value: str
    before: str | None  # the value now, when the line changes it


def _display(row: dict, name: str) -> str:
    if name == "department":
        return row["department_name"]
    if name == "level":
        return str(Leader.Level(row["level"]).label)
    return row["number"] if name == "employee_number" else row[name]


def preview_rows(batch: ImportBatch, *, kind: str | None, page: object) -> Page:
    """One page of the preview's lines, optionally only the new, updated or unchanged."""
    rows = [row for row in batch.rows if kind is None or row["kind"] == kind]
    paginated = Paginator(rows, PREVIEW_PAGE_SIZE).get_page(page)
    display = []
    for row in paginated.object_list:
        before = row["before"]
        cells = []
        for name in COLUMNS:
            value = _display(row, name)
            old = _display({**row, **before}, name) if before else None
            cells.append(
                PreviewCell(value, old if old != value and row["kind"] == UPDATE else None)
            )
        display.append({"line": row["line"], "kind": row["kind"], "cells": cells})
    paginated.object_list = display
    return paginated


# --- 4. Confirming: the stored plan, checked again and written in bulk ---------------

# What a line was planned on; if any of it differs now, the preview is out of date.
PLANNED_ON = ("line", "kind", "leader", "user", "before")
INPUT = ("line", "number", "name", "email", "title", "level", "department", "department_name")


@dataclass(frozen=True)
class Written:
    new: int
    updated: int
    unchanged: int
    invited: int = 0


def confirm(batch_id: str, *, by: User, now=None, invite: bool = False) -> Written:
    """Write what the preview showed now, all or nothing; :class:`ImportUnavailable` if it
    cannot. HR's pages queue the same work for the import worker instead
    (:func:`programme.import_jobs.queue`)."""
    now = now or clock.now()
    batch = pending_batch(batch_id, by=by, now=now)
    written = write_batch(batch, by=by, now=now, invite=invite)
    analyze_after(written)
    return written


def write_batch(batch: ImportBatch, *, by: User, now, invite: bool) -> Written:
    """Plan the stored lines again and write them, in one transaction (a savepoint
    inside the caller's); the preview is deleted with it, whatever the outcome.

    The stored lines are planned again against the database as it is now: a leader,
    a login or a department changed since the preview means nothing is written
    (:class:`ImportUnavailable`) and HR uploads the file again to see the new preview.
    Seats are not touched.
    """
    try:
        # One statement for the kept pages' versions, however many writes replace them.
        with transaction.atomic(), page_versions.batch():
            # Locked, so two writers cannot import the file twice.
            if not ImportBatch.objects.select_for_update().filter(pk=batch.pk).exists():
                raise _gone()
            cleaned = [{key: row[key] for key in INPUT} for row in batch.rows]
            rows, errors, existing = _plan(cleaned, by=by)
            planned = [tuple(row[key] for key in PLANNED_ON) for row in batch.rows]
            if errors or [tuple(row[key] for key in PLANNED_ON) for row in rows] != planned:
                raise _out_of_date()
            _write(rows, existing, by=by, reason=f"import: {batch.file_name}"[:100], now=now)
            invited = _invite_new(rows, by=by) if invite else 0
            delete_batches(ImportBatch.objects.filter(pk=batch.pk))
    except (IntegrityError, ImportUnavailable) as exc:
        delete_batches(ImportBatch.objects.filter(pk=batch.pk))
        if isinstance(exc, ImportUnavailable):
            raise
        # Someone saved the same employee number or e-mail between our check and write.
        raise _out_of_date() from exc
    return Written(batch.new_count, batch.update_count, batch.unchanged_count, invited)


def analyze_after(written: Written) -> None:
    """After a large import has committed: fresh statistics for the planner."""
    if written.new + written.updated >= ANALYZE_AFTER_ROWS:
        analyze_import_tables()


def _invite_new(rows: list[dict], *, by: User) -> int:
    """Invitations for the file's new leaders, queued in the import's transaction (a
    rolled-back import queues none)."""
    from .invitations import invite_new_leaders

    numbers = [row["number"] for row in rows if row["kind"] == NEW]
    leaders = Leader.objects.filter(employee_number__in=numbers).select_related("user")
    return invite_new_leaders(leaders, by=by)


def _out_of_date() -> ImportUnavailable:
    failure = ImportJob.Failure.OUT_OF_DATE
    return ImportUnavailable(str(failure.label), failure)


def _unusable_password() -> str:
    # What make_password(None) stores, without its per-character random choice, which
    # costs a second for 30,000 new logins.
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)


def _names(name: str) -> tuple[str, str]:
    first, _space, last = name.partition(" ")
    return first, last


def _write(rows: list[dict], existing: _Existing, *, by: User, reason: str, now) -> None:
    new_logins = []
    for row in rows:
        if row["kind"] == NEW and row["user"] is None:
            first, last = _names(row["name"])
            new_logins.append(
                User(
                    email=row["email"],
                    first_name=first,
                    last_name=last,
                    password=_unusable_password(),
                    date_joined=now,
                )
            )
    User.objects.bulk_create(new_logins, batch_size=BATCH_SIZE)
    login_ids = {user.email: user.pk for user in new_logins}

    new_leaders = [
        Leader(
            user_id=row["user"] or login_ids[row["email"]],
            employee_number=row["number"],
            name=row["name"],
            title=row["title"],
            level=row["level"],
            department_id=row["department"],
        )
        for row in rows
        if row["kind"] == NEW
    ]
    history = {"default_user": by, "default_change_reason": reason, "default_date": now}
    bulk_create_with_history(new_leaders, Leader, batch_size=BATCH_SIZE, **history)

    changed, logins = [], []
    for row in rows:
        if row["kind"] != UPDATE:
            continue
        leader = existing.leaders[row["number"]]
        changed.append(
            Leader(
                pk=leader.pk,
                user_id=leader.user_id,
                employee_number=leader.employee_number,
                name=row["name"],
                title=row["title"],
                level=row["level"],
                department_id=row["department"],
                left_on=leader.left_on,
                anonymised_at=leader.anonymised_at,
            )
        )
        if row["before"]["email"] != row["email"] or row["before"]["name"] != row["name"]:
            logins.append((leader.user_id, row["email"], *_names(row["name"])))
    _update_rows(
        Leader,
        ["name", "title", "level", "department_id"],
        [
            (leader.pk, leader.name, leader.title, leader.level, leader.department_id)
            for leader in changed
        ],
    )
    Leader.history.bulk_history_create(changed, batch_size=BATCH_SIZE, update=True, **history)
    _update_rows(User, ["email", "first_name", "last_name"], logins)


def _update_rows(model, columns: list[str], rows: list[tuple]) -> None:
    """``UPDATE ... FROM (VALUES ...)``: a thousand rows a statement, each by its id.

    Django's ``bulk_update`` writes one ``CASE WHEN id = ...`` per column with a branch
    per row, which PostgreSQL evaluates row by row: 33 s for 30,000 leaders, against
    a fraction of a second for this. (PostgreSQL and SQLite 3.33+ both name the VALUES
    columns column1, column2, ...)
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    assignments = ", ".join(
        f"{quote(column)} = v.column{number}" for number, column in enumerate(columns, start=2)
    )
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, BATCH_SIZE):
            placeholders = ", ".join(
                ["(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"] * len(chunk)
            )
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {placeholders}) AS v "  # noqa: S608
                f"WHERE {table}.{quote('id')} = v.column1",
                [value for row in chunk for value in row],
            )
    # Raw SQL goes around the QuerySet: the kept pages it changes, said here (a leader's
    # own id says whose page it is).
    if rows:
        page_versions.written(model, [row[0] for row in rows] if model is Leader else None)


def analyze_import_tables() -> None:
    """Refresh PostgreSQL's statistics on the tables an import writes (no-op elsewhere)."""
    if connection.vendor != "postgresql":
        return
    tables = [User._meta.db_table, Leader._meta.db_table, Leader.history.model._meta.db_table]
    quoted = ", ".join(connection.ops.quote_name(table) for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {quoted}")
