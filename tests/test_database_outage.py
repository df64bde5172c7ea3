"""The database away: every page answers the portal's own 503 page, never the 500 page.

While PostgreSQL restarted (8 s down), the outside tester's pages answered 500 "Der
opstod en fejl ... Fejlen er registreret": a leader reads that as the portal being
broken, and does not know to simply try again. Now an error that means the database
could not be reached - refused, restarting, a connection closed under the request -
answers 503 with the portal's Danish "try again in a moment" page and ``Retry-After``,
wherever it was raised: in the view (``DatabaseBusyMiddleware``) or before it, loading
the session (``handler500``). ``/healthz`` answers 503. Nothing is half-saved: a
transaction that cannot reach the database does not commit.

The database is made unreachable for real: the portal's connection is pointed at a
file that cannot be opened (SQLite) or a port where nothing listens, its PostgreSQL
session is terminated as a restart does, or its own PostgreSQL server is stopped and
started again.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    close_old_connections,
    connection,
    connections,
)
from django.db.utils import load_backend
from django.test import Client
from django.urls import reverse
from post_office.models import Email

from portal.middleware import database_unavailable
from programme.models import Enrolment
from tests.mail.test_outbox import MuteServer
from tests.test_read_replica import BIN, _why_not, as_postgres, free_port

UNAVAILABLE = "Portalen kan ikke bruges lige nu"
ERROR_PAGE = "Der opstod en fejl"


@contextmanager
def database_at(**where):
    """From now on the portal's requests reach the database at ``where`` (the settings
    of the default connection, changed): a new connection, as a fresh worker's."""
    original = connections[DEFAULT_DB_ALIAS]
    settings_dict = {**original.settings_dict, **where}
    moved = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, DEFAULT_DB_ALIAS)
    connections[DEFAULT_DB_ALIAS] = moved
    try:
        yield moved
    finally:
        moved.close()
        connections[DEFAULT_DB_ALIAS] = original


def assert_unavailable_page(response, what: str) -> None:
    assert response.status_code == 503, f"{what}: {response.status_code}"
    assert UNAVAILABLE in response.text, what
    assert ERROR_PAGE not in response.text, what
    assert response["Retry-After"] == "10", what


def signed_in(user) -> Client:
    # Errors raised outside the view are still sent to Django's got_request_exception
    # (and logged): the client must not re-raise them, as a browser would not.
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def check_every_page_while_away(as_leader: Client, as_staff: Client, cohort) -> None:
    """The pages people open, the booking they send, the admin and the health check."""
    anonymous = Client(raise_request_exception=False)
    for what, method, url in (
        ("dashboard", as_leader.get, reverse("dashboard:dashboard")),
        ("cohorts", as_leader.get, reverse("dashboard:cohort_list")),
        ("admin", as_staff.get, reverse("admin:index")),
        ("sign-in page", anonymous.get, reverse("login")),
    ):
        assert_unavailable_page(method(url), what)
    booking = as_leader.post(reverse("dashboard:enrol", args=[cohort.pk]))
    assert_unavailable_page(booking, "enrol")
    assert "tjek din plads, når portalen svarer igen" in booking.text
    assert anonymous.get(reverse("healthz")).status_code == 503


def test_every_page_answers_503_while_the_database_file_cannot_be_opened(
    leader, hr, cohort, settings
):
    settings.PORTAL_CLOCK = "2016-01-18T09:00"
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite case; PostgreSQL has its own below")
    as_leader, as_hr = signed_in(leader.user), signed_in(hr)
    with database_at(NAME=str(Path(tempfile.gettempdir()) / "no-such-dir" / "portal.sqlite3")):
        check_every_page_while_away(as_leader, as_hr, cohort)
    assert as_leader.get(reverse("dashboard:dashboard")).status_code == 200
    assert not Enrolment.objects.exists()
    assert not Email.objects.exists()


def test_a_query_the_database_refuses_is_still_a_bug(db):
    """Only the database being away is a 503; a query it refuses answers the 500 page."""
    with pytest.raises(DatabaseError) as refused, connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    assert not database_unavailable(refused.value)


# --- PostgreSQL --------------------------------------------------------------------


@pytest.mark.postgres
def test_every_page_answers_503_while_postgresql_refuses_connections(leader, hr, cohort, settings):
    settings.PORTAL_CLOCK = "2016-01-18T09:00"
    as_leader, as_hr = signed_in(leader.user), signed_in(hr)
    with database_at(HOST="127.0.0.1", PORT=str(free_port())):
        check_every_page_while_away(as_leader, as_hr, cohort)
    assert as_leader.get(reverse("dashboard:dashboard")).status_code == 200


@pytest.mark.postgres
def test_a_database_host_that_never_answers_is_given_up_after_the_connect_timeout(
    leader, hr, cohort, settings
):
    """A host switched off, or a firewall dropping packets: the request waits
    ``DB_CONNECT_TIMEOUT`` (here its least, 2 s), not until gunicorn stops the worker."""
    settings.PORTAL_CLOCK = "2016-01-18T09:00"
    as_leader = signed_in(leader.user)
    silent = MuteServer()
    options = {**connection.settings_dict["OPTIONS"], "connect_timeout": 2}
    try:
        with database_at(HOST="127.0.0.1", PORT=str(silent.port), OPTIONS=options):
            started = time.monotonic()
            response = as_leader.get(reverse("dashboard:dashboard"))
            waited = time.monotonic() - started
    finally:
        silent.close()
    assert_unavailable_page(response, "dashboard")
    assert 2 <= waited < 6


def test_connections_give_up_connecting_after_five_seconds_by_default():
    from django.conf import settings

    assert settings.DB_CONNECT_TIMEOUT == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_terminates_under_the_request_answers_503(leader, cohort, settings):
    """A restart ends every open session (57P01, "terminating connection due to
    administrator command"): the next query of a kept connection meets it."""
    settings.PORTAL_CLOCK = "2016-01-18T09:00"
    client = signed_in(leader.user)
    with database_at() as kept:
        kept.ensure_connection()
        _terminate(kept.connection.info.backend_pid)
        assert_unavailable_page(
            client.post(reverse("dashboard:enrol", args=[cohort.pk])), "enrol, cut off"
        )
        # Django closes a connection that failed at the end of the request, and the
        # next request opens a new one.
        close_old_connections()
        assert client.get(reverse("dashboard:dashboard")).status_code == 200
    assert not Enrolment.objects.exists()
    assert not Email.objects.exists()


def _terminate(pid: int) -> None:
    import psycopg

    params = connection.settings_dict
    with psycopg.connect(
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        dbname=params["NAME"],
        autocommit=True,
    ) as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]


@pytest.fixture
def own_server():
    """A PostgreSQL server of this test's own, on a free port, that it may stop."""
    reason = _why_not()
    if reason:
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail(f"CI needs the restart test: {reason}")
        pytest.skip(reason)
    base = Path(tempfile.mkdtemp(prefix="outage-test-"))
    os.chown(base, *_postgres_ids())
    data, port = base / "data", free_port()
    ctl = [f"{BIN[-1]}/pg_ctl", "-D", str(data), "-l", str(base / "log"), "-w"]
    options = ["-o", f"-p {port} -k {base} -c listen_addresses=127.0.0.1"]
    as_postgres(f"{BIN[-1]}/initdb", "-D", str(data), "-U", "postgres", "--auth=trust")
    server = {
        "port": port,
        "start": lambda: as_postgres(*ctl, *options, "start"),
        "stop": lambda: as_postgres(*ctl, "-m", "fast", "stop"),
    }
    server["start"]()
    try:
        yield server
    finally:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *ctl, "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )
        subprocess.run(["rm", "-rf", str(base)], check=False)


def _postgres_ids() -> tuple[int, int]:
    import pwd

    record = pwd.getpwnam("postgres")
    return record.pw_uid, record.pw_gid


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_while_postgresql_restarts_every_page_answers_503_and_then_the_portal_carries_on(
    own_server, leader, superuser, cohort, settings
):
    settings.PORTAL_CLOCK = "2016-01-18T09:00"
    # The test's data, committed, copied to the server the portal is about to use.
    params = connection.settings_dict
    source = (
        f"postgresql://{params['USER']}@{params['HOST'] or '127.0.0.1'}:"
        f"{params['PORT'] or 5432}/{params['NAME']}"
    )
    tools, port = BIN[-1], str(own_server["port"])
    where = ["-h", "127.0.0.1", "-p", port, "-U", "postgres"]
    subprocess.run([f"{tools}/createdb", *where, "portal"], check=True)
    dump = subprocess.run([f"{tools}/pg_dump", "-Fc", source], check=True, capture_output=True)
    subprocess.run(
        [f"{tools}/pg_restore", *where, "--no-owner", "-d", "portal"], input=dump.stdout, check=True
    )
    with database_at(HOST="127.0.0.1", PORT=port, NAME="portal", USER="postgres", PASSWORD=""):
        # (A superuser for the admin: a flushed test database has no HR group.)
        as_leader, as_admin = signed_in(leader.user), signed_in(superuser)
        assert as_leader.get(reverse("dashboard:dashboard")).status_code == 200

        own_server["stop"]()  # ends every session, as a restart does, then refuses
        check_every_page_while_away(as_leader, as_admin, cohort)

        own_server["start"]()
        close_old_connections()  # as Django does at the end of every request
        assert as_leader.get(reverse("dashboard:dashboard")).status_code == 200
        assert Client().get(reverse("healthz")).status_code == 200
        assert not Enrolment.objects.exists()  # the booking sent while it was down
        assert not Email.objects.exists()
