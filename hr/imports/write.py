"""Step 4 of the leader import: the stored plan checked again against the database as it
is now and, when nothing changed, written in bulk with change history in one transaction."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import IntegrityError, connection, transaction
from simple_history.utils import bulk_create_with_history

from hr.imports.base import (
    ANALYZE_AFTER_ROWS,
    BATCH_SIZE,
    NEW,
    SKIP,
    UPDATE,
    ImportUnavailable,
    _chunks,
)
from hr.imports.check import Check, _Existing, _plan
from hr.imports.preview import _gone, delete_batches, pending_batch
from hr.models import ImportBatch, ImportJob
from programme import clock, page_versions
from programme.models import Leader, User

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
    (:func:`hr.import_jobs.queue`)."""
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
            reason = f"import: {batch.file_name}"
            invited = _write_planned(batch.rows, by=by, reason=reason, now=now, invite=invite)
            delete_batches(ImportBatch.objects.filter(pk=batch.pk))
    except (IntegrityError, ImportUnavailable) as exc:
        delete_batches(ImportBatch.objects.filter(pk=batch.pk))
        if isinstance(exc, ImportUnavailable):
            raise
        # Someone saved the same employee number or e-mail between our check and write.
        raise _out_of_date() from exc
    return Written(batch.new_count, batch.update_count, batch.unchanged_count, invited)


def write_checked(result: Check, *, by: User | None, file_name: str, now, invite: bool) -> Written:
    """Write a checked file's plan at once, without a preview, all or nothing (in one
    transaction, a savepoint inside the caller's): the scheduled import
    (:mod:`hr.scheduled_import`), which has no one to look at a preview. ``by`` None:
    no person's rights (no administrator's login is changed). The lines are planned
    again in the writing transaction, as a confirmed preview's are
    (:class:`ImportUnavailable` if the database changed since the check). Unchanged
    lines are not written: a file written twice changes nothing the second time."""
    try:
        with transaction.atomic(), page_versions.batch():
            reason = f"scheduled import: {file_name}"
            invited = _write_planned(result.rows, by=by, reason=reason, now=now, invite=invite)
    except IntegrityError as exc:
        raise _out_of_date() from exc
    return Written(result.count(NEW), result.count(UPDATE), result.count(SKIP), invited)


def _write_planned(planned_rows: list[dict], *, by: User | None, reason: str, now, invite) -> int:
    """Plan the lines again against the database as it is now and, when every line
    plans as before, write them (inside the caller's transaction); how many new leaders
    were invited. :class:`ImportUnavailable` (out of date) when any line plans
    differently now."""
    cleaned = [{key: row[key] for key in INPUT} for row in planned_rows]
    rows, errors, existing = _plan(cleaned, by=by)
    planned = [tuple(row[key] for key in PLANNED_ON) for row in planned_rows]
    if errors or [tuple(row[key] for key in PLANNED_ON) for row in rows] != planned:
        raise _out_of_date()
    _write(rows, existing, by=by, reason=reason[:100], now=now)
    return _invite_new(rows, by=by) if invite else 0


def analyze_after(written: Written) -> None:
    """After a large import has committed: fresh statistics for the planner."""
    if written.new + written.updated >= ANALYZE_AFTER_ROWS:
        analyze_import_tables()


def _invite_new(rows: list[dict], *, by: User | None) -> int:
    """Invitations for the file's new leaders, queued in the import's transaction (a
    rolled-back import queues none)."""
    from accounts.invitations import invite_new_leaders

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


def _write(rows: list[dict], existing: _Existing, *, by: User | None, reason: str, now) -> None:
    history = {"default_user": by, "default_change_reason": reason, "default_date": now}
    _create_new(rows, history=history, now=now)
    _update_changed(rows, existing, history=history)


def _create_new(rows: list[dict], *, history: dict, now) -> None:
    """The new leaders, with a new login each unless the plan found them a free one."""
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
    bulk_create_with_history(new_leaders, Leader, batch_size=BATCH_SIZE, **history)


def _update_changed(rows: list[dict], existing: _Existing, *, history: dict) -> None:
    """The changed leaders (and their logins' address and name), with change history."""
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
