"""The load bench's writes (bench/load.py): leaders enrolling and cancelling through the
portal's forms and HR saving attendance sheets in the admin, at a steady rate while wrk
reads, and the session cookies they and the readers sign in with.

Not a test: nothing here fails the build.
"""

from __future__ import annotations

import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

# The demo's day, as the bench's portal runs it (bench/load.py sets PORTAL_CLOCK to it).
DEMO_CLOCK = "2016-01-18T09:00"


@dataclass
class Writer:
    """A leader (or HR) whose writes are the benchmark's: session cookie and CSRF secret."""

    leader_id: int
    cookie: str
    csrf: str


def readers() -> dict:
    """The users whose pages are read (bench/load.py's ``Page.who``; bench/alone.py):
    the demo's leader (no place yet), a seated leader on track, a seated leader behind
    (make-ups on offer), the demo's manager and HR. Needs Django set up."""
    from django.db.models import Q
    from django.utils import timezone

    import demo
    from programme.models import Enrolment, User

    moment = timezone.make_aware(demo.DEMO_AS_OF)
    seated = Enrolment.objects.filter(status="enrolled").order_by("pk")
    on_track = seated.filter(
        Q(leader__standings__behind_from__isnull=True)
        | Q(leader__standings__behind_from__gt=moment)
    ).first()
    behind = seated.filter(leader__standings__behind_from__lte=moment).first()
    return {
        "leader": User.objects.get(email=demo.LEADER_EMAIL),
        "seated": User.objects.get(leader=on_track.leader_id),
        "behind": User.objects.get(leader=behind.leader_id),
        "manager": User.objects.get(email=demo.MANAGER_EMAIL),
        "hr": User.objects.get(email=demo.HR_EMAIL),
    }


def sessions(env: dict, n_writers: int = 0) -> tuple[dict[str, str], list[Writer], Writer]:
    """Session cookies for the demo's leader, manager and HR, made as a sign-in makes them,
    for ``n_writers`` leaders without a place (``--writes``), and for HR saving sheets."""
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    import demo
    from programme.models import User

    cookies = {}
    writers = []

    def writer(user) -> Writer:
        client = Client()
        client.force_login(user)
        csrf = _get_new_csrf_string()
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        return Writer(
            leader_id=getattr(getattr(user, "leader", None), "pk", 0),
            cookie=f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}",
            csrf=csrf,
        )

    if n_writers:
        # Leaders with no place at all, whose enrolments and cancellations are the writes.
        unplaced = User.objects.filter(leader__isnull=False, leader__enrolments__isnull=True)
        writers = [writer(user) for user in unplaced.order_by("pk")[:n_writers]]
    for who, user in readers().items():
        client = Client()
        client.force_login(user)
        # A browser holds the CSRF cookie from its first page on: so does every request
        # here (the pages' forms are rendered for it; a kept page is kept for it).
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        csrf = _get_new_csrf_string()
        cookies[who] = (
            f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}"
        )
    return cookies, writers, writer(User.objects.get(email=demo.HR_EMAIL))


def headers(cookie: str) -> dict[str, str]:
    # The proxy in front of gunicorn says the request came over HTTPS.
    return {"Cookie": cookie, "X-Forwarded-Proto": "https"}


def fetch(url: str, cookie: str, timeout: float = 60) -> tuple[int | str, float]:
    """Status and seconds of one request; ``"timeout"`` when it takes too long."""
    request = urllib.request.Request(url, headers=headers(cookie))
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # loopback only
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except TimeoutError:
        status = "timeout"
    return status, time.monotonic() - started


class Bookings(threading.Thread):
    """Leaders enrolling and cancelling through the portal's forms, and HR saving
    attendance sheets in the admin (one write in ``sheets_every``), ``rate`` a second.

    Each write is the POST a browser sends from the cohort page or the dashboard (CSRF
    token and cookie, Referer), answered with the redirect the page gives. A writer with
    no place enrols in one of the cohorts still taking enrolments; one with a place
    cancels it. The writes arrive at the rate whatever the portal's answer time (a pool
    of threads sends them, as many people press at once); which enrolment to cancel is
    read from the database directly (the script's bookkeeping, not the load). A sheet is
    one of the last sessions before the demo's day, every leader seated in its cohort
    marked present, or absent when that session's sheet comes round again."""

    def __init__(
        self,
        base: str,
        writers: list[Writer],
        rate: float,
        url: str,
        hr: Writer | None = None,
        sheets_every: int = 0,
    ):
        super().__init__(daemon=True)
        self.base, self.writers, self.rate, self.url = base, writers, rate, url
        self.hr, self.sheets_every = hr, sheets_every
        self.sheets = 0
        self.past: list[tuple[int, list[int]]] = []
        self.stopping = threading.Event()
        self.done = 0
        self.failed = 0
        self.seconds = 0.0
        self._lock = threading.Lock()
        self._local = threading.local()
        self.cohorts: list[int] = []

    def _connection(self):
        import psycopg

        if getattr(self._local, "conn", None) is None:
            self._local.conn = psycopg.connect(self.url, autocommit=True)
        return self._local.conn

    def run(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.cohorts = [
            pk
            for (pk,) in self._connection().execute(
                "SELECT id FROM programme_cohort WHERE enrolment_deadline >= %s ORDER BY id",
                [DEMO_CLOCK[:10]],
            )
        ]
        if not self.cohorts:
            raise SystemExit("--writes: no cohort takes enrolments on the demo's day")
        if self.hr is not None and self.sheets_every:
            self.past = [
                (pk, leaders)
                for pk, leaders in self._connection().execute(
                    "SELECT s.id, array_agg(e.leader_id ORDER BY e.leader_id)"
                    " FROM programme_session s JOIN programme_enrolment e"
                    " ON e.cohort_id = s.cohort_id AND e.status = 'enrolled'"
                    " WHERE s.starts_at < %s GROUP BY s.id, s.starts_at"
                    " ORDER BY s.starts_at DESC, s.id LIMIT 20",
                    [DEMO_CLOCK],
                )
            ]
        started = time.monotonic()
        turn = 0
        with ThreadPoolExecutor(max_workers=16) as pool:
            while not self.stopping.is_set():
                if self.past and turn % self.sheets_every == self.sheets_every - 1:
                    pool.submit(self.sheet, turn // self.sheets_every)
                else:
                    pool.submit(self.book, self.writers[turn % len(self.writers)], turn)
                turn += 1
                delay = started + turn / self.rate - time.monotonic()
                if delay > 0:
                    self.stopping.wait(delay)
            self.seconds = time.monotonic() - started

    def book(self, writer: Writer, turn: int) -> None:
        row = (
            self._connection()
            .execute(
                "SELECT id FROM programme_enrolment WHERE leader_id = %s"
                " AND status IN ('enrolled', 'waitlisted')",
                [writer.leader_id],
            )
            .fetchone()
        )
        if row is None:
            path = f"/cohorts/{self.cohorts[turn % len(self.cohorts)]}/enrol/"
        else:
            path = f"/enrolments/{row[0]}/cancel/"
        self._count(self.post(path, writer) in (302, 303))

    def sheet(self, number: int) -> None:
        session, leaders = self.past[number % len(self.past)]
        status = "present" if (number // len(self.past)) % 2 == 0 else "absent"
        fields = {f"leader_{pk}": status for pk in leaders}
        ok = self.post(f"/admin/programme/session/{session}/attendance/", self.hr, fields)
        self._count(ok in (302, 303), sheet=True)

    def _count(self, ok: bool, *, sheet: bool = False) -> None:
        with self._lock:
            if ok:
                self.done += 1
                self.sheets += sheet
            else:
                self.failed += 1

    def post(self, path: str, writer: Writer, fields: dict | None = None) -> int | str:
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": writer.csrf, **(fields or {})}
        ).encode()
        request = urllib.request.Request(
            self.base + path,
            data=data,
            headers={
                **headers(writer.cookie),
                "Referer": f"{self.base.replace('http://', 'https://')}/cohorts/",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except (TimeoutError, urllib.error.URLError):
            return "error"

    def per_second(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
