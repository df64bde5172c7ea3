"""No data lost when the schema moves: a database holding the demo data as it stood
before the portal was split into apps (tests/schema_snapshot.py made it) is migrated to
today's schema, and every row of every table it held is found again, unchanged."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.db import connection

from tests.schema_snapshot import DUMP, MANIFEST, fingerprints
from tests.test_backup import connect, pg_env

# Tables whose rows migrations add to: every row they held must still be there.
GROWS = {
    "django_migrations",
    "programme_emailtext",  # mail 0002: the texts of the calendar's two new e-mails
    "auth_permission",  # the rights on the new models (scheduled imports, API clients)
    # api 0002 and groups 0002: HR's rights on the API clients and the learning groups
    "auth_group_permissions",
}
# Columns migrations added since the snapshot, dropped from the migrated copy before its
# rows are compared, so each row that was there is compared as it was: table: columns.
ADDED_COLUMNS = {
    "programme_session": ["sequence"],  # programme 0017, the calendar's SEQUENCE
    "programme_leader": ["calendar_token"],  # programme 0017, the calendar feed's key
    "programme_initiative": ["shared_at"],  # outcomes 0002, the catalogue of ideas
    # programme 0021, what a leader holds (for the forecast)
    "programme_standing": ["seated_in_id", "booked_until", "held_last", "held_until"],
}
# Models that moved to another app keep their table and their content type's id; only
# the content type's app label changes (so HR's permissions and the admin's history of
# their rows stay): model: its app now.
MOVED = {
    **dict.fromkeys(["sentreminder", "emailtext", "invitation", "outboxfile"], "mail"),
    **dict.fromkeys(
        [
            "questionnaire",
            "statement",
            "assessmentresponse",
            "answer",
            "initiative",
            "initiativestatuschange",
        ],
        "outcomes",
    ),
    **dict.fromkeys(["importbatch", "importjob", "importupload"], "hr"),
}
CONTENT_TYPES = "SELECT id, app_label, model FROM django_content_type ORDER BY id"
# Tables a migration renames, old name: new name (none so far: models that change app
# keep their tables, db_table).
RENAMED: dict[str, str] = {}

# Every model read through the ORM, all its columns, after the migration.
READ_EVERY_MODEL = """
from django.apps import apps
for model in apps.get_models():
    list(model._base_manager.all()[:5])
print("read", len(apps.get_models()), "models")
"""


@pytest.mark.postgres
def test_the_demo_database_from_before_the_move_migrates_with_every_row():
    before = json.loads(MANIFEST.read_text())
    env = pg_env(connection.settings_dict)
    fresh = f"migrate_{uuid.uuid4().hex[:12]}"
    subprocess.run(["createdb", fresh], env=env, check=True)
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", fresh, str(DUMP)],
            env=env,
            check=True,
        )
        with connect(env, fresh) as restored, restored.cursor() as cursor:
            cursor.execute(CONTENT_TYPES)
            types_before = cursor.fetchall()
        url = "postgres://{PGUSER}@{PGHOST}:{PGPORT}/".format(**env) + fresh
        manage = {**env, "DATABASE_URL": url, "REDIS_URL": "", "PORTAL_CLOCK": ""}
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
            env=manage,
            cwd=settings.BASE_DIR,
            check=True,
        )
        read = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", READ_EVERY_MODEL],
            env=manage,
            cwd=settings.BASE_DIR,
            check=True,
            capture_output=True,
            text=True,
        )
        with connect(env, fresh) as migrated:
            with migrated.cursor() as cursor:
                for table, columns in ADDED_COLUMNS.items():
                    for column in columns:
                        cursor.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
            after = fingerprints(migrated)
            with migrated.cursor() as cursor:
                cursor.execute("SELECT app, name FROM django_migrations")
                applied = set(cursor.fetchall())
                cursor.execute(CONTENT_TYPES)
                types_after = cursor.fetchall()
    finally:
        subprocess.run(["dropdb", "--if-exists", fresh], env=env, check=True)

    assert before["programme_leader"]["rows"] >= 150, "the snapshot holds the demo data"
    assert "read" in read.stdout
    lost = []
    for table, was in before.items():
        now = after.get(RENAMED.get(table, table))
        if now is None:
            lost.append(f"{table}: gone")
        elif table == "django_content_type":
            continue  # below: every one still there, with its id, the moved ones relabelled
        elif table in GROWS:
            if now["rows"] < was["rows"]:
                lost.append(f"{table}: {was['rows']} rows before, {now['rows']} after")
        elif now != was:
            lost.append(f"{table}: {was['rows']} rows before, {now['rows']} after, or changed")
    assert lost == []
    assert ("programme", "0015_import_check") in applied
    assert ("programme", "0016_models_move_to_their_apps") in applied
    assert len(types_before) == before["django_content_type"]["rows"]
    moved = [
        (pk, MOVED.get(model, app) if app == "programme" else app, model)
        for pk, app, model in types_before
    ]
    assert sum(app == "programme" and model in MOVED for _, app, model in types_before) == 13
    assert set(moved) <= set(types_after)
    assert not {(app, model) for _, app, model in types_after} & {
        ("programme", model) for model in MOVED
    }


def test_the_snapshot_is_there_for_the_postgresql_pass():
    """The dump and its fingerprints are committed (the test above needs PostgreSQL)."""
    assert DUMP.stat().st_size > 10_000
    manifest = json.loads(MANIFEST.read_text())
    assert {"programme_leader", "programme_enrolment", "post_office_email"} <= set(manifest)
