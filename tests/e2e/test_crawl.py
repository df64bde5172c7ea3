"""Every page every role can reach: axe (WCAG 2.0/2.1 A and AA, and axe's best practices),
the W3C Nu HTML checker, and no English on the Danish pages.

Signs in as each demo role (leader, manager, facilitator, HR, a superuser), starts from the
portal's pages and from every admin changelist, add, change, history and delete
page of every model registered with the admin (``admin.site._registry``, so a model
registered later is covered without touching this file), and follows every
same-origin link it finds. Each HTML page is checked with axe at 1280 px, and in CI
(``CI`` set, as ``.ci/run`` sets it) at 390 px too: the second width is a third of the
crawl's time, and in ``make test`` every route is checked at phone width (and those
open without signing in at desktop width too) by tests/e2e/test_accessibility.py, which
fails for a route it neither checks nor exempts.
And its HTML, as the server sent it, with the Nu HTML checker (``vnu.jar`` from the
npm package ``vnu-jar``, run on Debian's Java) in one batch at the end. Nothing scrolls
sideways where people work: no portal page at 390 px (in CI), no admin page (or its list) at
1280 px.

Each page's text as a Danish user meets it (every text node of the body, hidden ones
too, since a menu or a pop-up shows them later, and the title, ``aria-label``,
``placeholder`` and ``alt`` attributes and the value of input buttons) is searched for
English words that are not also Danish (``ENGLISH``). The browser's text is used, not
the server's HTML, so the admin's JavaScript widgets (the calendar, the filter boxes,
select2) are read as well. With ``CRAWL_SCREENSHOTS`` set (``.ci/run`` sets it to
``artifacts/crawl-screenshots/``), every page is photographed, full length, at both widths
into that folder, to be looked at.

Pages of one shape are checked once: numbers in the path and the values of the
query string are left out of a page's key (``/admin/programme/leader/<n>/change/``
with ``?department=``), or the crawl would open every leader. A superuser's admin
pages that HR already saw are not checked again. The admin's history, delete and pop-up
pages are one template each, whatever the model: in `make test` one model's of each app
is checked, in CI every model's.

The pages are seen with content: the demo data (``demo/``) on the crawl's
day, mid-March 2016, when the first cohorts have completed, a session is under way and
Hold 6 still takes enrolments. Some pages differ by what they show, not by their
address (an e-mail that was sent, one that waits, one that failed): ``CONTENT`` pages
are checked each, whatever their key, and must show the row they are about, so a demo
without e-mails, check-ins, reminders or certificates fails here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections import deque
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from axe_playwright_python.base import AxeResults
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import escape

from tests.e2e.conftest import DESKTOP, PHONE, session_cookie
from tests.e2e.test_accessibility import WCAG_TAGS, axe_report

pytestmark = pytest.mark.e2e

VNU_JAR = Path(settings.BASE_DIR) / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
CRAWL_LEADERS = 40
# The demo's day for the crawl: cohorts 1 and 2 have completed (certificates), Hold 2 meets
# this morning (a session under way), Hold 6 takes enrolments until 31 March.
CRAWL_DAY = dt.datetime(2016, 3, 15, 9, 20)
# WCAG 2.0/2.1 A and AA, and axe's best practices (headings, landmarks, regions...).
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": [*WCAG_TAGS, "best-practice"]},
    "resultTypes": ["violations"],
    # Selectors are not needed for the report (the HTML of each node is), and cost time.
    "selectors": False,
}
AXE_RUN = f"axe.run(document, {json.dumps(AXE_OPTIONS)})"
# Every page at phone width too: in CI (``.ci/run`` exports CI), not in `make test`.
PHONE_WIDTH_TOO = bool(os.environ.get("CI"))
CRAWL_REPORTS = Path(settings.BASE_DIR) / "artifacts" / "crawl"  # one file per part
# Full-page screenshots of every page at both widths, to be looked at: taken when
# CRAWL_SCREENSHOTS names a folder (.ci/run sets it). They are for people, not checks,
# and cost the browser time, so `make test` leaves them out.
CRAWL_SCREENSHOTS = (
    Path(os.environ["CRAWL_SCREENSHOTS"]) if os.environ.get("CRAWL_SCREENSHOTS") else None
)

# English words and phrases that are not also Danish words, matched whole-word and
# case-sensitively (a lowercase entry matches its capitalised form too). Left out on
# purpose, because they are Danish as well: to, for, under, over, i, by, at, hold, side,
# sort, time, start, end, last, more, be, her, had, program, filter, status, type, data,
# session, facilitator, dashboard, import, log, send, plan, team, note, IT, sent ("for
# sent": late), and the loans site, download and upload.
ENGLISH = [
    # the small words of English sentences
    "the", "and", "of", "with", "from", "this", "that", "these", "your", "you", "are",
    "is", "was", "were", "been", "has", "have", "not", "will", "would", "can", "could",
    "should", "there", "here", "which", "what", "when", "where", "who", "how", "or",
    "all", "any", "an", "it", "its", "on", "in", "into", "than", "then", "please",
    "below", "above", "before", "after", "about", "only", "each", "every", "some",
    "none", "other", "same", "such", "may", "must", "our", "we", "us", "they", "their",
    "yes", "No", "unknown", "out", "up",
    # Django's admin, django-simple-history, django-axes, django-post-office
    "save", "delete", "deleted", "history", "search", "add", "change", "changed",
    "changes", "created", "choose", "chosen", "select", "selected", "action", "actions",
    "user", "users", "group", "groups", "permission", "permissions", "password",
    "username", "email", "home", "welcome", "view", "documentation", "recent",
    "available", "clear", "today", "now", "yesterday", "tomorrow", "cancel", "close",
    "remove", "revert", "object", "comment", "reason", "submit", "previous", "next",
    "page", "ascending", "descending", "show", "hide", "edit", "update", "export",
    "required", "optional", "error", "errors", "field", "fields",
    "active", "staff", "superuser", "attempt", "attempts", "failure", "failures",
    "access", "address", "agent", "path", "priority", "subject", "message",
    "queued", "failed", "title", "name", "description", "date", "first",
    "Date/time", "Show all", "Changed by", "Log in", "Log out", "View site",
    # the portal's own words
    "cohort", "cohorts", "leader", "leaders", "module", "modules", "department",
    "departments", "location", "locations", "programme", "certificate", "attendance",
    "absent", "late", "excused", "behind", "enrolled", "enrol", "enrolment", "waitlist",
    "waitlisted", "cancelled", "completed", "progress", "calendar", "report", "reports",
    "seats", "capacity", "deadline", "employee", "number", "level", "initiative",
    "initiatives", "assessment", "statement", "answer", "answers", "reminder",
    "reminders", "guest", "guests", "code", "issued", "language", "settings",
    "Sign in", "Sign out", "Skip to content", "Questions", "Accessibility",
]  # fmt: skip
ENGLISH_TEXT = re.compile(
    r"(?<![\w/.-])({})(?![\w/-]|\.\w)".format(
        "|".join(
            re.escape(form)
            for word in sorted(set(ENGLISH), key=len, reverse=True)
            for form in {word, word[0].upper() + word[1:]}
        )
    )
)
# Text that is not a message of the portal or of an app, left out before the search:
# the placeholders of the e-mail texts HR edits ({{ cohort }}: code, not words), and
# "<unknown>", which django-axes stores in its logs for a browser that sends no
# User-Agent (the test client); a stored value, not a message; and a masked secret, as
# the admin shows a password's salt and hash: its first characters, then asterisks (a
# random salt starting "we" is not English).
NOT_MESSAGES = re.compile(r"\{\{.*?\}\}|<unknown>|\S*\*{4,}")
# The text a Danish user meets, as one string: text nodes outside elements marked with
# another language (the "English" button), and the attributes read aloud or shown.
PAGE_TEXT = r"""() => {
  const danish = el => !el.closest('[lang]') || el.closest('[lang]').lang.startsWith('da');
  const texts = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (el && !el.closest('script, style, template, noscript') && danish(el)) {
      texts.push(node.data);
    }
  }
  const attributes = ['title', 'aria-label', 'placeholder', 'alt'];
  for (const el of document.body.querySelectorAll('[title], [aria-label], [placeholder], [alt]')) {
    if (danish(el)) texts.push(...attributes.map(name => el.getAttribute(name) || ''));
  }
  const buttons = 'input[type=submit], input[type=button], input[type=reset]';
  for (const el of document.body.querySelectorAll(buttons)) {
    if (danish(el)) texts.push(el.value);
  }
  return texts.join('\n');
}"""

# Same-origin links the crawl does not follow: they sign out, switch the language (a
# POST anyway) or serve files, not pages. Everything else a person can click is checked.
# What scrolls sideways: the page, or an admin list inside its column.
SIDEWAYS_JS = """() => {
  const found = [];
  const page = document.documentElement.scrollWidth;
  if (page > window.innerWidth) found.push(`the page is ${page} px wide`);
  for (const el of document.querySelectorAll('#changelist .results')) {
    if (el.scrollWidth > el.clientWidth) {
      found.push(`the list is ${el.scrollWidth} px wide in ${el.clientWidth} px`);
    }
  }
  return found;
}"""

SKIP = re.compile(r"^/(logout/|admin/logout/|i18n/|static/|healthz)|\.(ics|csv|json|xlsx|pdf)$")
NUMBER = re.compile(r"/\d+(?=/)")
# The admin's history and delete pages, and its pop-up forms (the "+" beside a choice),
# are the admin's and django-simple-history's templates, the same whatever the model:
# CI checks every model's, `make test` one model's of each app (38 of HR's 127 pages).
ONE_MODEL_PER_APP = not os.environ.get("CI")
ONE_PER_APP = re.compile(r"^/admin/(\w+)/\w+/(<n>/history/|<n>/delete/|add/\?_popup)$")


def page_key(url: str) -> str:
    """One key per page shape: numbers in the path and the query string left out (filters,
    sorting and pages of a list are the same page), except for the admin's pop-up form.
    In `make test`, an admin history, delete or pop-up page has one key per app
    (``ONE_MODEL_PER_APP``)."""
    parts = urlsplit(url)
    popup = "?_popup" if "_popup" in dict(parse_qsl(parts.query)) else ""
    key = NUMBER.sub("/<n>", parts.path) + popup
    if ONE_MODEL_PER_APP:
        key = ONE_PER_APP.sub(r"/admin/\1/<model>/\2", key)
    return key


def admin_seeds() -> list[str]:
    """Every registered model's changelist, add page, and one object's change, history
    and delete pages."""
    urls = []
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        for view in ("changelist", "add"):
            urls.append(reverse("admin:{}_{}_{}".format(*info, view)))
        obj = model._default_manager.order_by("pk").first()
        if obj is None:
            continue
        for view in ("change", "history", "delete"):
            try:
                urls.append(reverse("admin:{}_{}_{}".format(*info, view), args=[obj.pk]))
            except NoReverseMatch:
                continue
    return urls


def screenshot_slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", urlsplit(path).path.lower()).strip("-")[:80] or "home"


LINKS = re.compile(r"""<a\b[^>]*?\bhref=(["'])(.*?)\1""", re.IGNORECASE | re.DOTALL)


def links_in(html: str, base: str) -> list[str]:
    found = []
    for _, href in LINKS.findall(html):
        href = href.replace("&amp;", "&")
        if href.startswith(("mailto:", "tel:", "javascript:", "#")):
            continue
        url = urljoin(base, href)
        parts = urlsplit(url)
        if parts.netloc and parts.netloc != "testserver":
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not SKIP.search(parts.path):
            found.append(path)
    return found


def discover(
    person, seeds: list[str], seen: set[str], content: tuple[str, ...] = ()
) -> list[tuple[str, str]]:
    """The HTML pages ``person`` reaches from ``seeds``, breadth first, one per page key,
    and each of the ``content`` pages first, whatever its key.

    Returns (path, html) for each page answering 200 with HTML, not yet in ``seen``.
    """
    client = Client()
    client.force_login(getattr(person, "user", person))
    queue = deque([(path, path) for path in content] + [(path, None) for path in seeds])
    visited: set[str] = set()
    pages = []
    while queue:
        path, key = queue.popleft()
        key = key or page_key(path)
        if key in visited:
            continue
        visited.update({key, page_key(path)})
        if os.environ.get("CRAWL_LOG"):
            with open(os.environ["CRAWL_LOG"], "a") as log:
                log.write(f"{time.monotonic():.1f} GET {path}\n")
        response = client.get(path)
        if response.status_code in (301, 302):
            queue.extend(
                (link, None) for link in links_in(f'<a href="{response["Location"]}">', path)
            )
            continue
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue  # not this person's page (403, 404), or a file
        if response.streaming:
            continue
        html = response.content.decode()
        queue.extend((link, None) for link in links_in(html, path))
        if key not in seen:
            seen.update({key, page_key(path)})
            pages.append((path, html))
    return pages


def english_in(text: str) -> list[str]:
    """The English words in ``text``, each once, with a little of the text around it."""
    text = NOT_MESSAGES.sub(" ", text)
    found: dict[str, str] = {}
    for match in ENGLISH_TEXT.finditer(text):
        around = " ".join(text[max(match.start() - 30, 0) : match.end() + 30].split())
        found.setdefault(match.group(1), f"{match.group(1)!r} in …{around}…")
    return list(found.values())


def nu_errors(files: dict[Path, str]) -> dict[str, list[str]]:
    """The Nu HTML checker's errors per page, in one run of the checker."""
    result = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", "--exit-zero-always"]
        + [str(path) for path in files],
        capture_output=True,
        text=True,
        check=True,
    )
    errors: dict[str, list[str]] = {}
    for message in json.loads(result.stderr)["messages"]:
        page = files.get(Path(urlsplit(message.get("url", "")).path), message.get("url", "?"))
        extract = message.get("extract", "").strip().replace("\n", " ")[:120]
        errors.setdefault(page, []).append(
            f"line {message.get('lastLine', '?')}: {message['message']} ({extract})"
        )
    return errors


def java_missing_reason() -> str | None:
    if shutil.which("java") is None:
        return "Java is not installed (apt-get install openjdk-17-jre-headless)"
    if not VNU_JAR.is_file():
        return f"{VNU_JAR} is missing (make assets installs it from package.json)"
    return None


@pytest.fixture
def crawl_world(hr_group, settings):
    """The demo data on the crawl's day, with fewer leaders (the pages are the same; a list
    of 40 rows is checked faster than one of 100), the demo's people, and per role the
    pages that show the demo's records (path, and a text the page must show)."""
    from post_office.models import STATUS, Email

    import demo
    from mail.models import SentReminder
    from programme.models import Attendance, Certificate, Session, User

    settings.PORTAL_CLOCK = CRAWL_DAY.isoformat()
    demo.seed(leaders=CRAWL_LEADERS, as_of=CRAWL_DAY)

    def first(queryset, what: str):
        found = queryset.order_by("pk").first()
        assert found is not None, f"the demo data has no {what}: its page would be empty"
        return found

    certificate = first(Certificate.objects.select_related("leader__user"), "certificate")
    emails = {
        name: first(Email.objects.filter(status=getattr(STATUS, name)), f"{name} e-mail")
        for name in ("sent", "queued", "failed")
    }
    reminder = first(SentReminder.objects.select_related("leader"), "reminder sent")
    checked_in = first(
        Attendance.objects.filter(source=Attendance.Source.SELF_CHECK_IN).select_related(
            "leader", "session"
        ),
        "self check-in",
    )
    closed = first(
        Session.objects.filter(
            closed_at__isnull=False, attendances__source=Attendance.Source.SELF_CHECK_IN
        ).distinct(),
        "session its facilitator closed after check-in",
    )

    now = timezone.make_aware(CRAWL_DAY)
    under_way = first(
        Attendance.objects.filter(
            session__facilitator__user__email=demo.FACILITATOR_EMAIL,
            session__starts_at__lte=now,
            session__ends_at__gt=now,
        ).select_related("leader"),
        "check-in to a session under way",
    )

    # Approval where wanted (ENROLMENT_APPROVAL=manager): requests for a place from two of
    # the manager's leaders without one, the first unanswered long enough to be flagged.
    from approvals.models import EnrolmentRequest
    from programme.models import Cohort, Enrolment, Leader

    settings.ENROLMENT_APPROVAL = "manager"
    placed = Enrolment.objects.filter(status__in=Enrolment.ACTIVE).values("leader")
    asking = list(
        Leader.objects.exclude(pk__in=placed)
        .filter(department__managers__email=demo.MANAGER_EMAIL, left_on__isnull=True)
        .order_by("pk")[:2]
    )
    assert asking, "the demo data has no manager's leader without a place to ask for one"
    open_cohort = first(
        Cohort.objects.filter(enrolment_deadline__gte=CRAWL_DAY.date()), "cohort open"
    )
    for days, leader in zip((10, 1), asking, strict=False):
        EnrolmentRequest.objects.create(
            leader=leader, cohort=open_cohort, requested_at=now - dt.timedelta(days=days)
        )

    # Two seats of that cohort reserved for the manager's leaders, not yet given: the
    # reservation's page offers them the leaders of theirs without a place.
    import booking
    from programme.models import Reservation

    held = booking.reserve(
        manager=User.objects.get(email=demo.MANAGER_EMAIL), cohort=open_cohort, seats=2, now=now
    )

    def change(model, pk):
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[pk])

    def changelist(model):
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")

    content = {
        # A leader who completed: the dashboard offers the kursusbevis; anyone checks it.
        "leader": [
            (reverse("dashboard:dashboard"), certificate.leader.name),
            (reverse("verify_certificate", args=[certificate.code]), certificate.leader.name),
        ],
        "manager": [
            (reverse("reports:compliance", args=["behind"]), ""),
            (reverse("managers:approvals"), asking[0].name),
            (reverse("managers:reservations"), open_cohort.name),
            (reverse("managers:reservation", args=[held.pk]), asking[0].name),
        ],
        "facilitator": [
            (reverse("checkin:screen", args=[closed.pk]), str(closed.module.title)),
            # The screen with the check-in code, and who has checked in so far.
            (reverse("checkin:screen", args=[under_way.session_id]), under_way.leader.name),
        ],
        "hr": [
            (reverse("hr:start"), asking[0].name),
            (changelist(Email), emails["failed"].subject),
            *((change(Email, email.pk), email.subject) for email in emails.values()),
            (changelist(Certificate), certificate.code),
            (change(Certificate, certificate.pk), certificate.code),
            (changelist(SentReminder), reminder.leader.name),
            (change(SentReminder, reminder.pk), reminder.subject_key),
            (change(Attendance, checked_in.pk), checked_in.leader.name),
            (reverse("admin:programme_session_attendance", args=[closed.pk]), ""),
            (changelist(Reservation), open_cohort.name),
            (change(Reservation, held.pk), ""),
        ],
        "superuser": [],
    }
    return {
        "leader": certificate.leader.user,
        "manager": User.objects.get(email=demo.MANAGER_EMAIL),
        "facilitator": User.objects.get(email=demo.FACILITATOR_EMAIL),
        "hr": User.objects.get(email=demo.HR_EMAIL),
        "superuser": User.objects.create_superuser(email="admin@albertslund.dk", password="x"),
        "content": content,
    }


# The crawl in two parts, so the test processes of `make test` share it: HR's pages (the
# most: every admin page HR may open), and everybody else's. The superuser's part first
# finds HR's pages (without checking them) so as not to check the admin pages twice.
PARTS = {
    "hr": ("hr",),
    "others": ("leader", "manager", "facilitator", "superuser"),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("part", PARTS)
def test_every_page_of_every_role_passes_axe_and_the_nu_html_checker_in_danish(
    crawl_world, context, page, live_server, part
):
    reason = java_missing_reason()
    if reason is not None:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    started = time.monotonic()
    portal = [reverse("dashboard:dashboard"), reverse("reports:overview"), reverse("admin:index")]
    roles = {
        "leader": (crawl_world["leader"], portal),
        "manager": (crawl_world["manager"], portal),
        "facilitator": (crawl_world["facilitator"], portal + [reverse("checkin:sessions")]),
        "hr": (crawl_world["hr"], portal + admin_seeds()),
        "superuser": (crawl_world["superuser"], portal + admin_seeds()),
    }
    admin_seen: set[str] = set()
    if "superuser" in PARTS[part] and "hr" not in PARTS[part]:
        # The pages HR reaches, found as HR finds them: HR's part checks them.
        hr, seeds = roles["hr"]
        discover(hr, seeds, admin_seen, tuple(path for path, _ in crawl_world["content"]["hr"]))
    problems: dict[str, list[str]] = {}
    html_files: dict[Path, str] = {}
    counts: dict[str, int] = {}
    content_pages: dict[str, list[str]] = {}
    out = Path(tempfile.mkdtemp(prefix="crawl-"))
    if CRAWL_SCREENSHOTS:
        CRAWL_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for role in PARTS[part]:  # so this part's files are this run's (the other's may run)
            for old in CRAWL_SCREENSHOTS.glob(f"{role}-*.png"):
                old.unlink()
    axe = Axe()
    for role in PARTS[part]:
        person, seeds = roles[role]
        # A role's own pages are checked as that role; admin pages once, by whoever is first.
        seen = admin_seen if role in ("hr", "superuser") else set()
        content = crawl_world["content"][role]
        pages = discover(person, seeds, seen, tuple(path for path, _ in content))
        counts[role] = len(pages)
        checked = dict(pages)
        for path, text in content:
            if path not in checked:
                problems.setdefault(f"{role} {path}", []).append("not reached (not 200 HTML)")
            elif text and escape(text) not in checked[path] and text not in checked[path]:
                problems.setdefault(f"{role} {path}", []).append(f"does not show {text!r}")
        content_pages[role] = [path for path, _ in content]
        context.clear_cookies()
        context.add_cookies([session_cookie(person, live_server)])
        for index, (path, html) in enumerate(pages):
            name = f"{role} {path}"
            file = out / f"{role}-{index}.html"
            file.write_text(html)
            html_files[file] = name
            t0 = time.monotonic()
            page.set_viewport_size(DESKTOP)
            page.goto(live_server.url + path)
            english = english_in(page.evaluate(PAGE_TEXT))
            if english:
                problems.setdefault(name, []).append("English:\n- " + "\n- ".join(english))
            page.evaluate(axe.axe_script)  # once per page, run at both widths
            t1 = time.monotonic()
            desktop = AxeResults(page.evaluate(AXE_RUN))
            admin_page = urlsplit(path).path.startswith("/admin/")
            if admin_page and (sideways := page.evaluate(SIDEWAYS_JS)):
                problems.setdefault(name, []).append(f"scrolls sideways at 1280 px: {sideways}")
            shot = None
            if CRAWL_SCREENSHOTS:
                shot = CRAWL_SCREENSHOTS / f"{role}-{index:03d}-{screenshot_slug(path)}"
            if shot:
                page.screenshot(path=f"{shot}-1280.png", full_page=True)
            t2 = time.monotonic()
            phone = None
            if PHONE_WIDTH_TOO:
                page.set_viewport_size(PHONE)
                phone = AxeResults(page.evaluate(AXE_RUN))
                if not admin_page and (sideways := page.evaluate(SIDEWAYS_JS)):
                    problems.setdefault(name, []).append(f"scrolls sideways at 390 px: {sideways}")
                if shot:
                    page.screenshot(path=f"{shot}-390.png", full_page=True)
            if os.environ.get("CRAWL_LOG"):
                with open(os.environ["CRAWL_LOG"], "a") as log:
                    log.write(
                        f"AXE {t1 - t0:.2f} {t2 - t1:.2f} {time.monotonic() - t2:.2f} {path}\n"
                    )
            if desktop.violations_count:
                problems.setdefault(name, []).append(f"axe at 1280 px:\n{axe_report(desktop)}")
            if phone is not None and phone.violations_count:
                problems.setdefault(name, []).append(f"axe at 390 px:\n{axe_report(phone)}")
    for name, errors in nu_errors(html_files).items():
        problems.setdefault(name, []).append("Nu HTML checker:\n- " + "\n- ".join(errors))
    shutil.rmtree(out, ignore_errors=True)

    CRAWL_REPORTS.mkdir(parents=True, exist_ok=True)
    (CRAWL_REPORTS / f"{part}.json").write_text(
        json.dumps(
            {
                "pages_per_role": counts,
                # Of those, the pages checked for the demo's records (each its own page).
                "content_pages": content_pages,
                "seconds": round(time.monotonic() - started),
                "pages_failing": sorted(problems),
            },
            indent=2,
        )
    )
    report = "\n\n".join(f"{name}:\n" + "\n".join(found) for name, found in problems.items())
    assert problems == {}, f"{len(problems)} of {sum(counts.values())} pages fail:\n{report}"
    assert all(counts.values()), counts
