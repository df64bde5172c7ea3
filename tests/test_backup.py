"""Backups: a pg_dump of the database restores with pg_restore into an empty database
with every row (the commands in docs/operations.md)."""

from __future__ import annotations

import os
import subprocess
import uuid

import psycopg
import pytest
from django.db import connection

import demo


def pg_env(settings_dict: dict) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PGHOST": settings_dict["HOST"] or "127.0.0.1",
            "PGPORT": str(settings_dict["PORT"] or 5432),
            "PGUSER": settings_dict["USER"] or "postgres",
        }
    )
    if settings_dict["PASSWORD"]:
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    return env


def connect(env: dict[str, str], dbname: str) -> psycopg.Connection:
    """A connection to ``dbname`` on the server ``env`` names (``pg_env``)."""
    return psycopg.connect(
        dbname=dbname,
        host=env["PGHOST"],
        port=env["PGPORT"],
        user=env["PGUSER"],
        password=env.get("PGPASSWORD"),
    )


def row_counts(cursor, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    return counts


@pytest.mark.postgres
def test_a_dump_restores_into_a_fresh_database_with_every_row(hr_group, tmp_path):
    demo.seed()
    settings_dict = connection.settings_dict
    env = pg_env(settings_dict)
    dump = tmp_path / "portal.dump"
    fresh = f"restore_{uuid.uuid4().hex[:12]}"
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        before = row_counts(cursor, tables)
    assert before["programme_leader"] >= 150

    subprocess.run(
        ["pg_dump", "--format=custom", "--file", str(dump), settings_dict["NAME"]],
        env=env,
        check=True,
    )
    subprocess.run(["createdb", fresh], env=env, check=True)
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", fresh, str(dump)],
            env=env,
            check=True,
        )
        with connect(env, fresh) as restored:
            after = row_counts(restored.cursor(), tables)
    finally:
        subprocess.run(["dropdb", "--if-exists", fresh], env=env, check=True)

    assert after == before
