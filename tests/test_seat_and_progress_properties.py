"""The seat and progress rules hold whatever happens: a stateful property test.

Hypothesis plays random days at the portal through every way in: leaders' buttons
(through the test client), HR's admin forms, actions, sheet and history pages
(through the test client, as a browser posts them), the hourly ``close_places``
job, and the clock moving on. After every step it checks:

- no session expects more people than its cohort's seats, and no cohort has more
  enrolled than seats;
- nobody waits while a seat is free in a cohort whose waitlist is open;
- at most one active place per leader in the programme;
- every stored standing equals the rules recomputed from scratch (by an
  independent implementation here, not by ``programme.progress``);
- the report, the drill-down and the CSV agree with each other for every leader.

Profiles: ``make test`` runs the short, fixed-seed ``dev`` profile; CI sets
``HYPOTHESIS_PROFILE=ci`` for many more examples with random seeds (a failure
prints the seed to reproduce it with ``@reproduce_failure``).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import re

import holidays
import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from programme import booking, csv_export, pagecache, reports
from programme.attendance import save_sheet, sheet_rows
from programme.models import (
    HR_GROUP,
    Attendance,
    Cohort,
    Department,
    Enrolment,
    Leader,
    MakeUpBooking,
    Module,
    Programme,
    Session,
    Standing,
    User,
)

from .conftest import PASSWORD, room
from .forms import form_fields

hypothesis_settings.register_profile(
    "dev",
    max_examples=20,
    stateful_step_count=30,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
hypothesis_settings.register_profile(
    "ci",
    max_examples=60,
    stateful_step_count=40,
    derandomize=False,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = hypothesis_settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

TZ = timezone.get_default_timezone()
# Where a day at the portal may begin: before every cohort, after Hold A's first
# sessions, in the middle of everything, near the end.
STARTS = [
    dt.datetime(2015, 11, 20, 8, 7, tzinfo=TZ),
    dt.datetime(2015, 12, 9, 10, 7, tzinfo=TZ),
    dt.datetime(2016, 1, 13, 12, 7, tzinfo=TZ),
    dt.datetime(2016, 2, 24, 16, 7, tzinfo=TZ),
]
GRACE_WORKING_DAYS = 3
COMPLETING = {"present", "late"}
STATUSES = ["present", "late", "excused", "absent"]
# Sessions start on the hour and the clock on odd minutes, so a step never lands
# on a session's first or last moment (the portal's clock runs on by milliseconds).
CLOCK_STEPS = [dt.timedelta(hours=h, minutes=13) for h in (5, 30, 80, 24 * 8, 24 * 25)]


def at(day: str, hour: int) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=TZ)


# -- An independent statement of the progress rules (the oracle) -----------------------


def due(ends_at: dt.datetime) -> dt.datetime:
    local = timezone.localtime(ends_at, TZ)
    day, left = local.date(), GRACE_WORKING_DAYS
    while left:
        day += dt.timedelta(days=1)
        # Weekends, Denmark's public holidays and the municipality's closed days are not
        # working days (sessions moved in time land on Easter and Kristi Himmelfart).
        closed = day in holidays.country_holidays("DK", years=day.year) or (
            (day.month, day.day) in {(12, 24), (12, 31), (6, 5)}
        )
        left -= day.isoweekday() <= 5 and not closed
    return dt.datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=TZ)


def rules_from_scratch(programme: Programme) -> dict[int, tuple]:
    """(modules done, completed at, behind from, {module: (done, until, missed)}) per leader."""
    modules = list(Module.objects.filter(programme=programme))
    required = {m.pk for m in modules if m.required}
    records: dict[int, dict[int, Attendance]] = {}
    for record in Attendance.objects.filter(session__module__programme=programme).select_related(
        "session"
    ):
        records.setdefault(record.leader_id, {})[record.session_id] = record
    sessions_of: dict[int, list[Session]] = {}
    for session in Session.objects.filter(module__programme=programme):
        sessions_of.setdefault(session.cohort_id, []).append(session)
    expected: dict[int, list[Session]] = {}
    for place in Enrolment.objects.filter(programme=programme, status="enrolled"):
        expected.setdefault(place.leader_id, []).extend(sessions_of.get(place.cohort_id, []))
    for makeup in MakeUpBooking.objects.filter(session__module__programme=programme):
        expected.setdefault(makeup.leader_id, []).append(makeup.session)

    result = {}
    for leader_id in Leader.objects.values_list("pk", flat=True):
        mine, seen = records.get(leader_id, {}), expected.get(leader_id, [])
        per_module = {}
        for module in modules:
            done = min(
                (
                    r.session.starts_at
                    for r in mine.values()
                    if r.session.module_id == module.pk and r.status in COMPLETING
                ),
                default=None,
            )
            there = [s for s in seen if s.module_id == module.pk]
            until = max((s.ends_at for s in there), default=None)
            missed = min(
                (
                    s.ends_at if s.pk in mine else due(s.ends_at)
                    for s in there
                    if not (s.pk in mine and mine[s.pk].status in COMPLETING)
                ),
                default=None,
            )
            if done or until:
                per_module[module.pk] = (done, until, missed)
        done_required = [per_module[m][0] for m in required if per_module.get(m, (None,))[0]]
        complete = bool(required) and len(done_required) == len(required)
        behind = min(
            (
                per_module[m][2]
                for m in required
                if m in per_module and not per_module[m][0] and per_module[m][2]
            ),
            default=None,
        )
        result[leader_id] = (
            len(done_required),
            max(done_required) if complete else None,
            behind,
            per_module,
        )
    return result


def stored_standings(programme: Programme) -> dict[int, tuple]:
    moment = lambda sec: dt.datetime.fromtimestamp(sec, tz=dt.UTC) if sec else None  # noqa: E731
    stored = {
        leader_id: (0, None, None, {}) for leader_id in Leader.objects.values_list("pk", flat=True)
    }
    for row in Standing.objects.filter(programme=programme):
        stored[row.leader_id] = (
            row.modules_done,
            row.completed_at,
            row.behind_from,
            {int(k): tuple(moment(v) for v in values) for k, values in row.modules.items()},
        )
    return stored


_CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _without_tokens(response) -> str:
    """A page's content (from its heading: not the one-time messages above it), without
    its CSRF tokens (masked anew at every rendering)."""
    html = response.content.decode()
    return _CSRF_TOKEN.sub("", html[html.find("<h1") : html.find("</main>")])


# -- The machine --------------------------------------------------------------------------


class PortalDays(RuleBasedStateMachine):
    """A small programme: three cohorts of two or three seats, eight leaders, HR."""

    world: dict  # pytest fixtures, set by the test

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.now = STARTS[0]
        self._set_clock()
        # The leader's dashboard is kept in the cache (programme/pagecache.py), as with Redis.
        self.world["settings"].PAGE_CACHE_SECONDS = 300
        cache.clear()
        self._turn = 0
        self.programme = Programme.objects.create(
            name="Egenskaber", starts_on=dt.date(2015, 11, 1), ends_on=dt.date(2016, 7, 31)
        )
        self.modules = [
            Module.objects.create(programme=self.programme, order=n, title=title, required=req)
            for n, (title, req) in enumerate(
                [("Kick-off", True), ("IT", True), ("Inspiration", False)], start=1
            )
        ]
        plans = [
            ("Hold A", 3, "2015-12-01", ["2015-12-03", "2016-01-14", "2016-02-18"]),
            ("Hold B", 3, "2016-01-10", ["2016-01-12", "2016-02-09", "2016-03-08"]),
            ("Hold C", 4, "2016-02-20", ["2016-02-23", "2016-03-15", "2016-04-12"]),
        ]
        self.cohorts = []
        for name, seats, deadline, days in plans:
            cohort = Cohort.objects.create(
                programme=self.programme,
                name=name,
                capacity=seats,
                enrolment_deadline=dt.date.fromisoformat(deadline),
            )
            for module, day in zip(self.modules, days, strict=True):
                Session.objects.create(
                    cohort=cohort,
                    module=module,
                    starts_at=at(day, 9),
                    ends_at=at(day, 15),
                    location=room("Rådhuset"),
                )
            self.cohorts.append(cohort)
        self.departments = [
            Department.objects.create(name="Økonomi", code="ØK"),
            Department.objects.create(name="Børn", code="BØ"),
        ]
        self.hr = User.objects.create_user(email="hr@egenskab.dk", password=PASSWORD, is_staff=True)
        self.hr.groups.add(Group.objects.get(name=HR_GROUP))
        self.hr_client = Client()
        self.hr_client.force_login(self.hr)
        self.leaders, self.clients = [], {}
        for n in range(8):
            user = User.objects.create_user(email=f"leder{n}@egenskab.dk", password=PASSWORD)
            leader = Leader.objects.create(
                user=user,
                employee_number=f"{n + 1:04d}",
                name=f"Leder {n}",
                level=Leader.Level.TEAM,
                department=self.departments[n % 2],
            )
            self.leaders.append(leader)
            self.clients[leader.pk] = Client()
            self.clients[leader.pk].force_login(user)

    def teardown(self):
        self.pages_agree()
        if os.environ.get("PORTAL_DAYS_DEBUG"):
            print(
                "\nenrolments",
                dict(
                    Enrolment.objects.filter(programme=self.programme)
                    .values_list("status")
                    .annotate(n=Count("pk"))
                ),
                "makeups",
                MakeUpBooking.objects.count(),
                "attendance",
                Attendance.objects.count(),
                "left",
                Leader.objects.filter(left_on__isnull=False).count(),
                "anon",
                Leader.objects.filter(anonymised_at__isnull=False).count(),
                "now",
                self.now,
            )
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # -- helpers ----------------------------------------------------------------------

    def _set_clock(self):
        self.world["settings"].PORTAL_CLOCK = self.now.isoformat()

    def _pick(self, items, index):
        items = list(items)
        return items[index % len(items)] if items else None

    def _leader(self, index) -> Leader | None:
        leader = self._pick(self.leaders, index)
        if leader is not None:
            leader.refresh_from_db()
        return leader

    def _sessions(self):
        return list(Session.objects.filter(module__programme=self.programme).order_by("pk"))

    def _ok(self, response):
        assert response.status_code < 500, response.content[:2000]
        return response

    def _post(self, client, url, data=None):
        return self._ok(client.post(url, data or {}))

    def _action(self, model: str, action: str, objects, **extra):
        url = reverse(f"admin:programme_{model}_changelist")
        data = {"action": action, "_selected_action": [o.pk for o in objects], **extra}
        return self._post(self.hr_client, url, data)

    def _change_form(self, model: str, pk: int, **changes):
        url = reverse(f"admin:programme_{model}_change", args=[pk])
        page = self._ok(self.hr_client.get(url))
        data = form_fields(page.content.decode(), f"{model}_form")
        data.update(changes)
        return self._post(self.hr_client, url, data)

    # -- how the day begins -------------------------------------------------------------

    @initialize(
        start=st.sampled_from(STARTS),
        seats=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 2)), min_size=5, max_size=10),
        marks=st.lists(
            st.tuples(st.integers(0, 8), st.integers(0, 7), st.sampled_from(STATUSES)),
            min_size=4,
            max_size=12,
        ),
        makeups=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 8)), min_size=2, max_size=6),
    )
    def the_programme_so_far(self, start, seats, marks, makeups):
        """Places taken in order of arrival (waitlists where full), sheets saved for
        sessions that have begun, make-ups booked: the day begins somewhere in the middle."""
        for who, which in seats:
            with contextlib.suppress(booking.BookingError):  # they had a place already
                booking.enrol(
                    leader=self.leaders[who],
                    cohort=self.cohorts[which],
                    by_staff=True,
                    now=STARTS[0] - dt.timedelta(days=5),
                )
        self.now = start
        self._set_clock()
        call_command("close_places", stdout=io.StringIO())
        sessions = self._sessions()
        for which, who, status in marks:
            session = sessions[which]
            if session.starts_at <= self.now:
                save_sheet(
                    session=session,
                    statuses={self.leaders[who].pk: status},
                    by=self.hr,
                    now=self.now,
                )
        for who, which in makeups:
            # The first session from ``which`` on that the rules let this leader take.
            for session in sessions[which:] + sessions[:which]:
                with contextlib.suppress(booking.BookingError):
                    booking.book_makeup(leader=self.leaders[who], session=session, now=self.now)
                    break

    # -- leaders' buttons -------------------------------------------------------------

    @rule(who=st.integers(0, 99), which=st.integers(0, 2))
    def leader_enrols(self, who, which):
        leader, cohort = self._leader(who), self.cohorts[which]
        self._post(self.clients[leader.pk], reverse("programme:enrol", args=[cohort.pk]))

    @precondition(
        lambda self: Enrolment.objects.filter(
            programme=self.programme, status__in=Enrolment.ACTIVE
        ).exists()
    )
    @rule(who=st.integers(0, 99))
    def leader_cancels_or_leaves_the_waitlist(self, who):
        place = self._pick(
            Enrolment.objects.filter(programme=self.programme, status__in=Enrolment.ACTIVE)
            .select_related("leader")
            .order_by("pk"),
            who,
        )
        leader = place.leader
        if place is not None:
            self._post(self.clients[leader.pk], reverse("programme:cancel", args=[place.pk]))

    @rule(who=st.integers(0, 99), which=st.integers(0, 99))
    def leader_books_a_make_up(self, who, which):
        leader, session = self._leader(who), self._pick(self._sessions(), which)
        self._post(self.clients[leader.pk], reverse("programme:book_makeup", args=[session.pk]))

    @rule(who=st.integers(0, 99), choice=st.integers(0, 9))
    def leader_books_a_make_up_the_dashboard_offers(self, who, choice):
        leader = self._leader(who)
        page = self._ok(self.clients[leader.pk].get(reverse("programme:dashboard")))
        offered = re.findall(r'action="(/sessions/\d+/make-up/)"', page.content.decode())
        if offered:
            self._post(self.clients[leader.pk], self._pick(offered, choice))

    @rule(choice=st.integers(0, 9))
    def every_leader_books_a_make_up_the_dashboard_offers(self, choice):
        for n in range(len(self.leaders)):
            self.leader_books_a_make_up_the_dashboard_offers(n, choice)

    @precondition(lambda self: MakeUpBooking.objects.exists())
    @rule(who=st.integers(0, 99))
    def leader_cancels_a_make_up(self, who):
        makeup = self._pick(MakeUpBooking.objects.order_by("pk"), who)
        leader = makeup.leader
        if makeup is not None:
            self._post(
                self.clients[leader.pk], reverse("programme:cancel_makeup", args=[makeup.pk])
            )

    # -- HR in the admin --------------------------------------------------------------

    @rule(who=st.lists(st.integers(0, 99), min_size=1, max_size=3), which=st.integers(0, 2))
    def hr_enrols(self, who, which):
        leaders = {self._leader(i).pk: self._leader(i) for i in who}.values()
        cohort = self.cohorts[which]
        self._action("leader", "enrol_in_cohort", leaders, apply="1", cohort=cohort.pk)

    @rule(which=st.integers(0, 2))
    def hr_enrols_everyone_without_a_place(self, which):
        placed = Enrolment.objects.filter(programme=self.programme, status__in=Enrolment.ACTIVE)
        leaders = Leader.objects.exclude(pk__in=placed.values("leader")).order_by("pk")
        if leaders:
            cohort = self.cohorts[which]
            self._action("leader", "enrol_in_cohort", leaders, apply="1", cohort=cohort.pk)

    @rule(who=st.integers(0, 99), which=st.integers(0, 2))
    def hr_moves(self, who, which):
        self._action(
            "leader",
            "move_to_cohort",
            [self._leader(who)],
            apply="1",
            cohort=self.cohorts[which].pk,
        )

    @rule(who=st.integers(0, 99))
    def hr_promotes(self, who):
        self._action("leader", "promote_from_waitlist", [self._leader(who)])

    @rule(who=st.integers(0, 99))
    def hr_cancels(self, who):
        self._action("leader", "cancel_place", [self._leader(who)])

    @rule(which=st.integers(0, 2), seats=st.integers(1, 5))
    def hr_changes_the_capacity(self, which, seats):
        self._change_form("cohort", self.cohorts[which].pk, capacity=str(seats))

    @rule(who=st.integers(0, 99), which=st.integers(0, 99))
    def hr_adds_a_make_up(self, who, which):
        leader, session = self._leader(who), self._pick(self._sessions(), which)
        url = reverse("admin:programme_makeupbooking_add")
        self._post(self.hr_client, url, {"leader": leader.pk, "session": session.pk})

    @precondition(lambda self: MakeUpBooking.objects.exists())
    @rule(which=st.integers(0, 99))
    def hr_cancels_a_make_up(self, which):
        makeup = self._pick(MakeUpBooking.objects.order_by("pk"), which)
        if makeup is not None:
            self._action("makeupbooking", "cancel_makeups", [makeup])

    @rule(who=st.integers(0, 99), days=st.integers(-40, 60))
    def hr_records_that_a_leader_leaves(self, who, days):
        leader = self._leader(who)
        day = timezone.localdate(self.now) + dt.timedelta(days=days)
        self._change_form("leader", leader.pk, left_on=day.isoformat())

    @rule(who=st.integers(0, 99))
    def hr_anonymises(self, who):
        self._action("leader", "anonymise_leavers", [self._leader(who)])

    @precondition(lambda self: len(self.leaders) > 4)
    @rule(who=st.integers(0, 99))
    def hr_tries_to_delete_a_leader(self, who):
        leader = self._leader(who)
        url = reverse("admin:programme_leader_delete", args=[leader.pk])
        self._post(self.hr_client, url, {"post": "yes"})
        if not Leader.objects.filter(pk=leader.pk).exists():
            # Only a leader without places, make-ups or attendance can be deleted.
            self.leaders.remove(leader)

    @rule(which=st.integers(0, 99), hours=st.sampled_from([-24 * 14, -30, 26, 24 * 21]))
    def hr_moves_a_session_in_time(self, which, hours):
        session = self._pick(self._sessions(), which)
        starts = timezone.localtime(session.starts_at + dt.timedelta(hours=hours), TZ)
        ends = timezone.localtime(session.ends_at + dt.timedelta(hours=hours), TZ)
        self._change_form(
            "session",
            session.pk,
            starts_at_0=starts.date().isoformat(),
            starts_at_1=starts.strftime("%H:%M:%S"),
            ends_at_0=ends.date().isoformat(),
            ends_at_1=ends.strftime("%H:%M:%S"),
        )

    @rule(which=st.integers(0, 99), to=st.integers(0, 2))
    def hr_moves_a_session_to_another_cohort(self, which, to):
        session = self._pick(self._sessions(), which)
        self._change_form("session", session.pk, cohort=str(self.cohorts[to].pk))

    @rule(
        which=st.integers(0, 99),
        marks=st.dictionaries(st.integers(0, 99), st.sampled_from(STATUSES), max_size=4),
    )
    def hr_saves_an_attendance_sheet(self, which, marks):
        session = self._pick(self._sessions(), which)
        url = reverse("admin:programme_session_attendance", args=[session.pk])
        listed = [row.leader for row in sheet_rows(session)] or self.leaders
        data = {f"leader_{self._pick(listed, i).pk}": status for i, status in marks.items()}
        self._post(self.hr_client, url, data)

    @rule(who=st.integers(0, 99), which=st.integers(0, 99), status=st.sampled_from(STATUSES))
    def hr_adds_one_attendance(self, who, which, status):
        leader, session = self._leader(who), self._pick(self._sessions(), which)
        url = reverse("admin:programme_attendance_add")
        data = {"leader": leader.pk, "session": session.pk, "status": status}
        self._post(self.hr_client, url, data)

    @precondition(lambda self: Attendance.objects.exists())
    @rule(which=st.integers(0, 99), status=st.sampled_from(STATUSES), who=st.integers(0, 99))
    def hr_edits_and_tries_to_reassign_an_attendance(self, which, status, who):
        record = self._pick(Attendance.objects.order_by("pk"), which)
        if record is not None:
            other = self._leader(who)
            self._change_form("attendance", record.pk, status=status, leader=str(other.pk))

    @precondition(lambda self: Attendance.objects.exists())
    @rule(which=st.integers(0, 99))
    def hr_deletes_an_attendance(self, which):
        record = self._pick(Attendance.objects.order_by("pk"), which)
        if record is not None:
            url = reverse("admin:programme_attendance_delete", args=[record.pk])
            self._post(self.hr_client, url, {"post": "yes"})

    @rule(which=st.integers(0, 99))
    def hr_tries_to_revert_a_place(self, which):
        version = self._pick(
            Enrolment.history.filter(programme=self.programme).order_by("history_id"), which
        )
        if version is not None:
            url = reverse(
                "admin:programme_enrolment_simple_history", args=[version.id, version.history_id]
            )
            page = self._ok(self.hr_client.get(url))
            response = self._post(self.hr_client, url, form_fields(page.content.decode()))
            assert response.status_code == 405

    # -- time -------------------------------------------------------------------------

    @rule(step=st.sampled_from(CLOCK_STEPS))
    def the_clock_moves_on_and_the_hourly_job_runs(self, step):
        self.now += step
        self._set_clock()
        call_command("close_places", stdout=io.StringIO())

    # -- invariants -------------------------------------------------------------------

    @invariant()
    def no_session_expects_more_people_than_its_seats(self):
        for session in Session.objects.filter(module__programme=self.programme).select_related(
            "cohort"
        ):
            seated = Enrolment.objects.filter(cohort=session.cohort_id, status="enrolled").count()
            guests = MakeUpBooking.objects.filter(session=session).count()
            assert seated + guests <= session.cohort.capacity, (str(session), seated, guests)

    @invariant()
    def no_cohort_has_more_enrolled_than_seats(self):
        for cohort in Cohort.objects.filter(programme=self.programme).annotate(
            seated=Count("enrolments", filter=Q(enrolments__status="enrolled"))
        ):
            assert cohort.seated <= cohort.capacity, cohort.name

    @invariant()
    def nobody_waits_while_a_seat_is_free_in_an_open_cohort(self):
        for cohort in Cohort.objects.filter(programme=self.programme).with_seats():
            if cohort.has_started(self.now) or not cohort.waitlist_length:
                continue
            assert cohort.seats_taken >= cohort.capacity, (cohort.name, cohort.seats_taken)

    @invariant()
    def at_most_one_active_place_per_leader(self):
        active = (
            Enrolment.objects.filter(programme=self.programme, status__in=Enrolment.ACTIVE)
            .values("leader")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
        )
        assert not active.exists()

    @invariant()
    def a_kept_dashboard_is_what_a_fresh_rendering_shows(self):
        """One leader a step, in turn, so each kept copy lives through several steps of
        writes and time before it is compared with the page rendered without the cache."""
        leader = self.leaders[self._turn % len(self.leaders)]
        self._turn += 1
        client = self.clients[leader.pk]
        kept = client.get(reverse("programme:dashboard"))
        cache.delete(pagecache._page(leader.pk))  # rendered anew (and kept again)
        fresh = client.get(reverse("programme:dashboard"))
        assert kept.status_code == fresh.status_code
        assert _without_tokens(kept) == _without_tokens(fresh), leader.name

    @invariant()
    def every_stored_standing_equals_the_rules_from_scratch(self):
        assert stored_standings(self.programme) == rules_from_scratch(self.programme)

    @invariant()
    def report_drill_down_and_csv_agree_for_every_leader(self):
        """Through the functions the three views call (every step; the pages at the end)."""
        filters = reports.Filters(programme=self.programme, now=self.now)
        scope = reports.full_scope()
        modules = list(self.programme.modules.order_by("order"))
        rows, _total = reports.department_summary(reports.report_leaders(scope, filters))
        with translation.override("da"):
            header = csv_export.header(modules)
            lines = csv_export.rows(reports.report_leaders(scope, filters), modules, self.now)
            by_number = {line[0]: dict(zip(header, line, strict=True)) for line in lines}
        drill_down = {}
        for row in rows:
            filters.department = Department.objects.get(pk=row.pk)
            drill_down[row.pk] = [
                (leader, reports.module_cells(leader, modules, self.now))
                for leader in reports.report_leaders(scope, filters)
            ]
        self._agree([(row, drill_down[row.pk]) for row in rows], by_number)

    def _agree(self, departments, by_number):
        seen = set()
        for row, leaders in departments:
            assert row.leaders == len(leaders)
            assert row.completed == sum(1 for lead, _ in leaders if lead.completed_at)
            assert row.behind == sum(1 for lead, _ in leaders if lead.is_behind)
            assert row.waitlisted == sum(
                1 for lead, _ in leaders if lead.enrolment_status == "waitlisted"
            )
            for lead, cells in leaders:
                seen.add(lead.employee_number)
                line = by_number[lead.employee_number]
                assert int(line["Moduler gennemført"]) == lead.modules_done
                assert lead.modules_done == sum(1 for m in cells.required if m.completed)
                assert line["Bagud"] == ("Ja" if lead.is_behind else "Nej")
                assert lead.is_behind == cells.behind
                for module in cells.modules:
                    cell = line[module.module.title]
                    if module.completed:
                        assert cell.startswith("Deltog "), cell
                    else:
                        assert cell == str(module.state_label), (cell, module.state)
        assert seen == set(by_number)

    def pages_agree(self):
        """The overview, each drill-down page and the CSV download, as HR gets them."""
        client = self.hr_client
        overview = self._ok(client.get(reverse("reports:overview")))
        export = self._ok(client.get(reverse("reports:export"), {"dialect": "standard"}))
        lines = list(csv.reader(io.StringIO(export.getvalue().decode("utf-8"))))
        by_number = {line[0]: dict(zip(lines[0], line, strict=True)) for line in lines[1:]}
        departments = [
            (
                row,
                self._ok(client.get(reverse("reports:department", args=[row.pk]))).context["rows"],
            )
            for row in overview.context["rows"]
        ]
        self._agree(departments, by_number)


@pytest.mark.django_db
def test_the_seat_and_progress_rules_hold_whatever_happens(settings):
    PortalDays.world = {"settings": settings}
    settings.LANGUAGE_CODE = "da"
    run_state_machine_as_test(PortalDays, settings=PROFILE)
