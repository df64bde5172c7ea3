"""Database housekeeping the code itself must do."""

from __future__ import annotations

from django.db import connection, models


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
