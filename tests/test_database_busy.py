"""A held row never freezes the portal: web requests give up waiting and say so in Danish.

The outside tester held a cohort row ``FOR UPDATE`` in another connection: every worker
waited on it, ``/healthz`` and ``/cohorts/`` took 9 s, and after 30 s the leader got
gunicorn's bare "Internal Server Error" without knowing whether they were enrolled.
Now web connections open with ``lock_timeout`` and ``statement_timeout`` (settings
``DB_LOCK_TIMEOUT``, ``DB_STATEMENT_TIMEOUT``), and a request that gives up gets a 503
page saying the booking did not happen.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from programme.models import Enrolment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def clock(settings):
    settings.PORTAL_CLOCK = "2016-01-18T09:00"


@pytest.fixture
def second_connection():
    """Another session on the test database, as another worker or a psql prompt would be."""
    params = connection.settings_dict
    with psycopg.connect(
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        dbname=params["NAME"],
    ) as other:
        yield other
        other.rollback()


def show(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


def test_web_connections_open_with_the_configured_timeouts(db):
    assert (settings.DB_LOCK_TIMEOUT, settings.DB_STATEMENT_TIMEOUT) == (5, 20)
    assert (show("lock_timeout"), show("statement_timeout")) == ("5s", "20s")


def test_a_booking_behind_a_held_cohort_row_answers_503_in_danish_and_writes_nothing(
    client, clock, leader, cohort, second_connection
):
    client.force_login(leader.user)
    second_connection.execute(
        "SELECT id FROM programme_cohort WHERE id = %s FOR UPDATE", [cohort.pk]
    )

    started = time.monotonic()
    response = client.post(reverse("dashboard:enrol", args=[cohort.pk]))
    waited = time.monotonic() - started

    assert response.status_code == 503
    assert settings.DB_LOCK_TIMEOUT <= waited < settings.DB_LOCK_TIMEOUT + 3
    page = response.text
    assert "Din tilmelding eller afmelding blev ikke gennemført" in page
    assert "blev IKKE gennemført: intet er ændret" in page
    assert "Prøv igen om et øjeblik." in page
    assert '<nav class="navbar' in page  # the portal's own page, through base.html
    assert response["Retry-After"] == "5"
    assert not Enrolment.objects.exists()

    # Still held: the portal answers everything that does not need that row.
    for url in (reverse("healthz"), reverse("dashboard:cohort_list")):
        started = time.monotonic()
        assert client.get(url).status_code == 200
        assert time.monotonic() - started < 1, url


def test_saving_in_the_admin_behind_a_held_row_is_told_nothing_was_saved(
    client, superuser, department_a, second_connection
):
    client.force_login(superuser)
    held = "SELECT id FROM programme_department WHERE id = %s FOR UPDATE"
    second_connection.execute(held, [department_a.pk])
    url = reverse("admin:programme_department_change", args=[department_a.pk])
    response = client.post(url, {"name": "Nyt navn", "code": "ØKS"})
    assert response.status_code == 503
    assert "Intet blev gemt" in response.text
    department_a.refresh_from_db()
    assert department_a.name == "Center for Økonomi og Styring"


def test_the_csv_export_has_a_longer_statement_timeout_while_it_streams(client, superuser, cohort):
    client.force_login(superuser)
    response = client.get(reverse("reports:export"))
    assert response.status_code == 200
    assert show("statement_timeout") == "2min"  # rows are read while the file streams
    b"".join(response.streaming_content)
    response.close()
    assert show("statement_timeout") == "20s"


def test_management_commands_wait_as_long_as_they_need():
    env = {k: v for k, v in os.environ.items() if k != "PORTAL_PROCESS"}
    script = (
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('SHOW lock_timeout'); a = c.fetchone()[0]; "
        "c.execute('SHOW statement_timeout'); print(a, c.fetchone()[0])"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["0", "0"]


def test_once_the_row_is_free_the_next_booking_waits_for_no_one(
    client, clock, leader, colleague, cohort, second_connection
):
    """After the 503 the request's transaction is gone, with its locks."""
    client.force_login(leader.user)
    second_connection.execute(
        "SELECT id FROM programme_cohort WHERE id = %s FOR UPDATE", [cohort.pk]
    )
    assert client.post(reverse("dashboard:enrol", args=[cohort.pk])).status_code == 503
    second_connection.rollback()
    client.force_login(colleague.user)
    started = time.monotonic()
    assert client.post(reverse("dashboard:enrol", args=[cohort.pk])).status_code == 302
    assert time.monotonic() - started < 1
    assert list(Enrolment.objects.values_list("leader", flat=True)) == [colleague.pk]
