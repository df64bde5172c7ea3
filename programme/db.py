"""Database housekeeping the code itself must do."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connection, models, transaction

from programme import page_versions


def analyze(*tables: type[models.Model]) -> None:
    """Refresh the planner's statistics after a bulk load (demo data, a large import).

    Right after tens of thousands of rows arrive, autovacuum has not yet looked at
    them, and PostgreSQL plans as if the tables were nearly empty: nested loops that
    take minutes instead of seconds. ``ANALYZE`` makes the next plans fit the data.
    """
    names = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in tables)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {names}")
        else:
            for model in tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


# Every foreign key of the schema: how to drop it, and how to add it back as it was.
_FOREIGN_KEYS = """
    SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),
           format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
                  pg_get_constraintdef(c.oid))
    FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
    WHERE c.contype = 'f' AND n.nspname = current_schema()
    ORDER BY c.conrelid::regclass::text, c.conname
"""


@contextmanager
def foreign_keys_checked_at_the_end() -> Iterator[None]:
    """For loading many rows in one transaction (the demo): on PostgreSQL, every foreign
    key of the schema is dropped at the start and added back, as it was, at the end,
    where adding it checks every row in one join, as ``pg_restore`` loads a dump. Kept,
    each row's insert would queue a check that runs at the commit, one lookup at a time
    (158 of the 737 s a 300,000-leader demo took on one machine).

    The block is a transaction (a savepoint inside one): if anything in it fails, the
    keys are back as they were with the rest undone, even when the caller goes on. A row
    that breaks a key fails the block with ``IntegrityError``, as the commit would.
    Other sessions wait for these tables until the transaction ends. Elsewhere than
    PostgreSQL, nothing changes.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        # Checks already waiting for the commit run now: a table with checks waiting
        # cannot be altered.
        connection.check_constraints()
        with connection.cursor() as cursor:
            cursor.execute(_FOREIGN_KEYS)
            keys = cursor.fetchall()
            for drop, _add in keys:
                cursor.execute(drop)
        yield
        with connection.cursor() as cursor:
            for _drop, add in keys:
                cursor.execute(add)


def insert_in_bulk(objs: Iterable[models.Model], *, batch_size: int = 5000) -> int:
    """Insert new, unsaved model instances as fast as the database takes them: ``COPY``
    on PostgreSQL (no SQL per row, no RETURNING), ``bulk_create`` elsewhere.

    For loading data (the demo, benchmarks): no signals, no primary keys set on the
    instances afterwards (read them back by a unique field if needed). The values are
    each field's ``pre_save`` value, as an INSERT would store them. Returns the count.
    """
    objs = list(objs)
    if not objs:
        return 0
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=batch_size)
        return len(objs)
    fields = [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and getattr(objs[0], field.attname) is None)
    ]
    rows = (
        [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
        for obj in objs
    )
    with transaction.atomic(savepoint=False):
        _copy(model, fields, rows)
        # COPY goes around the QuerySet: the kept pages these rows change, said here.
        page_versions.objects_written(model, objs)
    return len(objs)


def _copy(model: type[models.Model], fields: list, rows: Iterable) -> int:
    """``COPY`` the rows (one value per field, as the database stores it) into the
    model's table, streamed; PostgreSQL only. Returns the count."""
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    count = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def copy_rows(model: type[models.Model], fields: list[str], rows: Iterable[tuple]) -> int:
    """Insert plain rows, one value per name in ``fields`` (a foreign key by its
    ``_id``), as the database stores them: ``COPY`` on PostgreSQL, streamed (no model
    instance, nothing held: millions of rows in flat memory); ``bulk_create`` elsewhere.

    For many rows at once (the demo, the statistics of many arrivals). No signals; every
    kept page that shows rows of ``model`` is replaced (whose the rows are is not asked).
    Returns the count.
    """
    if connection.vendor == "postgresql":
        count = _copy(model, [model._meta.get_field(name) for name in fields], rows)
    else:
        count, batch = 0, []
        for row in rows:
            batch.append(model(**dict(zip(fields, row, strict=True))))
            if len(batch) >= 5000:
                model._base_manager.bulk_create(batch)
                count, batch = count + len(batch), []
        model._base_manager.bulk_create(batch)
        count += len(batch)
    if count:  # around the QuerySet: the kept pages these rows change, said here
        page_versions.written(model, None)
    return count
