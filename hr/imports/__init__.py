"""Leader import from the HR system's CSV or Excel file: read, check, preview, confirm.

The file is one leader a line; columns in Danish or English (see ``HEADERS``). A
leader is created or updated by employee number, with a login on the e-mail address
(a new login has no usable password: leaders choose one through "forgot password").

1. :func:`read_upload` turns the file into a :class:`Table`: CSV in UTF-8, Windows-1252
   or UTF-16 with a byte order mark, separated by semicolons, commas or tabs; or an
   Excel workbook (.xlsx, read streaming with openpyxl). Every way a file can be
   unreadable is an :class:`ImportFileError` with a message HR can act on.
   HR's upload only checks the file's name and size in the request; the import worker
   reads and checks it (:mod:`hr.import_jobs`).
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
   (:mod:`hr.import_jobs`); :func:`confirm` does the same at once, for code
   that wants it done before it returns. :func:`write_checked` writes a checked
   file's plan at once, without a preview, by the same code: the scheduled import
   (``manage.py import_leaders``, :mod:`hr.scheduled_import`).

Logins: a leader is only attached to a login that is nobody else's and has no
administrator rights, and only a superuser's import changes an administrator's login
(:mod:`accounts.signin`). An import never changes seats.

The parts, one a step: :mod:`.base` (the columns, limits and errors every step shares),
:mod:`.read` (1, and the upload form), :mod:`.check` (2), :mod:`.preview` (3) and
:mod:`.write` (4). This package's names are the import's public face: callers use
``hr.imports.<name>``, never a part directly.
"""

from __future__ import annotations

from hr.imports.base import (
    ANALYZE_AFTER_ROWS,
    BATCH_SIZE,
    COLUMNS,
    HEADERS,
    KIND_LABELS,
    LEVEL_SYNONYMS,
    LOOKUP_CHUNK,
    MAX_LENGTHS,
    MAX_UNPACKED_BYTES,
    NEW,
    OLE2_MAGIC,
    OPTIONAL_COLUMNS,
    SKIP,
    UPDATE,
    ZIP_MAGIC,
    AlreadyConfirmed,
    ImportFileError,
    ImportUnavailable,
    max_file_bytes,
)
from hr.imports.check import Check, ExistingLeader, ExistingLogin, RowError, check, column_index
from hr.imports.preview import (
    PREVIEW_PAGE_SIZE,
    PreviewCell,
    delete_batches,
    pending_batch,
    preview_rows,
    store_preview,
)
from hr.imports.read import LeaderImportForm, Table, read_file, read_upload
from hr.imports.write import (
    INPUT,
    PLANNED_ON,
    Written,
    analyze_after,
    analyze_import_tables,
    confirm,
    write_batch,
    write_checked,
)

__all__ = [
    "HEADERS",
    "COLUMNS",
    "OPTIONAL_COLUMNS",
    "LEVEL_SYNONYMS",
    "MAX_LENGTHS",
    "BATCH_SIZE",
    "LOOKUP_CHUNK",
    "ANALYZE_AFTER_ROWS",
    "MAX_UNPACKED_BYTES",
    "OLE2_MAGIC",
    "ZIP_MAGIC",
    "NEW",
    "UPDATE",
    "SKIP",
    "KIND_LABELS",
    "ImportFileError",
    "ImportUnavailable",
    "AlreadyConfirmed",
    "max_file_bytes",
    "Table",
    "read_upload",
    "read_file",
    "LeaderImportForm",
    "RowError",
    "Check",
    "column_index",
    "ExistingLeader",
    "ExistingLogin",
    "check",
    "store_preview",
    "delete_batches",
    "pending_batch",
    "PREVIEW_PAGE_SIZE",
    "PreviewCell",
    "preview_rows",
    "PLANNED_ON",
    "INPUT",
    "Written",
    "confirm",
    "write_batch",
    "write_checked",
    "analyze_after",
    "analyze_import_tables",
]
