"""Database housekeeping the code itself must do."""

from __future__ import annotations

from collections.abc import Iterable

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
