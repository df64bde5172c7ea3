"""The attendance sheet: one page per session, every expected leader, one submit."""

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

import booking
from programme.models import HR_GROUP, Attendance, MakeUpBooking
from tests.conftest import NOW, make_user


@pytest.fixture
def session(cohort, leader, colleague, outsider, other_cohort):
    """Hold 1's second session: two enrolled leaders and one make-up from Hold 2."""
    booking.enrol(leader=leader, cohort=cohort, now=NOW)
    booking.enrol(leader=colleague, cohort=cohort, now=NOW)
    booking.enrol(leader=outsider, cohort=other_cohort, now=NOW)
    session = cohort.sessions.get(module__order=2)
    MakeUpBooking.objects.create(leader=outsider, session=session)
    return session


def sheet_url(session):
    return reverse("admin:programme_session_attendance", args=[session.pk])


def test_the_sheet_lists_enrolled_leaders_and_make_ups(client, hr, session, leader, outsider):
    client.force_login(hr)
    response = client.get(sheet_url(session))
    assert response.status_code == 200
    names = [row.leader.name for row in response.context["rows"]]
    assert names == sorted([leader.name, "Åse Østergaard", outsider.name])
    assert [row.is_makeup for row in response.context["rows"] if row.leader == outsider] == [True]


def test_hr_saves_a_whole_session_with_one_submit(client, hr, session, leader, colleague, outsider):
    client.force_login(hr)
    response = client.post(
        sheet_url(session),
        {
            f"leader_{leader.pk}": "present",
            f"leader_{colleague.pk}": "absent",
            f"leader_{outsider.pk}": "late",
        },
    )
    assert response.status_code == 302
    recorded = {a.leader_id: a for a in Attendance.objects.filter(session=session)}
    assert {k: a.status for k, a in recorded.items()} == {
        leader.pk: "present",
        colleague.pk: "absent",
        outsider.pk: "late",
    }
    assert {a.recorded_by for a in recorded.values()} == {hr}


def test_reopening_the_sheet_shows_what_was_recorded(client, hr, session, leader, colleague):
    client.force_login(hr)
    client.post(sheet_url(session), {f"leader_{leader.pk}": "excused"})
    response = client.get(sheet_url(session))
    form = response.context["form"]
    assert form.initial[f"leader_{leader.pk}"] == "excused"
    assert form.initial[f"leader_{colleague.pk}"] == ""
    checked = re.findall(
        r'<input[^>]*name="(leader_\d+)" value="(\w+)"[^>]*checked', response.content.decode()
    )
    assert checked == [(f"leader_{leader.pk}", "excused")]


def test_a_leader_left_blank_is_not_recorded(client, hr, session, leader):
    client.force_login(hr)
    client.post(sheet_url(session), {f"leader_{leader.pk}": "present"})
    assert list(Attendance.objects.filter(session=session).values_list("leader", flat=True)) == [
        leader.pk
    ]


def test_an_unknown_status_is_refused_and_nothing_saved(client, hr, session, leader, colleague):
    client.force_login(hr)
    response = client.post(
        sheet_url(session),
        {f"leader_{leader.pk}": "present", f"leader_{colleague.pk}": "asleep"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Attendance.objects.filter(session=session).exists()


def test_mark_everyone_present_fills_the_form_without_saving(client, hr, session):
    client.force_login(hr)
    response = client.get(sheet_url(session) + "?prefill=present")
    assert set(response.context["form"].initial.values()) == {"present"}
    assert not Attendance.objects.filter(session=session).exists()


def test_everyone_present_then_one_change_is_saved_as_sent(
    client, hr, session, leader, colleague, outsider
):
    client.force_login(hr)
    form = client.get(sheet_url(session) + "?prefill=present").context["form"]
    data = dict(form.initial)
    data[f"leader_{colleague.pk}"] = "absent"
    client.post(sheet_url(session), data)
    statuses = dict(Attendance.objects.filter(session=session).values_list("leader", "status"))
    assert statuses == {leader.pk: "present", colleague.pk: "absent", outsider.pk: "present"}


def test_an_unchanged_record_keeps_who_recorded_it(client, hr, session, leader, colleague):
    first = make_user("hr2@albertslund.dk", is_staff=True)
    first.groups.add(Group.objects.get(name=HR_GROUP))
    client.force_login(first)
    client.post(sheet_url(session), {f"leader_{leader.pk}": "present"})
    client.force_login(hr)
    client.post(
        sheet_url(session),
        {f"leader_{leader.pk}": "present", f"leader_{colleague.pk}": "late"},
    )
    by = dict(Attendance.objects.filter(session=session).values_list("leader", "recorded_by"))
    assert by == {leader.pk: first.pk, colleague.pk: hr.pk}


def test_staff_without_the_attendance_permission_get_403(client, session):
    staff = make_user("staff@albertslund.dk", is_staff=True)
    client.force_login(staff)
    assert client.get(sheet_url(session)).status_code == 403
    assert client.post(sheet_url(session), {}).status_code == 403


def test_a_leader_who_is_not_staff_is_sent_to_the_login(client, session, leader):
    client.force_login(leader.user)
    response = client.get(sheet_url(session))
    assert response.status_code == 302
    assert "login" in response.url


def test_the_session_page_has_a_button_to_the_sheet(client, hr, session):
    client.force_login(hr)
    response = client.get(reverse("admin:programme_session_change", args=[session.pk]))
    assert sheet_url(session).encode() in response.content


def test_the_list_action_opens_the_sheet_of_one_session(client, hr, session):
    client.force_login(hr)
    response = client.post(
        reverse("admin:programme_session_changelist"),
        {"action": "open_attendance_sheet", "_selected_action": [session.pk]},
    )
    assert response.status_code == 302
    assert response.url == sheet_url(session)


def test_saving_a_sheet_takes_the_same_queries_for_more_leaders(
    client, hr, session, django_assert_max_num_queries, leader, colleague, outsider
):
    client.force_login(hr)
    data = {f"leader_{x.pk}": "present" for x in (leader, colleague, outsider)}
    # 20 for the sheet and the history, 6 to refresh the leaders' standings at once.
    with django_assert_max_num_queries(26):
        client.post(sheet_url(session), data)
