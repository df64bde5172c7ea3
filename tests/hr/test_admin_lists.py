"""Admin lists: filters, search, and a fixed number of queries whatever the data's size."""

import re

import pytest
from django.urls import reverse

import demo as demo_data
from programme.models import Enrolment, Leader

LISTS = [
    "admin:programme_leader_changelist",
    "admin:programme_enrolment_changelist",
    "admin:programme_session_changelist",
    "admin:programme_attendance_changelist",
]
# Session, user and permissions, the layout's navigation, the list's counts and rows,
# each filter's choices, and saving the session: measured 12-15 on 150 and 1,500 leaders.
MAX_QUERIES = 16


@pytest.fixture
def hr_client(client, hr):
    client.force_login(hr)
    return client


def assert_lists_take_fixed_queries(client, assert_max_queries):
    from programme.models import User

    client.force_login(User.objects.get(email=demo_data.HR_EMAIL))
    for url in LISTS:
        with assert_max_queries(MAX_QUERIES):
            response = client.get(reverse(url), {"o": "-1"})
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) > 10, url


def test_the_lists_run_a_fixed_number_of_queries_on_demo_data(
    client, demo, django_assert_max_num_queries
):
    assert_lists_take_fixed_queries(client, django_assert_max_num_queries)


def test_the_lists_run_the_same_number_of_queries_on_ten_times_the_data(
    client, db, django_assert_max_num_queries
):
    demo_data.seed(leaders=1500)
    assert Leader.objects.count() >= 1500
    assert_lists_take_fixed_queries(client, django_assert_max_num_queries)


def test_leaders_are_found_by_employee_number_and_e_mail(hr_client, leader, colleague):
    url = reverse("admin:programme_leader_changelist")
    by_number = hr_client.get(url, {"q": "1002"}).context["cl"].result_list
    by_email = hr_client.get(url, {"q": "soeren@albertslund"}).context["cl"].result_list
    assert [x.name for x in by_number] == [colleague.name]
    assert [x.name for x in by_email] == [leader.name]


def test_the_leader_list_filters_leaders_without_a_place(hr_client, cohort, leader, colleague):
    import booking
    from tests.conftest import NOW

    booking.enrol(leader=leader, cohort=cohort, now=NOW)
    url = reverse("admin:programme_leader_changelist")
    without = hr_client.get(url, {"place": "none"}).context["cl"].result_list
    in_cohort = hr_client.get(url, {"cohort": cohort.pk}).context["cl"].result_list
    assert [x.name for x in without] == [colleague.name]
    assert [x.name for x in in_cohort] == [leader.name]
    row = next(x for x in in_cohort)
    assert (row.cohort_name, row.place_status) == (cohort.name, Enrolment.Status.ENROLLED)


def test_the_session_list_counts_expected_and_recorded_leaders(hr_client, demo):
    rows = (
        hr_client.get(reverse("admin:programme_session_changelist"), {"starts_at__year": "2015"})
        .context["cl"]
        .result_list
    )
    session = rows[0]
    enrolled = Enrolment.objects.filter(cohort=session.cohort, status="enrolled").count()
    assert session.expected_count == enrolled + session.makeups.count()
    assert session.recorded_count == session.attendances.count()


def test_enrolments_filter_by_department_and_status(hr_client, demo):
    department = Leader.objects.order_by("pk").first().department
    rows = (
        hr_client.get(
            reverse("admin:programme_enrolment_changelist"),
            {"leader__department__id__exact": department.pk, "status__exact": "waitlisted"},
        )
        .context["cl"]
        .result_list
    )
    assert all(e.leader.department_id == department.pk and e.status == "waitlisted" for e in rows)


def test_the_leader_lists_place_column_names_the_cohort_and_a_waiting_place(
    hr_client, cohort, leader, colleague, outsider
):
    import booking
    from tests.conftest import local

    cohort.capacity = 1
    cohort.save()
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    booking.enrol(leader=colleague, cohort=cohort, now=local(2016, 1, 6))
    page = hr_client.get(reverse("admin:programme_leader_changelist")).text
    cells = dict(
        re.findall(r'<a href="/admin/programme/leader/(\d+)/change/[^>]*>[^<]*</a>.*?'
                   r'<td class="field-place">([^<]*)</td>', page, re.S)
    )  # fmt: skip
    assert cells[str(leader.pk)] == "Hold 1"
    assert cells[str(colleague.pk)] == "Venteliste: Hold 1"
    assert cells[str(outsider.pk)] == "Ingen plads"
