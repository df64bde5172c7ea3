"""Toward the end date: the forecast's numbers equal those worked out by hand here, on
hand-built attendance, places and cohorts; the page, its CSV and the summaries show the
same; a manager sees their scope only."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from programme.models import (
    Attendance,
    Cohort,
    Department,
    Enrolment,
    Leader,
    MakeUpBooking,
    Module,
    Programme,
    Session,
)
from programme.progress import refresh_standings
from reports import forecast
from reports.forecast import Outlook
from reports.rules import full_scope, scope_for
from tests.conftest import local, make_leader, make_manager, room

pytestmark = pytest.mark.django_db

NOW = "2016-03-01T10:00"


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = NOW


def session(cohort: Cohort, module: Module, day: dt.datetime) -> Session:
    return Session.objects.create(
        cohort=cohort,
        module=module,
        starts_at=day,
        ends_at=day + dt.timedelta(hours=6),
        location=room(),
    )


class World:
    """Two required modules; cohort A has met, B and C are to come, both full. Seven
    leaders still here, one who left:

    - L1 (A) present at both: completed.
    - L2 (A) absent from M2, whose make-up sessions (B's, C's) are full: cannot finish.
    - L3 (A) absent from M1, a make-up at B's M1: on course.
    - L4 (B): on course.
    - L5 no place, and no cohort with a free seat: cannot finish.
    - L6 (C, in another department): on course, done on 26 July.
    - L8 (A) absent from M2, a make-up at B's M2: on course.
    - L9 left in February: not counted.
    """

    def __init__(self):
        self.programme = Programme.objects.create(
            name="Prognose", starts_on=dt.date(2015, 11, 1), ends_on=dt.date(2016, 7, 31)
        )
        self.m1, self.m2 = (
            Module.objects.create(programme=self.programme, order=n, title=f"M{n}", required=True)
            for n in (1, 2)
        )
        deadline = dt.date(2016, 1, 5)

        def cohort(name, capacity, first, second, deadline=deadline):
            made = Cohort.objects.create(
                programme=self.programme,
                name=name,
                capacity=capacity,
                enrolment_deadline=deadline,
            )
            return made, session(made, self.m1, first), session(made, self.m2, second)

        self.a, self.a1, self.a2 = cohort("A", 4, local(2016, 1, 12), local(2016, 2, 9))
        self.b, self.b1, self.b2 = cohort(
            "B", 2, local(2016, 3, 15), local(2016, 4, 12), dt.date(2016, 3, 1)
        )
        self.c, self.c1, self.c2 = cohort(
            "C", 1, local(2016, 6, 7), local(2016, 7, 26), dt.date(2016, 5, 1)
        )
        self.area = Department.objects.create(name="Center for Børn", code="CB")
        self.dept = Department.objects.create(name="Dagtilbud", code="DT", parent=self.area)
        self.other = Department.objects.create(name="Vej og Park", code="VP")
        leaders = {}
        for n in (1, 2, 3, 4, 5, 6, 8, 9):
            department = self.other if n == 6 else self.dept
            leaders[n] = make_leader(f"l{n}@albertslund.dk", f"Leder {n}", department, f"{n:04}")
        self.leaders = leaders
        for n, cohort_ in ((1, self.a), (2, self.a), (3, self.a), (8, self.a), (9, self.a)):
            Enrolment.objects.create(leader=leaders[n], cohort=cohort_, status="enrolled")
        Enrolment.objects.create(leader=leaders[4], cohort=self.b, status="enrolled")
        Enrolment.objects.create(leader=leaders[6], cohort=self.c, status="enrolled")
        marks = {
            (1, self.a1): "present",
            (1, self.a2): "present",
            (2, self.a1): "present",
            (2, self.a2): "absent",
            (3, self.a1): "absent",
            (3, self.a2): "present",
            (8, self.a1): "present",
            (8, self.a2): "absent",
            (9, self.a1): "present",
            (9, self.a2): "present",
        }
        for (n, session_), status in marks.items():
            Attendance.objects.create(leader=leaders[n], session=session_, status=status)
        MakeUpBooking.objects.create(leader=leaders[3], session=self.b1)
        MakeUpBooking.objects.create(leader=leaders[8], session=self.b2)
        Leader.objects.filter(pk=leaders[9].pk).update(left_on=dt.date(2016, 2, 15))
        refresh_standings(self.programme)

    def outlook(self, **kwargs) -> forecast.Forecast:
        return forecast.forecast(full_scope(), self.programme, local(2016, 3, 1, 10), **kwargs)


@pytest.fixture
def world() -> World:
    return World()


def test_each_leader_is_completed_on_course_at_risk_or_unable_as_worked_out_by_hand(world):
    found = world.outlook()
    assert found.leaders == 7
    assert found.counts == {
        Outlook.COMPLETED: 1,
        Outlook.ON_COURSE: 4,  # L3, L4, L6, L8
        Outlook.AT_RISK: 0,
        Outlook.CANNOT_FINISH: 2,  # L2, L5
    }
    unable = {s.name: (s.action, s.module_title) for s in found.cannot_finish}
    assert unable == {"Leder 2": ("makeup", "M2"), "Leder 5": ("enrol", "")}


def test_a_new_cohort_with_a_seat_turns_those_who_cannot_finish_into_at_risk(world):
    extra = Cohort.objects.create(
        programme=world.programme, name="D", capacity=1, enrolment_deadline=dt.date(2016, 5, 1)
    )
    session(extra, world.m1, local(2016, 5, 10))
    session(extra, world.m2, local(2016, 6, 14))
    found = world.outlook()
    # L5 can take D's seat; L2 a make-up at D's M2.
    assert found.counts[Outlook.AT_RISK] == 2
    assert found.counts[Outlook.CANNOT_FINISH] == 0
    assert {s.name for s in found.at_risk} == {"Leder 2", "Leder 5"}
    assert found.seats.free_seats == 1
    assert found.seats.short == 0


def test_a_cohort_with_a_seat_that_ends_after_the_end_date_is_no_chance(world):
    """The end date moved to 20 July. D starts in time but its last session is on 26
    July: its seat (and its make-up session of M2) completes no one by the end date, so
    L2, L5 and L6 cannot finish. With D's last session on 14 July all three are at risk."""
    extra = Cohort.objects.create(
        programme=world.programme, name="D", capacity=1, enrolment_deadline=dt.date(2016, 5, 1)
    )
    session(extra, world.m1, local(2016, 5, 10, 9))
    last = session(extra, world.m2, local(2016, 7, 26, 9))
    Programme.objects.filter(pk=world.programme.pk).update(ends_on=dt.date(2016, 7, 20))
    world.programme.refresh_from_db()
    found = world.outlook()
    assert found.counts[Outlook.AT_RISK] == 0
    assert found.counts[Outlook.CANNOT_FINISH] == 3  # L2, L5, L6
    assert found.seats.free_seats == 0
    Session.objects.filter(pk=last.pk).update(
        starts_at=local(2016, 7, 14, 9), ends_at=local(2016, 7, 14, 15)
    )
    found = world.outlook()
    assert found.counts[Outlook.AT_RISK] == 3
    assert found.counts[Outlook.CANNOT_FINISH] == 0
    assert found.seats.free_seats == 1


def test_a_place_whose_last_session_ends_after_the_end_date_is_not_on_course(world):
    """The end date moved to 20 July: L6's M2 on 26 July comes too late, and B's M2 (the
    only make-up before then) is full."""
    Programme.objects.filter(pk=world.programme.pk).update(ends_on=dt.date(2016, 7, 20))
    world.programme.refresh_from_db()
    found = world.outlook()
    assert found.counts == {
        Outlook.COMPLETED: 1,
        Outlook.ON_COURSE: 3,  # L3, L4, L8
        Outlook.AT_RISK: 0,
        Outlook.CANNOT_FINISH: 3,  # L2, L5, L6
    }
    unable = {s.name: (s.action, s.module_title) for s in found.cannot_finish}
    assert unable["Leder 6"] == ("makeup", "M2")


def test_the_weekly_series_equal_the_hand_counts(world):
    weeks = {w.starts: w for w in world.outlook().weeks}
    # The week of the first session (Tuesday 12 January) to the week of 31 July.
    assert min(weeks) == dt.date(2016, 1, 11)
    assert max(weeks) == dt.date(2016, 7, 25)
    assert len(weeks) == 29

    def week(month, day):
        return weeks[dt.date(2016, month, day)]

    # Actual: three M1s on 12 January (L1, L2, L8), two M2s on 9 February (L1, L3).
    assert (week(1, 11).actual_modules, week(1, 11).actual_leaders) == (3, 0)
    assert (week(2, 8).actual_modules, week(2, 8).actual_leaders) == (5, 1)
    assert (week(2, 29).actual_modules, week(2, 29).actual_leaders) == (5, 1)
    assert week(3, 7).actual_modules is None  # after this week: no actual line
    # Booked, from this week: + L3's and L4's M1 at B (15 March), + L4's and L8's M2 at
    # B (12 April), + L6's M1 at C (7 June), + L6's M2 at C (26 July).
    assert week(2, 22).booked_modules is None
    assert (week(2, 29).booked_modules, week(2, 29).booked_leaders) == (5, 1)
    assert (week(3, 14).booked_modules, week(3, 14).booked_leaders) == (7, 2)  # + L3
    assert (week(4, 11).booked_modules, week(4, 11).booked_leaders) == (9, 4)  # + L4, L8
    assert (week(6, 6).booked_modules, week(6, 6).booked_leaders) == (10, 4)
    assert (week(7, 25).booked_modules, week(7, 25).booked_leaders) == (11, 5)
    # Target: a straight line from Monday 11 January to the end of 31 July (203 days, one
    # hour shorter for summer time), 7 leaders and 14 modules at the end.
    span = 203 * 86400 - 3600
    assert (week(1, 11).target_modules, week(1, 11).target_leaders) == (
        int(14 * 7 * 86400 / span),
        int(7 * 7 * 86400 / span),
    )
    assert (week(4, 11).target_modules, week(4, 11).target_leaders) == (6, 3)
    assert (week(7, 25).target_modules, week(7, 25).target_leaders) == (14, 7)


def test_the_seat_gap_names_the_extra_cohort_and_its_latest_first_session(world):
    seats = world.outlook().seats
    assert seats.without_place == 1  # L5
    assert seats.by_area == [("Center for Børn", 1)]
    assert seats.free_seats == 0  # B and C are full
    assert seats.short == 1
    # The usual cohort: 4 seats (each size once: the larger), four weeks from first to
    # last session (A's and B's; C's seven).
    assert (seats.extra_cohorts, seats.usual_capacity) == (1, 4)
    assert seats.first_session_by == dt.date(2016, 7, 3)
    assert seats.last_day_to_enrol is None


def test_an_area_and_a_department_count_only_their_leaders(world):
    assert world.outlook(unit=world.area).leaders == 6
    only = world.outlook(department=world.other)
    assert only.leaders == 1
    assert only.counts[Outlook.ON_COURSE] == 1


def test_the_page_shows_the_counts_the_list_and_the_actions(client, hr, world):
    client.force_login(hr)
    response = client.get(reverse("reports:forecast"), {"programme": world.programme.pk})
    assert response.status_code == 200
    html = response.text
    assert 'data-outlook="cannot_finish">2 ledere' in html
    assert 'data-outlook="completed">1 leder' in html
    assert "Leder 2" in html and "Leder 5" in html
    assert reverse("managers:place", args=[world.leaders[5].pk]) in html
    assert f"{reverse('admin:programme_session_add')}?module={world.m2.pk}" in html
    assert "1 hold mere med de sædvanlige 4 pladser" in html


def test_the_lists_go_a_page_at_a_time_by_name(client, hr, world, monkeypatch):
    """One leader a page: L2 first, then L5; a page past the last shows the last."""
    second = world.outlook(listed=1, pages=(2, 1))
    assert [s.name for s in second.cannot_finish] == ["Leder 5"]
    assert (second.cannot_pages.first, second.cannot_pages.last) == (2, 2)
    assert [s.name for s in world.outlook(listed=1, pages=(9, 1)).cannot_finish] == ["Leder 5"]
    monkeypatch.setattr(forecast, "LIST_SIZE", 1)
    client.force_login(hr)
    url = reverse("reports:forecast")
    first = client.get(url, {"programme": world.programme.pk}).text
    assert "Leder 2" in first and "Leder 5" not in first
    assert "Ledere 1 til 1 af 2, efter navn." in first
    assert "cannot_page=2#cannot-heading" in first and "Næste ledere" in first
    page = client.get(url, {"programme": world.programme.pk, "cannot_page": "2"}).text
    assert "Leder 5" in page and "Leder 2" not in page
    assert "cannot_page=1#cannot-heading" in page and "Forrige ledere" in page
    assert client.get(url, {"cannot_page": "x"}).status_code == 200


def test_the_walk_for_the_lists_reads_no_further_than_the_row_that_completes_them():
    """The lists' walk (``_pages_of``) reads the leaders by name until each outlook has
    as many as wanted (the forecast wants a page, or all the counts have when fewer):
    with none at risk wanted, a page of those who cannot finish is read, not every
    leader after it looking for one at risk."""
    cannot, risky = Outlook.CANNOT_FINISH, Outlook.AT_RISK
    read: list[int] = []

    def rows(outlooks: str):
        for n, letter in enumerate(outlooks):
            read.append(n)
            yield n, f"Leder {n}", "Afdeling", letter, None

    def decide(seat, _stored):
        return (cannot if seat == "c" else risky), None, []

    def pages(outlooks, skip, wanted) -> list[int]:
        read.clear()
        return [row[0] for row in forecast._pages_of(rows(outlooks), decide, skip, wanted)]

    none_skipped = {cannot: 0, risky: 0}
    assert pages("c" * 100, none_skipped, {cannot: 3, risky: 0}) == [0, 1, 2]
    assert read == [0, 1, 2]
    # The one at risk is last by name: every leader before it is read, three listed.
    assert pages("cccccr", none_skipped, {cannot: 3, risky: 1}) == [0, 1, 2, 5]
    assert read == [0, 1, 2, 3, 4, 5]
    # The second page of two: two passed over, the third and fourth listed.
    assert pages("rcrcrcrc", {cannot: 2, risky: 0}, {cannot: 4, risky: 0}) == [5, 7]
    assert read == list(range(8))
    assert pages("crcr", none_skipped, {cannot: 0, risky: 0}) == []
    assert read == []


def test_the_csv_has_the_weekly_series_of_the_page(client, hr, world):
    client.force_login(hr)
    response = client.get(reverse("reports:forecast_csv"), {"programme": world.programme.pk})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 1 + 29
    by_week = {row[0]: row for row in rows[1:]}
    assert by_week["2016-04-11"] == ["2016-04-11", "", "9", "6", "", "4", "3"]
    assert by_week["2016-02-08"][1:3] == ["5", ""]


def test_a_manager_sees_only_their_scope(client, world):
    manager = make_manager("chef@albertslund.dk", world.other)
    client.force_login(manager)
    response = client.get(reverse("reports:forecast"), {"programme": world.programme.pk})
    assert response.status_code == 200
    assert 'data-outlook="on_course">1 leder' in response.text
    assert "Leder 2" not in response.text
    found = forecast.forecast(scope_for(manager), world.programme, local(2016, 3, 1, 10))
    assert found.leaders == 1
    # Another department by id: none of theirs.
    response = client.get(
        reverse("reports:forecast"), {"programme": world.programme.pk, "department": world.dept.pk}
    )
    assert response.status_code == 404


def test_a_leader_may_not_see_the_forecast(client, world):
    client.force_login(world.leaders[1].user)
    assert client.get(reverse("reports:forecast")).status_code == 403
    assert client.get(reverse("reports:forecast_csv")).status_code == 403


def test_on_the_demo_data_of_1_march_actual_is_below_target_and_some_cannot_finish(db, settings):
    """``seed_demo --as-of 2016-03-01``, looked at that day."""
    call_command("seed_demo", "--as-of", "2016-03-01", verbosity=0)
    settings.PORTAL_CLOCK = "2016-03-01T12:00"
    programme = Programme.objects.get()
    found = forecast.forecast(full_scope(), programme, local(2016, 3, 1, 12))
    week = found.current_week
    assert week is not None and week.starts == dt.date(2016, 2, 29)
    assert week.actual_leaders < week.target_leaders
    assert week.actual_modules < week.target_modules
    assert found.cannot_finish
    assert sum(found.counts.values()) == found.leaders
