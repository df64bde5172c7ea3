"""The kept counts (reports/tallies.py, reports/chances.py): what the report overview and
the forecast read instead of every leader's standing. They equal a count over the
leaders after each kind of change (a booking, the clock, a leader moving, a clock set
back), a booking replaces its own department's count and no other, and two pages
counting the same department at once leave one whole count."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from django.db import connection, connections, transaction
from django.db.models import Max
from django.test.utils import CaptureQueriesContext

from booking import cancel, enrol
from programme import page_versions
from programme.attendance import save_sheet
from programme.models import (
    Cohort,
    Department,
    DepartmentTally,
    Enrolment,
    MakeUpBooking,
    ProgrammeTally,
    Session,
    TallyNeed,
)
from programme.progress import refresh_standings
from reports import chances, forecast, tallies
from reports.forecast import Outlook
from reports.rules import Filters, department_summary, full_scope, report_leaders
from tests.conftest import at_once, local, make_hr, make_leader, query_name
from tests.reports.test_forecast import NOW, World, session

pytestmark = pytest.mark.django_db

MARCH_1 = local(2016, 3, 1, 10)


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = NOW


@pytest.fixture
def world() -> World:
    return World()


def live(world: World, now: dt.datetime, *, by_unit: bool = False):
    """The overview's lines counted over every leader's standing now."""
    leaders = report_leaders(full_scope(), Filters(programme=world.programme, now=now))
    return department_summary(leaders, by_unit=by_unit)


def kept(world: World, now: dt.datetime, *, by_unit: bool = False):
    counted = tallies.kept(world.programme, Department.objects.all(), now)
    return tallies.department_rows(counted, by_unit=by_unit)


def counted_at(department: Department) -> dt.datetime:
    return DepartmentTally.objects.get(department=department).counted_at


def test_the_kept_lines_equal_a_count_over_the_leaders(world):
    for by_unit in (False, True):
        assert kept(world, MARCH_1, by_unit=by_unit) == live(world, MARCH_1, by_unit=by_unit)
    rows, total = kept(world, MARCH_1)
    assert {row.name: row.leaders for row in rows} == {"Dagtilbud": 6, "Vej og Park": 1}
    assert (total.leaders, total.completed, total.enrolled, total.not_enrolled) == (7, 1, 6, 1)
    whole = tallies.whole(world.programme, MARCH_1)
    assert tallies.department_rows(whole, by_unit=True) == live(world, MARCH_1, by_unit=True)


def test_a_booking_replaces_its_own_departments_count_and_no_other(world, settings):
    kept(world, MARCH_1)
    other_before = counted_at(world.other)
    dept_before = counted_at(world.dept)
    later = MARCH_1 + dt.timedelta(minutes=5)
    settings.PORTAL_CLOCK = "2016-03-01T10:05"
    # L5 (Dagtilbud, no place) takes the seat L4 gave up in B.
    cancel(enrolment=Enrolment.objects.get(leader=world.leaders[4]), by_staff=True, now=later)
    enrol(leader=world.leaders[5], cohort=world.b, by_staff=True, now=later)
    assert kept(world, later) == live(world, later)
    assert counted_at(world.dept) > dept_before, "Dagtilbud was counted again"
    assert counted_at(world.other) == other_before, "Vej og Park's count was kept"


def test_a_leader_falling_behind_by_the_clock_alone_is_counted_without_a_write(world):
    """A new leader in Vej og Park with a seat in C, beside L6: C's first session (7 June)
    is recorded for neither, so both are behind once its registration is due (a few
    working days later), with no write in between."""
    newcomer = make_leader("ny@albertslund.dk", "Ny Leder", world.other, "0100")
    Enrolment.objects.create(leader=newcomer, cohort=world.c, status="enrolled")
    refresh_standings(world.programme, [newcomer.pk])
    june = local(2016, 6, 8, 10)
    july = local(2016, 7, 1, 10)
    assert kept(world, june) == live(world, june)
    behind_in_june = next(r for r in kept(world, june)[0] if r.name == "Vej og Park").behind
    rows, _total = kept(world, july)
    assert rows == live(world, july)[0]
    assert next(r for r in rows if r.name == "Vej og Park").behind == behind_in_june + 2


def test_a_leader_moved_to_another_department_is_counted_in_the_new_one(world):
    kept(world, MARCH_1)
    moved = world.leaders[1]
    moved.department = world.other
    moved.save()
    rows, _total = kept(world, MARCH_1)
    assert rows == live(world, MARCH_1)[0]
    assert {row.name: row.leaders for row in rows} == {"Dagtilbud": 5, "Vej og Park": 2}


def test_a_count_made_at_a_later_moment_is_not_used_for_an_earlier_one(world):
    """A clock set back (a test, a demo): what was counted in July says nothing of March."""
    july = local(2016, 7, 30, 10)
    kept(world, july)
    assert kept(world, MARCH_1) == live(world, MARCH_1)
    assert tallies.department_rows(tallies.whole(world.programme, july), by_unit=True) == live(
        world, july, by_unit=True
    )
    assert tallies.department_rows(tallies.whole(world.programme, MARCH_1), by_unit=True) == live(
        world, MARCH_1, by_unit=True
    )


def test_a_write_to_a_leader_replaces_their_departments_version_in_the_same_transaction(world):
    before = page_versions.department_versions([world.dept.pk, world.other.pk])
    cancel(enrolment=Enrolment.objects.get(leader=world.leaders[2]), by_staff=True, now=MARCH_1)
    after = page_versions.department_versions([world.dept.pk, world.other.pk])
    assert after[world.dept.pk] != before[world.dept.pk]
    assert after[world.other.pk] == before[world.other.pk]


def test_the_kept_seats_follow_the_last_free_seat(world):
    """A new cohort D with one seat: L5 is at risk. Once L5 takes it, nobody else needs a
    place, and L2's make-up at D's M2 is still free: the kept seats say so at once."""
    extra = world.programme.cohorts.create(
        name="D", capacity=1, enrolment_deadline=dt.date(2016, 5, 1)
    )
    session(extra, world.m1, local(2016, 5, 10))
    session(extra, world.m2, local(2016, 6, 14))
    first = forecast.summary(full_scope(), world.programme, MARCH_1)
    assert first.counts[Outlook.AT_RISK] == 2
    assert chances.chances(world.programme, MARCH_1).free_seats == 1
    enrol(leader=world.leaders[5], cohort=extra, now=MARCH_1)
    found = chances.chances(world.programme, MARCH_1)
    assert found.free_seats == 0
    assert not found.makeup_for(world.m2.pk, world.a.pk)  # D is full: no make-up seat left
    after = forecast.summary(full_scope(), world.programme, MARCH_1)
    assert after.counts == {
        Outlook.COMPLETED: 1,
        Outlook.ON_COURSE: 5,  # + L5 in D
        Outlook.AT_RISK: 0,
        Outlook.CANNOT_FINISH: 1,  # L2: D's M2 is L5's now
    }
    assert ProgrammeTally.objects.filter(kind=ProgrammeTally.Kind.SEATS).count() == 1


def _counts_seats(call) -> bool:
    """Whether ``call`` counted the places again (the seats' grouped count)."""
    with CaptureQueriesContext(connection) as queries:
        call()
    return any(
        query_name(query["sql"]) == "select programme_enrolment"
        for query in queries.captured_queries
    )


def test_an_attendance_sheet_keeps_the_seats_and_a_booking_replaces_them(world):
    """The seats left change with places, make-ups, reservations, cohorts and sessions,
    not with attendance: after HR's sheet the kept seats are read, not counted again;
    after a booking they are counted again. Either way they equal a fresh count."""
    hr = make_hr()
    later = MARCH_1 + dt.timedelta(minutes=5)
    assert _counts_seats(lambda: chances.chances(world.programme, MARCH_1)) is True
    save_sheet(
        session=world.a2,
        statuses={world.leaders[2].pk: "present", world.leaders[8].pk: "present"},
        by=hr,
        now=later,
    )
    assert _counts_seats(lambda: chances.chances(world.programme, later)) is False
    fresh = chances._count(world.programme, later)[0].as_json()
    assert chances.chances(world.programme, later).as_json() == fresh
    enrol(leader=world.leaders[5], cohort=world.b, by_staff=True, now=later)
    assert _counts_seats(lambda: chances.chances(world.programme, later)) is True
    fresh = chances._count(world.programme, later)[0].as_json()
    assert chances.chances(world.programme, later).as_json() == fresh


@pytest.mark.parametrize(
    "now",
    [MARCH_1, local(2016, 3, 20, 9), local(2016, 5, 11, 9), local(2016, 6, 20, 9)],
    ids=["march", "b-started", "d-started", "june"],
)
def test_the_seats_counted_in_bulk_are_the_seat_rule_the_database_states(world, now):
    """Issue 30: the chances count the places and make-ups per cohort and per session
    and apply the seat rule in Python (after every booking, without a query per
    cohort). Whatever the moment, they are what ``Cohort.with_seats`` and
    ``Session.with_free_seats`` say: the same open cohorts and free seats, and the same
    make-up sessions in the same order, with guests at some sessions (B's M1 holds L3's
    make-up, D's M1 two more: D's four seats less its one place and those two)."""
    extra = world.programme.cohorts.create(
        name="D", capacity=4, enrolment_deadline=dt.date(2016, 5, 1)
    )
    d1 = session(extra, world.m1, local(2016, 5, 10))
    session(extra, world.m2, local(2016, 6, 14))
    Enrolment.objects.create(leader=world.leaders[5], cohort=extra, status="enrolled")
    for n in (2, 8):
        MakeUpBooking.objects.create(leader=world.leaders[n], session=d1)
    end = chances.end_of(world.programme)
    last_end = dict(
        Session.objects.filter(cohort__programme=world.programme)
        .values_list("cohort")
        .annotate(last=Max("ends_at"))
    )
    by_rule = [
        (cohort.pk, cohort.capacity - cohort.seats_taken, cohort.enrolment_deadline)
        for cohort in world.programme.cohorts.with_seats(now).order_by("starts_at", "pk")
        if cohort.starts_at is not None
        and cohort.starts_at > now
        and last_end[cohort.pk] <= end
        and cohort.capacity > cohort.seats_taken
    ]
    makeups = defaultdict(list)
    for one in (
        Session.objects.filter(
            cohort__programme=world.programme, starts_at__gt=now, ends_at__lte=end
        )
        .with_free_seats(now)
        .order_by("starts_at", "pk")
    ):
        if one.free_seats > 0:
            makeups[one.module_id].append((one.pk, one.cohort_id))

    found, _until = chances._count(world.programme, now)

    assert found.open_cohorts == by_rule
    assert found.makeups == dict(makeups)
    # Not empty by accident: in March D is open with one seat, which its M1 offers.
    if now == MARCH_1:
        assert by_rule == [(extra.pk, 1, extra.enrolment_deadline)]
        assert (d1.pk, extra.pk) in makeups[world.m1.pk]


def test_the_kept_seats_expire_when_an_open_cohort_starts(world):
    extra = world.programme.cohorts.create(
        name="D", capacity=1, enrolment_deadline=dt.date(2016, 5, 1)
    )
    session(extra, world.m1, local(2016, 5, 10))
    session(extra, world.m2, local(2016, 6, 14))
    assert chances.chances(world.programme, MARCH_1).free_seats == 1
    assert chances.chances(world.programme, local(2016, 5, 10, 12)).free_seats == 0


def test_each_leaders_make_up_needs_are_kept_once(world):
    tallies.kept(world.programme, Department.objects.all(), MARCH_1)
    needs = TallyNeed.objects.values("tally__department", "own_cohort", "missing")
    # L2 (A, missing M2) is the only seated leader missing a module in time.
    assert list(needs) == [
        {"tally__department": world.dept.pk, "own_cohort": world.a.pk, "missing": str(world.m2.pk)}
    ]


@pytest.mark.django_db(transaction=True)
def test_pages_counting_the_same_departments_at_once_leave_one_whole_count():
    """Four requests find every department's count stale at the same moment and count
    them together (PostgreSQL: the kept rows are held while their needs are replaced)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL; runs in the PostgreSQL pass of .ci/run")
    world = World()
    for n in range(3):  # more leaders in A, without attendance: more to count
        leader = make_leader(f"x{n}@albertslund.dk", f"X {n}", world.dept, f"9{n:03}")
        Enrolment.objects.create(leader=leader, cohort=world.a, status="enrolled")
    refresh_standings(world.programme)
    errors = []

    def count():
        try:
            tallies.kept(world.programme, Department.objects.all(), MARCH_1)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    at_once(count, 4, timeout=None)
    assert not errors
    assert kept(world, MARCH_1) == live(world, MARCH_1)


@pytest.mark.django_db(transaction=True)
def test_pages_asking_for_the_seats_at_once_after_a_write_count_them_once(settings):
    """Issue 30, no stampede: after a booking every kept page that shows an outlook needs
    the seats again; eight of them asking at the same moment count them once, and each
    gets that count."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL; runs in the PostgreSQL pass of .ci/run")
    world = World()
    chances.chances(world.programme, MARCH_1)  # kept
    with transaction.atomic():
        page_versions.written(
            Enrolment, [next(iter(world.leaders.values())).pk]
        )  # a write: the kept seats are stale
    counted, found = [], []

    def ask():
        with CaptureQueriesContext(connections["default"]) as queries:
            found.append(chances.chances(world.programme, MARCH_1).as_json())
        names = {query_name(q["sql"]) for q in queries.captured_queries}
        counted.append("select programme_enrolment" in names)

    at_once(ask, 8)
    assert len(found) == 8
    assert counted.count(True) == 1, counted
    assert all(one == found[0] for one in found)
    assert found[0] == chances._count(world.programme, MARCH_1)[0].as_json()


def test_the_municipalitys_weekly_series_are_kept_apart_and_read_only_by_the_forecast(world):
    """HR's overview, start page and summaries read the whole municipality's counts
    without the weekly series: after a booking they are summed again without reading
    any department's moments. The forecast's series, kept beside them under the same
    version, equal the departments' summed afresh, before and after the booking."""

    def series_afresh(now):
        return tallies.kept(world.programme, Department.objects.all(), now, moments=True)

    def reads_moments(call) -> bool:
        with CaptureQueriesContext(connection) as queries:
            call()
        # A department counted again writes its moments; reading them is what is left out.
        return any(
            query["sql"].startswith("SELECT") and '"moments"' in query["sql"]
            for query in queries.captured_queries
        )

    assert reads_moments(lambda: tallies.whole(world.programme, MARCH_1)) is False
    with_series = tallies.whole(world.programme, MARCH_1, moments=True)
    assert with_series.needs.moments == series_afresh(MARCH_1).needs.moments
    assert any(with_series.needs.moments), "the world's leaders have moments"
    kinds = set(ProgrammeTally.objects.values_list("kind", flat=True))
    assert {ProgrammeTally.Kind.MUNICIPALITY, ProgrammeTally.Kind.SERIES} <= kinds

    later = MARCH_1 + dt.timedelta(minutes=5)
    enrol(leader=world.leaders[5], cohort=world.b, by_staff=True, now=later)
    assert reads_moments(lambda: tallies.whole(world.programme, later)) is False
    assert tallies.department_rows(tallies.whole(world.programme, later), by_unit=True) == live(
        world, later, by_unit=True
    )
    # The forecast after the overview: the counts are kept, the series are added up
    # from the departments' rows without summing the counts (their needs) again.
    with CaptureQueriesContext(connection) as queries:
        kept_series = tallies.whole(world.programme, later, moments=True).needs.moments
    assert not any("programme_tallyneed" in query["sql"] for query in queries.captured_queries)
    assert kept_series == series_afresh(later).needs.moments
    # Kept: asked again, the series are read from their own row, not summed.
    assert reads_moments(lambda: tallies.whole(world.programme, later, moments=True)) is False
    assert tallies.whole(world.programme, later, moments=True).needs.moments == kept_series


def _sums_every_row(call) -> bool:
    """Whether ``call`` summed the municipality from every department's row (the overview's
    lines per department, read in the order of their names) rather than correcting the
    kept sum."""
    with CaptureQueriesContext(connection) as queries:
        call()
    return any("ROW_NUMBER" in query["sql"].upper() for query in queries.captured_queries)


def test_after_a_booking_the_municipalitys_sum_is_corrected_by_the_departments_difference(world):
    """HR's overview and the forecast after a booking: the department it touched is counted
    again and the kept sum (lines, needs, series) corrected by how its row changed, not
    summed again from every department; and it equals a count over every leader."""
    tallies.whole(world.programme, MARCH_1, moments=True)
    other_before = counted_at(world.other)
    later = MARCH_1 + dt.timedelta(minutes=5)
    for step, change in enumerate(
        [
            lambda: enrol(leader=world.leaders[5], cohort=world.b, by_staff=True, now=later),
            lambda: cancel(
                enrolment=Enrolment.objects.get(leader=world.leaders[4], status="enrolled"),
                by_staff=True,
                now=later,
            ),
            # L3 gives up A's place: one more without a place in the administration.
            lambda: cancel(
                enrolment=Enrolment.objects.get(leader=world.leaders[3], status="enrolled"),
                by_staff=True,
                now=later,
            ),
        ]
    ):
        change()
        moments = step % 2 == 1  # the overview, the forecast, the overview
        assert (
            _sums_every_row(lambda m=moments: tallies.whole(world.programme, later, moments=m))
            is False
        )
        found = tallies.whole(world.programme, later, moments=True)
        afresh = tallies.kept(world.programme, Department.objects.all(), later, moments=True)
        assert tallies.department_rows(found, by_unit=True) == live(world, later, by_unit=True)
        assert tallies.department_rows(found, by_unit=True) == tallies.department_rows(
            afresh, by_unit=True
        )
        assert found.needs == afresh.needs
        assert found.unseated == afresh.unseated
    assert counted_at(world.other) == other_before, "Vej og Park was not counted again"


def test_series_kept_before_a_correction_without_them_are_added_up_not_corrected(world):
    """The overview corrects the kept sum after one booking and leaves the series as
    they were; after the next booking the forecast must not correct those older series
    by the second booking alone (they would keep what the first took away): they are
    added up again."""
    first = tallies.whole(world.programme, MARCH_1, moments=True).needs.moments
    later = MARCH_1 + dt.timedelta(minutes=5)
    # L4 gives up B's place, then L3 A's: each takes their moments out of the series.
    cancel(
        enrolment=Enrolment.objects.get(leader=world.leaders[4], status="enrolled"),
        by_staff=True,
        now=later,
    )
    tallies.whole(world.programme, later)  # the overview: the counts only
    cancel(
        enrolment=Enrolment.objects.get(leader=world.leaders[3], status="enrolled"),
        by_staff=True,
        now=later,
    )
    found = tallies.whole(world.programme, later, moments=True)  # the forecast
    afresh = tallies.kept(world.programme, Department.objects.all(), later, moments=True)
    assert afresh.needs.moments != first, "the bookings change the series"
    assert found.needs.moments == afresh.needs.moments
    assert found.needs == afresh.needs


@pytest.mark.parametrize(("limit", "summed_again"), [(None, False), (29, True)])
def test_an_attendance_sheet_across_many_departments_corrects_the_sum_up_to_the_limit(
    world, monkeypatch, limit, summed_again
):
    """HR's attendance sheet for a cohort whose 30 leaders come from 30 departments (as a
    cohort's leaders do): the kept sum is corrected by those departments' difference;
    past ``BY_DIFFERENCE`` departments it is summed again from every row. Either way it
    equals a count over the leaders."""
    if limit is not None:
        monkeypatch.setattr(tallies, "BY_DIFFERENCE", limit)
    cohort = Cohort.objects.create(
        programme=world.programme, name="D", capacity=30, enrolment_deadline=dt.date(2016, 2, 1)
    )
    first = session(cohort, world.m1, local(2016, 2, 16, 9))
    session(cohort, world.m2, local(2016, 3, 22, 9))
    leaders = []
    for n in range(30):
        department = Department.objects.create(name=f"Afdeling {n}", code=f"AF{n}")
        leader = make_leader(f"d{n}@albertslund.dk", f"Leder D{n}", department, f"D{n:03}")
        Enrolment.objects.create(leader=leader, cohort=cohort, status="enrolled")
        leaders.append(leader)
    hr = make_hr()
    refresh_standings(world.programme)
    tallies.whole(world.programme, MARCH_1)
    later = MARCH_1 + dt.timedelta(minutes=5)
    save_sheet(
        session=first, statuses={leader.pk: "present" for leader in leaders}, by=hr, now=later
    )
    assert _sums_every_row(lambda: tallies.whole(world.programme, later)) is summed_again
    found = tallies.whole(world.programme, later)
    assert tallies.department_rows(found, by_unit=True) == live(world, later, by_unit=True)


def test_a_department_counted_again_by_another_page_makes_the_municipality_summed_again(world):
    """A manager's report counts its department again after a booking: the kept sum no
    longer holds that department's row, so it is summed again from every row, exactly."""
    tallies.whole(world.programme, MARCH_1)
    later = MARCH_1 + dt.timedelta(minutes=5)
    enrol(leader=world.leaders[5], cohort=world.b, by_staff=True, now=later)
    tallies.kept(world.programme, Department.objects.filter(pk=world.dept.pk), later)
    assert _sums_every_row(lambda: tallies.whole(world.programme, later)) is True
    found = tallies.whole(world.programme, later)
    assert tallies.department_rows(found, by_unit=True) == live(world, later, by_unit=True)


def test_a_leader_moved_makes_the_municipality_summed_again(world):
    tallies.whole(world.programme, MARCH_1)
    moved = world.leaders[1]
    moved.department = world.other
    moved.save()
    assert _sums_every_row(lambda: tallies.whole(world.programme, MARCH_1)) is True
    found = tallies.whole(world.programme, MARCH_1)
    assert tallies.department_rows(found, by_unit=True) == live(world, MARCH_1, by_unit=True)


@pytest.mark.postgres
def test_the_kept_summaries_are_compressed_with_lz4_where_the_server_has_it(world):
    """Issue 30: the municipality's kept summary (76 KB of JSON at 30,000 leaders) is
    written again after every booking; PostgreSQL's lz4 writes it in half the time of
    its default (pglz). A summary kept now is stored with lz4, and reads back whole."""
    data = {"lines": [[n, f"Afdeling {n}", n % 7, n % 11] for n in range(3000)]}
    ProgrammeTally.keep(world.programme, "municipality", "v", MARCH_1, MARCH_1, data)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        (lz4,) = cursor.fetchone()
        cursor.execute(
            "SELECT pg_column_compression(data) FROM programme_programmetally"
            " WHERE programme_id = %s AND kind = 'municipality'",
            [world.programme.pk],
        )
        (method,) = cursor.fetchone()
    assert method == ("lz4" if lz4 else "pglz")
    assert ProgrammeTally.row(world.programme, "municipality")["data"] == data
