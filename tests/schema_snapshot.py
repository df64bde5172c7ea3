"""A snapshot of the portal's database as it stood before the move into apps (issue 25):
the demo data at schema version 2 (migrations up to ``programme.0015``), dumped with
``pg_dump``, and a fingerprint of every table's rows, so a test can migrate that database
to today's schema and find every row (``tests/test_schema_migration.py``).

Made once, with PostgreSQL running, by::

    .venv/bin/python -m tests.schema_snapshot

which migrates a new database, seeds the demo data (``seed_demo``), and writes
``tests/data/demo-schema-v2.dump`` and ``tests/data/demo-schema-v2.json``. Do not make it
again after the move: it is the "before" the migrations are checked against.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg

DATA = Path(__file__).resolve().parent / "data"
DUMP = DATA / "demo-schema-v2.dump"
MANIFEST = DATA / "demo-schema-v2.json"
SERVER = os.environ.get("SNAPSHOT_SERVER", "postgres://postgres@127.0.0.1:5432")


def fingerprints(connection: psycopg.Connection) -> dict[str, dict]:
    """Every table of the public schema: its row count and an md5 of all its rows (each
    row as text, in order), so a row lost, added or changed shows."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        tables = [name for (name,) in cursor.fetchall()]
        found = {}
        for table in tables:
            cursor.execute(
                "SELECT count(*), "
                "md5(coalesce(string_agg(t::text, chr(10) ORDER BY t::text), '')) "
                f'FROM "{table}" t'
            )
            rows, digest = cursor.fetchone()
            found[table] = {"rows": rows, "md5": digest}
    return found


def _manage(database_url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": "", "PORTAL_CLOCK": ""}
    subprocess.run([sys.executable, "manage.py", *args], env=env, check=True)


def main() -> None:
    name = f"snapshot_{uuid.uuid4().hex[:8]}"
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    try:
        url = f"{SERVER}/{name}"
        _manage(url, "migrate", "--noinput", "--verbosity", "0")
        _manage(url, "seed_demo")
        DATA.mkdir(exist_ok=True)
        subprocess.run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                "--file",
                str(DUMP),
                url,
            ],
            check=True,
        )
        with psycopg.connect(url) as connection:
            MANIFEST.write_text(
                json.dumps(fingerprints(connection), indent=1, sort_keys=True) + "\n"
            )
    finally:
        subprocess.run(
            ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=True
        )


if __name__ == "__main__":
    main()
