"""Step 3 of the leader import: the checked plan kept as an
:class:`~programme.models.ImportBatch` for its uploader, its pages of lines, and the
rules for when a preview is gone or expired."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.utils.translation import gettext as _

from hr.imports.base import COLUMNS, NEW, SKIP, UPDATE, AlreadyConfirmed, ImportUnavailable
from hr.imports.check import Check
from hr.models import ImportBatch, ImportJob
from programme import clock
from programme.models import Leader, User


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
