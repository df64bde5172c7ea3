"""HR's start page: today's sessions, unrecorded attendance, waitlists, who to chase."""

import datetime as dt

import pytest
from django.urls import reverse

import booking
from programme.models import Attendance, Enrolment
from reports.rules import Filters, department_summary, full_scope, report_leaders
from tests.conftest import NOW, local, make_leader, make_session, session_reads

START = reverse("hr:start")


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = "2016-01-18T09:00"


@pytest.fixture
def world(cohort, other_cohort, open_cohort, modules, leader, colleague, outsider, hr):
    """Søren missed Hold 1's first session (12 January, no attendance recorded): behind.
    Hold 2 meets today. Hold 3 is full: Bodil has its seat, Åse waits. Nanna has no place."""
    booking.enrol(leader=leader, cohort=cohort, now=NOW - dt.timedelta(days=30))
    today = make_session(other_cohort, modules[2], local(2016, 1, 18, 13))
    booking.set_capacity(cohort=open_cohort, capacity=1, now=NOW)
    booking.enrol(leader=outsider, cohort=open_cohort, now=NOW)
    booking.enrol(leader=colleague, cohort=open_cohort, now=NOW)  # waitlisted
    make_leader("nanna@albertslund.dk", "Nanna Nørby", outsider.department, "2002")
    return today


def test_hr_lands_on_the_start_page(client, hr):
    client.force_login(hr)
    response = client.get(reverse("dashboard:dashboard"))
    assert response.status_code == 302 and response["Location"] == START


def test_a_leader_keeps_their_own_dashboard_and_may_not_see_the_start_page(client, leader):
    client.force_login(leader.user)
    assert client.get(reverse("dashboard:dashboard")).status_code == 200
    assert client.get(START).status_code == 403


def test_it_lists_what_hr_has_to_do(client, hr, world, cohort):
    client.force_login(hr)
    response = client.get(START)
    assert [s.pk for s in response.context["today"]] == [world.pk]
    unrecorded = response.context["unrecorded"]
    assert cohort.sessions.order_by("starts_at").first() in unrecorded
    assert [c.name for c in response.context["waitlists"]] == ["Hold 3"]
    assert Enrolment.objects.filter(status=Enrolment.Status.WAITLISTED).count() == 1
    html = response.content.decode()
    assert reverse("admin:programme_session_attendance", args=[unrecorded[0].pk]) in html


def test_a_session_with_attendance_is_no_longer_unrecorded(client, hr, world, cohort, leader):
    first = cohort.sessions.order_by("starts_at").first()
    Attendance.objects.create(
        leader=leader, session=first, status=Attendance.Status.PRESENT, recorded_by=hr
    )
    client.force_login(hr)
    assert first not in client.get(START).context["unrecorded"]


def test_its_counts_are_the_reports_counts(client, hr, world, programme):
    client.force_login(hr)
    total = client.get(START).context["total"]
    _rows, report = department_summary(
        report_leaders(full_scope(), Filters(programme=programme, now=NOW))
    )
    assert (total.not_enrolled, total.behind) == (report.not_enrolled, report.behind) == (1, 1)


def test_it_runs_a_fixed_number_of_queries(client, hr, world, django_assert_num_queries):
    client.force_login(hr)
    client.get(START)  # the first request after sign-in writes the session
    # user (with leader profile and roles), the programme (shared with the header),
    # this week's sessions, unrecorded sessions, cohorts with waitlists; the municipality's
    # kept counts (2: their version and row: the report's totals and the forecast's
    # outlooks); the modules; the kept seats (2: their version and row). The first
    # request above counted and kept them.
    with django_assert_num_queries(10 + session_reads()):
        response = client.get(START)
    assert len(response.context["unrecorded"]) == 1
