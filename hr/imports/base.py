"""What every step of the leader import shares: the columns and their names in the file,
the limits, the kinds of line (new, update, skip) and the errors that stop an import."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hr.models import ImportJob
from programme.models import Leader, User

logger = logging.getLogger("programme.imports")  # its name from before the split

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


def _chunks(values: list, size: int = LOOKUP_CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
