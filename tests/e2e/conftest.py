"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

One browser for the whole run (pytest-playwright's session-scoped ``browser``), a
fresh context (cookies, viewport) per test. Test data is made before the page
opens; the live server runs in this process, so the ``settings`` fixture (the
portal's clock, the password hasher) applies to it too.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client
from django.utils import translation

from tests.conftest import PASSWORD

# Debian's Chromium (apt-get install chromium); Playwright's own browser download is not used.
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
CLOCK = "2016-01-18T09:00"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(django_settings.BASE_DIR) / "artifacts" / "screenshots"
# Screenshots are for people to look at, not checks, and cost the browser time: the
# accessibility test takes them when SCREENSHOTS is set (.ci/run's PostgreSQL pass).
TAKE_SCREENSHOTS = bool(os.environ.get("SCREENSHOTS"))
DOWNLOADS = Path(django_settings.BASE_DIR) / "artifacts" / "downloads"


def chromium_missing_reason() -> str | None:
    if Path(CHROMIUM).is_file():
        return None
    return (
        f"Chromium is not installed at {CHROMIUM} (apt-get install chromium); browser tests skipped"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Let Django use the database while Playwright's event loop runs, in these tests only.

    Playwright's sync API runs an event loop in the test's thread, and Django refuses
    database access there unless DJANGO_ALLOW_ASYNC_UNSAFE is set. Set for the whole
    session it would leak into other tests' subprocesses (``check --deploy`` fails on it).
    """
    if Path(__file__).parent not in Path(item.fspath).parents:
        return (yield)
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        return (yield)
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


def uses_browser(item) -> bool:
    here = Path(__file__).parent
    return here in Path(item.fspath).parents and "browser" in getattr(item, "fixturenames", ())


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Browser tests run last, and without Chromium they skip (in CI they fail instead).

    Last, after pytest-django's own ordering: once Playwright has started, its event
    loop runs in the main thread until the session ends, and any later test that uses
    the database there would be refused by Django's async-safety check.
    """
    items[:] = [item for item in items if not uses_browser(item)] + [
        item for item in items if uses_browser(item)
    ]
    reason = chromium_missing_reason()
    if reason is None or os.environ.get("REQUIRE_BROWSER") == "1":
        return
    for item in filter(uses_browser, items):
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser_type_launch_args():
    reason = chromium_missing_reason()
    if reason is not None:
        pytest.fail(f"{reason}, but REQUIRE_BROWSER=1 says the browser is required")
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A Danish browser, as the municipality's leaders have; Danish is the default anyway.
    return {
        **browser_context_args,
        "locale": "da-DK",
        "timezone_id": "Europe/Copenhagen",
        "viewport": DESKTOP,
        "accept_downloads": True,
    }


@pytest.fixture(autouse=True)
def _e2e_settings(settings):
    """The portal's clock inside the programme, so deadlines are open; a fast password hash."""
    settings.PORTAL_CLOCK = CLOCK
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _close_test_connections():
    """Close this thread's connection after each test so PostgreSQL can drop the test database."""
    yield
    for connection in connections.all(initialized_only=True):
        connection.close()


@pytest.fixture
def hr(hr_group, hr):
    """The project's ``hr`` fixture, once the HR group is back."""
    return hr


def session_cookie(person, live_server) -> dict:
    """A signed-in session for a Leader or a User, as a browser cookie (no form, no password)."""
    client = Client()
    client.force_login(getattr(person, "user", person))
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    return {"name": cookie.key, "value": cookie.value, "url": live_server.url}


@pytest.fixture
def sign_in_as(context, live_server) -> Callable:
    """Sign a person in, in this test's browser, for pages that are not about signing in."""
    return lambda person: context.add_cookies([session_cookie(person, live_server)])


@pytest.fixture
def page_for(new_context, live_server) -> Callable:
    """A second person at another computer: their own browser context, already signed in."""

    def open_page(person):
        context = new_context()
        context.add_cookies([session_cookie(person, live_server)])
        return context.new_page()

    return open_page


@pytest.fixture
def world(programme, modules, cohort, other_cohort, leader, colleague, outsider, manager_a, hr):
    """A small programme in mid-January 2016, with everyone the pages need.

    ``leader`` holds a seat in Hold 1 and was present at its first session;
    ``colleague`` has no place yet; Hold 2 has free seats.
    """
    import booking
    from programme.models import Attendance
    from tests.conftest import NOW

    enrolment = booking.enrol(leader=leader, cohort=cohort, now=NOW)
    first = cohort.sessions.order_by("starts_at").first()
    Attendance.objects.create(
        leader=leader,
        session=first,
        status=Attendance.Status.PRESENT,
        recorded_by=hr,
        recorded_at=first.ends_at,
    )
    return SimpleNamespace(
        programme=programme,
        modules=modules,
        cohort=cohort,
        other_cohort=other_cohort,
        leader=leader,
        colleague=colleague,
        outsider=outsider,
        manager=manager_a,
        department=leader.department,
        hr=hr,
        enrolment=enrolment,
        first_session=first,
    )


def tab_to(page, selector: str, *, limit: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has focus, as a keyboard user would."""
    target = page.locator(selector).first
    target.wait_for()
    is_focused = "element => element === document.activeElement"
    for _ in range(limit):
        if target.evaluate(is_focused):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector!r} was not reached with Tab in {limit} presses")


def press_enter_on(page, selector: str) -> None:
    """Tab to the element and press Enter: a link is followed, a button submits its form."""
    tab_to(page, selector)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def sign_in_with_keyboard(page, email: str) -> None:
    """On the sign-in page: type the e-mail and password, Tab between them, Enter to send."""
    tab_to(page, "#id_username")
    page.keyboard.type(email)
    tab_to(page, "#id_password")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def da(msgid: str, plural: str = "", count: int = 0, **values) -> str:
    """What a Danish user reads for ``msgid``: the portal's own translation, filled in.

    For a ``{% blocktranslate count %}`` text give its ``plural`` and the ``count``.
    """
    with translation.override("da"):
        text = translation.ngettext(msgid, plural, count) if plural else translation.gettext(msgid)
    return text % values if values else text


@pytest.fixture
def demo_world(hr_group):
    """The demo data (``make run``: 150 leaders, 6 cohorts) and the people to look at it as.

    The page checks and screenshots use it, so a person sees realistic pages: a leader
    with a seat and attendance, a manager with departments, HR, and a leader who may
    not see reports.
    """
    from django.core.files.uploadedfile import SimpleUploadedFile

    import demo
    from groups.models import GroupMembership
    from hr import import_jobs, imports
    from outcomes.models import AssessmentResponse
    from programme.models import Attendance, Certificate, Enrolment, Leader, Session, User

    demo.seed()
    attended = (
        Attendance.objects.filter(
            status__in=Attendance.COMPLETING, leader__enrolments__status=Enrolment.Status.ENROLLED
        )
        .select_related("leader__user")
        .order_by("leader__employee_number")
        .first()
    )
    leader = attended.leader
    cohort = leader.enrolments.get(status=Enrolment.Status.ENROLLED).cohort
    manager = User.objects.get(email=demo.MANAGER_EMAIL)
    plain = (
        Leader.objects.filter(user__managed_departments__isnull=True, user__is_staff=False)
        .exclude(pk=leader.pk)
        .select_related("user")
        .order_by("employee_number")
        .first()
    )
    hr = User.objects.get(email=demo.HR_EMAIL)
    facilitator = User.objects.get(email=demo.FACILITATOR_EMAIL)
    # A certificate, for its public verification page (nobody has completed by the demo's day).
    certificate = Certificate.objects.create(
        leader=leader, programme=cohort.programme, completed_on=dt.date(2016, 1, 14)
    )
    # The self-assessment: a leader whose cohort has not begun (the baseline is open), a
    # leader of the first cohorts who answered both rounds, and an initiative of theirs.
    newcomer = (
        Enrolment.objects.filter(status=Enrolment.Status.ENROLLED, cohort__name="Hold 4")
        .select_related("leader__user")
        .order_by("leader__employee_number")
        .first()
        .leader
    )
    answered = (
        AssessmentResponse.objects.filter(round="follow_up", leader__initiatives__isnull=False)
        .select_related("leader__user")
        .order_by("leader__employee_number")
        .first()
        .leader
    )
    # An import HR confirmed and the import worker wrote: the leader as they are, so it
    # changes nothing.
    unchanged = ";".join(
        [
            leader.employee_number,
            leader.name,
            leader.user.email,
            leader.title,
            leader.level,
            leader.department.code,
        ]
    )
    text = f"Medarbejdernummer;Navn;E-mail;Stilling;Ledelsesniveau;Afdeling\r\n{unchanged}\r\n"
    small = imports.read_upload(SimpleUploadedFile("ledere-igen.csv", text.encode()))
    small_preview = imports.store_preview(
        imports.check(small, by=hr), by=hr, file_name="ledere-igen.csv"
    )
    job = import_jobs.queue(small_preview.pk, by=hr, invite=True)
    import_jobs.run_pending()
    # HR's preview of the shipped sample file, waiting to be confirmed.
    sample = Path(django_settings.BASE_DIR) / "docs" / "sample-leaders.csv"
    table = imports.read_upload(SimpleUploadedFile(sample.name, sample.read_bytes()))
    preview = imports.store_preview(imports.check(table, by=hr), by=hr, file_name=sample.name)
    return SimpleNamespace(
        leader=leader,
        colleague=plain,
        outsider=plain,
        manager=manager,
        hr=hr,
        import_preview=preview,
        import_job=job,
        facilitator=facilitator,
        facilitated_session=Session.objects.filter(facilitator__user=facilitator)
        .order_by("starts_at")
        .first(),
        certificate=certificate,
        cohort=cohort,
        department=manager.managed_departments.order_by("name").first(),
        newcomer=newcomer,
        answered=answered,
        initiative=answered.initiatives.first(),
        first_session=cohort.sessions.order_by("starts_at").first(),
        # The leader's learning group (the demo forms each cohort's groups).
        group=GroupMembership.objects.get(leader=leader).group,
    )
