"""The people and the programme in our stories.

A small programme (three modules, two of them required, three cohorts) and the
people around it: ``leader`` and ``colleague`` in department A, ``manager_a``
responsible for A, ``manager_b`` for B, ``hr`` in the HR group, and a
``superuser``. Time is always set explicitly: ``NOW`` lies inside the programme.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import importlib
import os
import re
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.test import override_settings
from django.utils import timezone

from programme.models import (
    HR_GROUP,
    Cohort,
    Department,
    Leader,
    Location,
    Module,
    Programme,
    Session,
    User,
)

PASSWORD = "a-Long-test-passw0rd"
NOW = timezone.make_aware(dt.datetime(2016, 1, 18, 9, 0))


def local(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute))


def pytest_configure(config):
    """With REDIS_URL, each test process keeps its cache keys under a prefix of its own.

    The workers of one run (pytest-xdist: gw0, gw1, ...) share one Redis database; the
    prefix gets the worker's name, and the processes a test starts inherit it. The
    autouse fixture below empties only this prefix (tests/worker_cache.py).
    """
    from django.conf import settings
    from django.test.signals import clear_cache_handlers

    cache_settings = settings.CACHES["default"]
    if cache_settings["BACKEND"] != "portal.cache.TolerantRedisCache":
        return
    prefix = cache_settings.get("KEY_PREFIX", "")
    if worker := os.environ.get("PYTEST_XDIST_WORKER"):
        prefix = f"{prefix}-{worker}"
    os.environ["CACHE_KEY_PREFIX"] = prefix
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            **cache_settings,
            "BACKEND": "tests.worker_cache.WorkerRedisCache",
            "KEY_PREFIX": prefix,
        },
    }
    clear_cache_handlers(setting="CACHES")


# Tests that take far longer than the rest (tens of seconds each), longest first. They
# start first within their group, each followed by a short test: with several workers
# (pytest-xdist, `make test`) a worker holds the test it runs and the next one
# (--maxschedchunk 1), so no two long tests queue on one worker while another waits,
# and none is left to run alone at the end.
LONG_RUNNING = (
    "tests/e2e/test_crawl.py::",
    "tests/booking/test_seat_and_progress_properties.py::",
    "tests/e2e/test_accessibility.py::",
    "tests/test_query_budget.py::test_every_page_asks_the_same_named_queries",
    "tests/reports/test_disclosure_properties.py::",
)


def _long_rank(item) -> int:
    for rank, prefix in enumerate(LONG_RUNNING):
        if item.nodeid.startswith(prefix):
            return rank
    return len(LONG_RUNNING)


def _database_group(item) -> int:
    """pytest-django's order (as Django's): database tests, transactional ones, the rest."""
    marker = item.get_closest_marker("django_db")
    fixtures = set(getattr(item, "fixturenames", ()))
    transactional = bool(
        (marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))
        or fixtures & {"transactional_db", "live_server"}
    )
    if transactional:
        return 1
    return 0 if marker or "db" in fixtures else 2


def pytest_collection_modifyitems(config, items):
    """The long tests first in their group; PostgreSQL-only tests are skipped on SQLite,
    and fail in CI if PostgreSQL is missing.

    pytest-django has put the tests in its order (database, transactional, the rest),
    and tests/e2e/conftest.py puts the browser tests last; both orders are kept.
    """
    items.sort(key=lambda item: (_database_group(item), _long_rank(item)))
    ordered, shorts = [], []
    for group in {_database_group(item): None for item in items}:
        members = [item for item in items if _database_group(item) == group]
        longs = [item for item in members if _long_rank(item) < len(LONG_RUNNING)]
        shorts = members[len(longs) :]
        for long in longs:
            ordered += [long, *shorts[:1]]
            shorts = shorts[1:]
        ordered += shorts
    items[:] = ordered
    on_postgres = connection.vendor == "postgresql"
    if on_postgres:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL; runs in the PostgreSQL pass of .ci/run")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def many_connections():
    """For a test that opens dozens of PostgreSQL connections at once: such tests take
    turns across every test process on this machine (the workers of a run, and other
    runs), as PostgreSQL's max_connections (100) is shared by all of them."""
    lock = Path(tempfile.gettempdir()) / "portal-tests-many-connections.lock"
    with open(lock, "a") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


def pytest_sessionstart(session):
    """In CI an unreachable PostgreSQL or Redis fails the run; it is never quietly skipped
    (the portal itself carries on without Redis, so a pass meant to use it could not tell)."""
    redis_url = os.environ.get("REDIS_URL", "")
    if os.environ.get("CI") and redis_url:
        import redis

        try:
            redis.Redis.from_url(redis_url, socket_connect_timeout=5).ping()
        except redis.RedisError as exc:  # pragma: no cover - CI guard
            pytest.exit(f"REDIS_URL is set but Redis could not be reached: {exc}", 2)
    url = os.environ.get("DATABASE_URL", "")
    if os.environ.get("REQUIRE_POSTGRES") and url.startswith("postgres"):
        import psycopg

        try:
            psycopg.connect(url, connect_timeout=10).close()
        except psycopg.Error as exc:  # pragma: no cover - CI guard
            pytest.exit(f"PostgreSQL is required in CI and could not be reached: {exc}", 2)


# The portal's real defaults every test starts from: Danish, no demo clock. Hashing is
# deliberately slow in production; tests make hundreds of users. Links in e-mails point
# to the test server; single sign-on is off unless a test turns it on.
TEST_DEFAULTS = {
    "LANGUAGE_CODE": "da",
    "PORTAL_CLOCK": "",
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    "PORTAL_URL": "http://testserver",
    "SSO_ENABLED": False,
    "PASSWORD_SIGN_IN": True,
}


@pytest.fixture(autouse=True)
def _portal_defaults(settings):
    """Every test starts from ``TEST_DEFAULTS``, and nothing kept from an earlier test
    (with REDIS_URL the cache outlives each test)."""
    for name, value in TEST_DEFAULTS.items():
        setattr(settings, name, value)
    cache.clear()


def session_reads() -> int:
    """Queries a request spends reading its session: one, from the database (sessions
    live only there, with or without REDIS_URL)."""
    return 1


_NESTED = re.compile(r"\([^()]*\)")
_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?([a-z_]+)"?', re.IGNORECASE)


def at_once(work: Callable[[], None], n: int, timeout: float = 15) -> None:
    """Run ``work`` in ``n`` threads released together by a barrier, each closing its
    own database connections when done, and wait for them all (``timeout`` each)."""
    barrier = threading.Barrier(n)

    def run():
        try:
            barrier.wait(5)
            work()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)


def query_name(sql: str) -> str:
    """A short, stable name for one query: its verb and the table it starts from
    ("select programme_leader", "exists auth_group", "savepoint"), so a page's pinned
    queries read as a list of what it asks, as healthchecks pins its own."""
    verb = sql.split(None, 1)[0].lower()
    if verb == "declare":  # PostgreSQL's server-side cursor for an iterated SELECT
        verb = "select"
    if verb in {"savepoint", "release", "rollback", "commit", "begin", "set", "reset"}:
        return verb
    if sql.startswith("SELECT 1 AS"):
        verb = "exists"
    elif sql.startswith("SELECT COUNT(*)"):
        verb = "count"
    elif verb == "select" and "set_config" in sql:
        return "set_config"
    # The table the query itself reads, not one of its subqueries'.
    outer = sql
    while _NESTED.search(outer):
        outer = _NESTED.sub("", outer)
    table = _TABLE.search(outer)
    return f"{verb} {table.group(1) if table else '?'}"


def session_queries() -> list[str]:
    """The names of a request's session reads."""
    return ["select django_session"] * session_reads()


@contextlib.contextmanager
def _shared_transaction(django_db_blocker):
    """Yields the context to make the shared data in: database access allowed, the tests'
    defaults (``TEST_DEFAULTS``). Each test then opens its own transaction inside."""

    @contextlib.contextmanager
    def making():
        with django_db_blocker.unblock(), override_settings(**TEST_DEFAULTS):
            yield

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    try:
        yield making
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(scope="module")
def module_transaction(django_db_setup, django_db_blocker):
    """For data made once for a whole test module, as Django's ``TestCase.setUpTestData``
    makes it: a transaction that each test's own transaction nests in (a savepoint), so
    every test starts from the shared data and its writes are rolled back; the shared
    data is rolled back when the module's tests are done. For modules of hundreds of tests
    that each look at the same world (each test process builds it once). The fixture is
    the context to make the data in: ``with module_transaction(): ...``."""
    with _shared_transaction(django_db_blocker) as making:
        yield making


@pytest.fixture(scope="class")
def class_transaction(django_db_setup, django_db_blocker):
    """As ``module_transaction``, for the tests of one class (the module's other tests
    do not see the class's data)."""
    with _shared_transaction(django_db_blocker) as making:
        yield making


@pytest.fixture
def now() -> dt.datetime:
    return NOW


def make_programme() -> Programme:
    return Programme.objects.create(
        name="Digital ledelse 2015–2016",
        starts_on=dt.date(2015, 11, 1),
        ends_on=dt.date(2016, 7, 31),
    )


def make_modules(programme: Programme) -> list[Module]:
    return [
        Module.objects.create(programme=programme, order=1, title="Kick-off", required=True),
        Module.objects.create(programme=programme, order=2, title="IT", required=True),
        Module.objects.create(programme=programme, order=3, title="Inspiration", required=False),
    ]


@pytest.fixture
def programme(db) -> Programme:
    return make_programme()


@pytest.fixture
def modules(programme) -> list[Module]:
    return make_modules(programme)


@pytest.fixture
def department_a(db) -> Department:
    return make_department_a()


@pytest.fixture
def department_b(db) -> Department:
    return make_department_b()


def room(name: str = "Albertslund Rådhus", **extra) -> Location:
    """A room by name (made once); large unless a test says otherwise."""
    extra.setdefault("address", "Nordmarks Allé 1, 2620 Albertslund")
    extra.setdefault("capacity", 100)
    return Location.objects.get_or_create(name=name, defaults=extra)[0]


def make_session(cohort: Cohort, module: Module, start: dt.datetime, **extra) -> Session:
    """A six-hour session; each cohort gets a room of its own unless ``location`` is given,
    so the tests' cohorts can meet at the same time."""
    location = extra.pop("location", None)
    if not isinstance(location, Location):
        location = room(location or f"Albertslund Rådhus, {cohort.name}")
    return Session.objects.create(
        cohort=cohort,
        module=module,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=6),
        location=location,
        **extra,
    )


def make_cohort(
    programme: Programme, modules: list[Module], name: str, deadline: dt.date, *days: tuple
) -> Cohort:
    """A cohort of three seats whose sessions (one per module, in order) meet on ``days``."""
    cohort = Cohort.objects.create(
        programme=programme, name=name, capacity=3, enrolment_deadline=deadline
    )
    for module, day in zip(modules, days, strict=True):
        make_session(cohort, module, local(*day))
    return cohort


def hold_1(programme: Programme, modules: list[Module]) -> Cohort:
    """Hold 1: three seats, deadline after NOW; one session past, two to come."""
    return make_cohort(
        programme,
        modules,
        "Hold 1",
        dt.date(2016, 1, 31),
        (2016, 1, 12),
        (2016, 2, 9),
        (2016, 3, 8),
    )


def hold_2(programme: Programme, modules: list[Module]) -> Cohort:
    """Hold 2: a later cohort with the same modules, for make-ups and moves."""
    return make_cohort(
        programme,
        modules,
        "Hold 2",
        dt.date(2016, 2, 15),
        (2016, 2, 23),
        (2016, 3, 15),
        (2016, 4, 12),
    )


@pytest.fixture
def cohort(programme, modules) -> Cohort:
    return hold_1(programme, modules)


@pytest.fixture
def other_cohort(programme, modules) -> Cohort:
    return hold_2(programme, modules)


@pytest.fixture
def open_cohort(programme, modules) -> Cohort:
    """Hold 3: not yet started at NOW, so its waitlist is open (a cohort's waitlist
    closes when its first session starts)."""
    return make_cohort(
        programme,
        modules,
        "Hold 3",
        dt.date(2016, 2, 20),
        (2016, 3, 1),
        (2016, 3, 22),
        (2016, 4, 19),
    )


def make_user(email: str, **extra) -> User:
    return User.objects.create_user(email=email, password=PASSWORD, **extra)


def make_leader(email: str, name: str, department: Department, number: str) -> Leader:
    return Leader.objects.create(
        user=make_user(email),
        employee_number=number,
        name=name,
        title="Afdelingsleder",
        level=Leader.Level.DEPARTMENT,
        department=department,
    )


def make_department_a() -> Department:
    return Department.objects.create(name="Center for Økonomi og Styring", code="ØKS")


def make_department_b() -> Department:
    return Department.objects.create(name="Center for Børn og Familier", code="BOF")


def make_manager(email: str, department: Department) -> User:
    user = make_user(email)
    department.managers.add(user)
    return user


def make_hr() -> User:
    user = make_user("hr@albertslund.dk", is_staff=True)
    user.groups.add(Group.objects.get(name=HR_GROUP))
    return user


def make_superuser() -> User:
    return User.objects.create_superuser(email="admin@albertslund.dk", password=PASSWORD)


def the_leader(department_a: Department) -> Leader:
    return make_leader("soeren@albertslund.dk", "Søren Ærbø", department_a, "1001")


def the_colleague(department_a: Department) -> Leader:
    return make_leader("aase@albertslund.dk", "Åse Østergaard", department_a, "1002")


def the_outsider(department_b: Department) -> Leader:
    return make_leader("bodil@albertslund.dk", "Bodil Bæk", department_b, "2001")


@pytest.fixture
def leader(department_a) -> Leader:
    return the_leader(department_a)


@pytest.fixture
def colleague(department_a) -> Leader:
    return the_colleague(department_a)


@pytest.fixture
def outsider(department_b) -> Leader:
    return the_outsider(department_b)


@pytest.fixture
def manager_a(department_a) -> User:
    return make_manager("chef.a@albertslund.dk", department_a)


@pytest.fixture
def manager_b(department_b) -> User:
    return make_manager("chef.b@albertslund.dk", department_b)


@pytest.fixture
def hr(db) -> User:
    return make_hr()


@pytest.fixture
def superuser(db) -> User:
    return make_superuser()


def _migration(name: str):
    return importlib.import_module(f"programme.migrations.{name}")


def restore_hr_group() -> Group:
    """The HR group with exactly the rights the data migrations give it (0002, 0006, 0009,
    0010, 0020; the API's, the learning groups' and the materials' 0002): a transactional
    test's flush empties the tables, the migrations' data too."""
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    hr_group = _migration("0002_hr_group")
    codenames = [f"{action}_{model}" for model in hr_group.HR_MODELS for action in hr_group.ACTIONS]
    codenames += ["view_user", "view_historicalenrolment", "view_historicalattendance"]
    codenames += _migration("0009_locations_facilitators").HR_PERMISSIONS
    codenames += _migration("0010_self_assessment_and_initiatives").HR_PERMISSIONS
    outbox = _migration("0006_email_text_defaults_and_hr_outbox").HR_PERMISSIONS
    # The programme's models then; some have moved to their own apps since, their
    # rights with them (the content types keep their ids: */migrations/0001_initial.py).
    moved = ["programme", "mail", "outcomes", "hr"]
    wanted = Q(content_type__app_label__in=moved, codename__in=codenames)
    for app_label, names in outbox.items():
        labels = moved if app_label == "programme" else [app_label]
        wanted |= Q(content_type__app_label__in=labels, codename__in=names)
    api = importlib.import_module("api.migrations.0002_hr_manages_api_clients")
    wanted |= Q(content_type__app_label="api", codename__in=api.HR_PERMISSIONS)
    groups = importlib.import_module("groups.migrations.0002_hr_manages_learning_groups")
    wanted |= Q(content_type__app_label="groups", codename__in=groups.HR_PERMISSIONS)
    materials = importlib.import_module("materials.migrations.0002_hr_manages_materials")
    wanted |= Q(content_type__app_label="materials", codename__in=materials.HR_PERMISSIONS)
    reservations = _migration("0020_hr_reserves_seats")
    wanted |= Q(content_type__app_label="programme", codename__in=reservations.HR_PERMISSIONS)
    group, _created = Group.objects.get_or_create(name=HR_GROUP)
    group.permissions.set(Permission.objects.filter(wanted))
    return group


@pytest.fixture
def hr_group(transactional_db):
    """The HR group as the data migrations make it, and the shipped questionnaire, for a
    transactional test: the flush after an earlier one empties every table, the
    migrations' data too, and ``serialized_rollback`` cannot put it back in the browser
    tests: once Playwright's event loop runs, the test thread gets a fresh connection
    object without the serialized copy."""
    from outcomes.models import Questionnaire, Statement

    restore_hr_group()
    # Migration 0010: the shipped questionnaire (data, gone with the flush).
    outcomes = _migration("0010_self_assessment_and_initiatives")
    questionnaire, created = Questionnaire.objects.get_or_create(
        version=1, defaults=outcomes.DEFAULT_QUESTIONNAIRE
    )
    if created:
        Statement.objects.bulk_create(
            Statement(questionnaire=questionnaire, dimension=dimension, order=n, text=text)
            for n, (dimension, text) in enumerate(outcomes.DEFAULT_STATEMENTS, start=1)
        )


@pytest.fixture
def demo(db):
    """The demo data that ``make run`` loads."""
    import demo as demo_data

    return demo_data.seed()


def queued() -> list:
    """The e-mails in the outbox (django-post-office), oldest first."""
    from post_office.models import Email

    return list(Email.objects.order_by("pk"))


def send_outbox() -> None:
    """Run the outbox's worker once (in tests it sends into ``mailoutbox``)."""
    from mail.outbox import send_queued

    send_queued()


@pytest.fixture(scope="session")
def identity_provider():
    """A real OpenID Connect provider on 127.0.0.1 for the whole run (identity_provider.py)."""
    from tests.identity_provider import running_provider

    with running_provider() as provider:
        yield provider


@pytest.fixture
def sso(settings, identity_provider):
    """Single sign-on on, against the local provider; employee numbers in ``employee_number``."""
    from tests.identity_provider import CLIENT_ID, CLIENT_SECRET

    settings.OIDC_ISSUER = identity_provider.url
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_EMPLOYEE_NUMBER_CLAIM = "employee_number"
    # The test provider publishes one key without a key id (kid).
    settings.OIDC_VERIFY_KID = False
    settings.SSO_ENABLED = True
    identity_provider.requests.clear()
    return identity_provider
