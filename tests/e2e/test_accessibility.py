"""Every page of the portal, checked in a real browser for WCAG 2.1 A and AA.

Each page is opened as the person who uses it, checked with axe-core (the rules
tagged wcag2a, wcag2aa, wcag21a and wcag21aa: zero violations), photographed at
desktop (1280) and phone (390) width into ``artifacts/screenshots/``, and must not
scroll sideways on the phone. In `make test` a signed-in page is checked at phone width
only, since the crawl checks the pages people reach at desktop width; CI checks every
page at both. ``test_every_url_name_is_checked_or_exempted`` makes sure a new route
cannot slip past: it walks the URL resolver and fails for every name that is neither in
``PAGES`` nor in ``EXEMPT``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from axe_playwright_python.base import AxeResults
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.template.loader import render_to_string
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from portal.context_processors import hr_contact
from tests.e2e.conftest import DESKTOP, PHONE, SCREENSHOTS, TAKE_SCREENSHOTS, da, session_cookie

pytestmark = pytest.mark.e2e

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": WCAG_TAGS},
    "resultTypes": ["violations"],
    # Selectors are not needed for the report (the HTML of each node is), and cost time.
    "selectors": False,
}
AXE = Axe()
AXE_RUN = f"axe.run(document, {json.dumps(AXE_OPTIONS)})"


@dataclass(frozen=True)
class Page:
    """How to open one page: as whom (an attribute of the ``world`` fixture, or nobody)."""

    who: str | None
    args: Callable = field(default=lambda world: ())
    path: Callable | None = None  # for pages that are not a URL name (error pages)
    status: int = 200

    def url(self, name: str, world) -> str:
        if self.path is not None:
            return self.path(world)
        return reverse(name, args=self.args(world))


def _invitation_link_args(world) -> tuple[str, str]:
    from accounts.invitations import invitation_tokens

    user = world.colleague.user
    return urlsafe_base64_encode(force_bytes(user.pk)), invitation_tokens.make_token(user)


def _email_text_args(world) -> tuple[int]:
    from mail.emails import text_for

    return (text_for("promoted").pk,)


def _reset_link_args(world) -> tuple[str, str]:
    user = world.leader.user
    return urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)


def _team_leader_args(world) -> tuple[int]:
    """A seated leader in the manager's departments: their place, in the manager's hands."""
    from programme.models import Enrolment

    seat = (
        Enrolment.objects.filter(status="enrolled", leader__department__managers=world.manager)
        .order_by("leader__employee_number")
        .first()
    )
    return (seat.leader_id,)


def _team_reservation_args(world) -> tuple[int]:
    """Seats reserved for the manager (the demo has none), held open: the page offers
    the leaders who may be named."""
    import datetime as dt

    from programme.models import Cohort, Reservation

    reservation = Reservation.objects.filter(manager=world.manager).first()
    if reservation is None:
        reservation = Reservation.objects.create(
            cohort=Cohort.objects.order_by("-pk").first(),
            manager=world.manager,
            seats=2,
            release_on=dt.date(2100, 1, 1),
        )
    return (reservation.pk,)


def _attended_args(world) -> tuple[int]:
    """A session the leader was at: its evaluation (the form, or their own answers)."""
    from programme.models import Attendance

    attended = Attendance.objects.filter(leader=world.leader, status__in=Attendance.COMPLETING)
    return (attended.order_by("-session__starts_at").first().session_id,)


# Every page a person sees, by URL name, and who looks at it.
PAGES: dict[str, Page] = {
    "login": Page(None),
    "password_reset": Page(None),
    "password_reset_done": Page(None),
    "password_reset_confirm": Page(None, args=_reset_link_args),
    "password_reset_complete": Page(None),
    "invitation_confirm": Page(None, args=_invitation_link_args),
    "password_change": Page("leader"),
    "password_change_done": Page("leader"),
    "accessibility": Page(None),
    "dashboard:dashboard": Page("leader"),
    "dashboard:cohort_list": Page("leader"),
    "dashboard:cohort_detail": Page("leader", args=lambda w: (w.cohort.pk,)),
    "outcomes:self_assessment": Page("newcomer"),
    "outcomes:assessment_result": Page("answered"),
    "outcomes:initiative_list": Page("answered"),
    "outcomes:catalogue": Page("answered"),
    "materials:list": Page("answered"),
    "outcomes:initiative_new": Page("newcomer"),
    "outcomes:initiative_edit": Page("answered", args=lambda w: (w.initiative.pk,)),
    "outcomes:report": Page("manager"),
    "groups:detail": Page("leader", args=lambda w: (w.group.pk,)),
    "reports:overview": Page("manager"),
    "reports:forecast": Page("hr"),
    "managers:team": Page("manager"),
    "managers:place": Page("manager", args=_team_leader_args),
    "managers:reservations": Page("manager"),
    "managers:reservation": Page("manager", args=_team_reservation_args),
    "managers:absences": Page("manager"),
    "dashboard:report_absence": Page(
        "leader", args=lambda w: (w.cohort.sessions.order_by("-starts_at").first().pk,)
    ),
    "managers:approvals": Page("manager"),
    "reports:compliance": Page("manager", args=lambda w: ("not_enrolled",)),
    "hr:start": Page("hr"),
    "reports:department": Page("manager", args=lambda w: (w.department.pk,)),
    "privacy:my_data": Page("leader"),
    "accounts:profile": Page("leader"),
    "privacy:anonymise": Page("hr", args=lambda w: (w.outsider.pk,)),
    "privacy:lockouts": Page("hr"),
    # Attendance in the room: the facilitator's pages, typing a code, a certificate's check.
    "checkin:sessions": Page("facilitator"),
    "checkin:screen": Page("facilitator", args=lambda w: (w.facilitated_session.pk,)),
    "checkin:enter": Page(None),
    # Session evaluations: the leader's, HR's averages, the facilitator's own.
    "evaluations:answer": Page("leader", args=_attended_args),
    "evaluations:overview": Page("hr"),
    "evaluations:mine": Page("facilitator"),
    "evaluations:session": Page("facilitator", args=lambda w: (w.facilitated_session.pk,)),
    "verify_certificate": Page(None, args=lambda w: (w.certificate.code,)),
    # The read API's documentation, for the municipality's IT.
    "api:openapi-view": Page(None),
    # The administration pages HR works in most, the ones we built among them.
    "admin:index": Page("hr"),
    "admin:programme_session_changelist": Page("hr"),
    "admin:programme_session_attendance": Page("hr", args=lambda w: (w.first_session.pk,)),
    "admin:programme_leader_import": Page("hr"),
    "admin:mail_emailtext_change": Page("hr", args=_email_text_args),
    "admin:post_office_email_changelist": Page("hr"),
    "admin:groups_learninggroup_change": Page("hr", args=lambda w: (w.group.pk,)),
    "admin:programme_leader_import_preview": Page("hr", args=lambda w: (w.import_preview.pk,)),
    "admin:programme_leader_import_job": Page("hr", args=lambda w: (w.import_job.pk,)),
}

# Pages that are not URL names: the error pages, reached as people reach them.
ERROR_PAGES: dict[str, Page] = {
    "404": Page("leader", path=lambda w: "/no-such-page/", status=404),
    # A leader who manages no department may not see the reports.
    "403": Page("colleague", path=lambda w: reverse("reports:overview"), status=403),
    # A NUL character in the address (portal.middleware.BadInputMiddleware).
    "400": Page(
        "leader", path=lambda w: reverse("dashboard:cohort_list") + "?page=%00", status=400
    ),
}

# Routes that are not pages of their own, each with the reason.
EXEMPT: dict[str, str] = {
    "logout": "POST only: signs out and redirects to the sign-in page",
    "set_language": "POST only: the language switch, driven in the language journey",
    "healthz": "plain text for the load balancer",
    "dashboard:schedule_ics": "an iCalendar file, downloaded in the enrolment journey",
    "dashboard:session_ics": "an iCalendar file for one session",
    "dashboard:enrol": "POST only: the enrol button on the cohort page",
    "dashboard:cancel": "POST only: the cancel button on the dashboard and cohort page",
    "dashboard:book_makeup": "POST only: the make-up button on a cohort page",
    "dashboard:cancel_makeup": "POST only: cancels a make-up booking",
    "dashboard:certificate": "a PDF file: the leader's kursusbevis (test_certificate.py)",
    "dashboard:calendar_feed": "an iCalendar feed at a secret address (test_calendar_feed.py)",
    "materials:file": "a file download (the material HR uploaded), not a page",
    "outcomes:collaborate": "POST only: the 'Vil samarbejde' button in the catalogue of ideas",
    "dashboard:renew_calendar_feed": "POST only: the renew button in the dashboard's feed section",
    "checkin:code": "redirects to checkin:confirm, or the refusal page checked in the journey",
    "checkin:confirm": (
        "the check-in's result; both its pages are checked at 390 and 1280 px in "
        "test_check_in_journey.py"
    ),
    "checkin:mark_present": "POST only: the check-in button on the session screen",
    "checkin:close": "POST only: the close button on the session screen",
    "reports:export": "a CSV file, downloaded in the report journey",
    "reports:forecast_csv": "a CSV file of the forecast's weekly numbers",
    "reports:export_xlsx": "an Excel file, downloaded in the report journey",
    "managers:decide_absence": "POST only: the approve and decline buttons on managers:absences",
    "managers:decide": "POST only: approves or declines a request (tests/approvals/)",
    "dashboard:withdraw_request": "POST only: the withdraw button on the dashboard",
    "managers:export": "a CSV file: the columns of Mit team (tests/managers/)",
    "managers:export_xlsx": "an Excel file: the columns of Mit team (tests/managers/)",
    "outcomes:report_csv": "a CSV file: the self-assessment's averages",
    "outcomes:initiatives_csv": "a CSV file: the initiatives",
    "privacy:my_data_json": "a JSON file: the leader's personal data",
    "privacy:my_data_csv": "a CSV file: the leader's personal data",
    "privacy:unlock": "POST only: the lift button on the sign-in blocks page",
    "api:programmes": "JSON for the HR and BI systems (tests/api/)",
    "api:cohorts": "JSON for the HR and BI systems (tests/api/)",
    "api:sessions": "JSON for the HR and BI systems (tests/api/)",
    "api:leaders": "JSON for the HR and BI systems (tests/api/)",
    "api:attendance": "JSON for the HR and BI systems (tests/api/)",
    "api:openapi-json": "the OpenAPI document (JSON); its page is api:openapi-view",
    "api:api-root": "nothing there: answers 404 (the API's routes are under it)",
    "sso_start": "redirects to the identity provider (single sign-on journey)",
    "sso_callback": (
        "where the identity provider sends the browser back; the sign-in page with single "
        "sign-on and the refusal page are checked in test_sign_in_journeys.py"
    ),
}

# Whole namespaces left out, with the reason.
EXEMPT_NAMESPACES: dict[str, str] = {
    "admin": (
        "Django's own administration for HR, not built by us: its pages HR works in most are "
        "in PAGES; the rest is named as a known gap in the accessibility statement"
    ),
}


def url_names(patterns=None, namespace: str = "") -> list[str]:
    """Every route's name, with its namespaces (``reports:overview``); unnamed routes as ``?``."""
    names = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names += url_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            names.append(
                f"{namespace}{entry.name}" if entry.name else f"{namespace}?{entry.pattern}"
            )
    return names


def test_every_url_name_is_checked_or_exempted():
    unchecked = sorted(
        {
            name
            for name in url_names()
            if name not in PAGES
            and name not in EXEMPT
            and name.split(":")[0] not in EXEMPT_NAMESPACES
        }
    )
    assert unchecked == [], (
        "These routes are neither checked for accessibility (PAGES) nor exempted with a "
        f"reason (EXEMPT) in {Path(__file__).name}: {unchecked}"
    )


def test_the_lists_name_only_routes_that_exist():
    names = set(url_names())
    assert sorted(set(PAGES) - names) == []
    assert sorted(set(EXEMPT) - names) == []


def axe_report(results) -> str:
    return "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(node["html"][:160] for node in v["nodes"][:5])
        for v in results.response["violations"]
    )


# The outermost elements that reach past the phone's right edge, for the failure message.
TOO_WIDE_JS = """width => {
  const wide = [...document.body.querySelectorAll('*')].filter(
    el => el.getBoundingClientRect().right > width + 0.5);
  const absolute = el => ['absolute', 'fixed'].includes(getComputedStyle(el).position);
  return wide.filter(el => absolute(el) || !wide.includes(el.parentElement)).slice(0, 8).map(el => {
    const name = `${el.tagName.toLowerCase()} class="${el.getAttribute('class') || ''}"`;
    return `${name} (${Math.round(el.getBoundingClientRect().right)}px)`;
  });
}"""


def check_page(page, slug: str, *, desktop_too: bool = True) -> list[str]:
    """Axe at both widths (``desktop_too``; else the phone's only), no sideways scroll on
    a phone, and screenshots at both widths when asked for (``SCREENSHOTS``).

    Returns the problems found (none is a pass). The screenshots are taken first,
    so a person can look at a page that fails.
    """
    page.set_viewport_size(DESKTOP)
    if TAKE_SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{slug}-1280.png", full_page=True)
    page.evaluate(AXE.axe_script)  # once per page, run at both widths
    desktop = AxeResults(page.evaluate(AXE_RUN)) if desktop_too else None
    page.set_viewport_size(PHONE)
    if TAKE_SCREENSHOTS:
        page.screenshot(path=SCREENSHOTS / f"{slug}-390.png", full_page=True)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    too_wide = page.evaluate(TOO_WIDE_JS, PHONE["width"]) if scroll_width > PHONE["width"] else []
    phone = AxeResults(page.evaluate(AXE_RUN))
    page.set_viewport_size(DESKTOP)

    problems = []
    if desktop is not None and desktop.violations_count:
        problems.append(f"axe at 1280 px:\n{axe_report(desktop)}")
    if phone.violations_count:
        problems.append(f"axe at 390 px:\n{axe_report(phone)}")
    if scroll_width > PHONE["width"]:
        problems.append(
            f"scrolls sideways on a phone: {scroll_width}px; outermost elements past the "
            f"edge: {too_wide}"
        )
    return problems


def page_error(message) -> bool:
    """An error the page itself logs; not the browser's favicon request, nor axe's own."""
    url = message.location.get("url", "")
    return message.type == "error" and bool(url) and not url.endswith("/favicon.ico")


def slug_for(name: str) -> str:
    return name.replace(":", "-")


def sign_in_blocked(page, world, live_server) -> None:
    """django-axes' lockout page, reached as a person reaches it: too many wrong passwords."""
    page.goto(live_server.url + reverse("login"))
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.fill("#id_username", world.leader.user.email)
        page.fill("#id_password", "not-the-password")
        with page.expect_navigation():
            page.locator("main form [type=submit]").click()
    assert page.locator("h1").inner_text() == da("Sign-in blocked for one hour")


CHECKED = {**PAGES, **ERROR_PAGES}
# A signed-in page at 1280 px is the crawl's (tests/e2e/test_crawl.py checks every page
# each role reaches at that width, with more of axe's rules): in `make test` this test
# checks it at phone width only, and in CI (``CI`` set) at both, as every other page.
SIGNED_IN_DESKTOP_TOO = bool(os.environ.get("CI"))
SCREENSHOT_SLUGS = [slug_for(name) for name in CHECKED] + ["sign-in-blocked", "500", "503"]


@pytest.mark.django_db(transaction=True)
def test_every_page_meets_wcag_21_aa_at_both_widths(demo_world, context, page, live_server):
    """All pages in one test: one set of data, one database flush (slow on PostgreSQL)."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)  # so the files checked below are this run's
    world = demo_world
    problems: dict[str, list[str]] = {}
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if page_error(m) else None)
    for name, spec in CHECKED.items():
        context.clear_cookies()
        if spec.who:
            context.add_cookies([session_cookie(getattr(world, spec.who), live_server)])
        console.clear()
        response = page.goto(live_server.url + spec.url(name, world))
        # The page's own errors (CSP refusals, missing files), before axe adds its own.
        errors = [e for e in console if not (spec.status >= 400 and str(spec.status) in e)]
        found = check_page(page, slug_for(name), desktop_too=SIGNED_IN_DESKTOP_TOO or not spec.who)
        if response.status != spec.status:
            found.append(f"HTTP {response.status} at {page.url}, expected {spec.status}")
        if page.locator("h1").count() != 1:
            found.append(f"{page.locator('h1').count()} h1 elements, expected one")
        if errors:
            found.append(f"browser console errors: {errors}")
        if found:
            problems[name] = found

    context.clear_cookies()
    sign_in_blocked(page, world, live_server)
    if found := check_page(page, "sign-in-blocked"):
        problems["sign-in blocked (axes lockout)"] = found

    # 500.html stands alone (no database, no context): check it as the browser gets it.
    page.set_content(render_to_string("500.html"))
    if found := check_page(page, "500"):
        problems["500"] = found

    # 503.html answers a booking the busy database gave up on; it cannot be reached on
    # purpose here, so it is rendered as the middleware renders it, on the portal's
    # origin (for its style sheets).
    page.goto(live_server.url + reverse("accessibility"))
    busy = {"booking": True, "sent": True, "programme_name": world.cohort.programme.name}
    busy.update(hr_contact(None))  # as the middleware renders it when the database is busy
    page.set_content(render_to_string("503.html", busy))
    if found := check_page(page, "503"):
        problems["503"] = found

    missing = [
        f"{slug}-{width}.png"
        for slug in SCREENSHOT_SLUGS
        for width in (DESKTOP["width"], PHONE["width"])
        if TAKE_SCREENSHOTS and not (SCREENSHOTS / f"{slug}-{width}.png").is_file()
    ]
    assert missing == [], f"missing screenshots in {SCREENSHOTS}: {missing}"

    report = "\n\n".join(f"{name}:\n" + "\n".join(found) for name, found in problems.items())
    assert problems == {}, f"{len(problems)} of {len(CHECKED) + 3} pages fail:\n{report}"
