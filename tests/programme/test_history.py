"""History: attendance and enrolment changes keep who, when and what, shown in the admin."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

import booking
from programme.models import HR_GROUP, Attendance, Enrolment
from tests.conftest import NOW, make_user


@pytest.fixture
def second_hr(db):
    user = make_user("hr2@albertslund.dk", is_staff=True, first_name="Hanne", last_name="Holm")
    user.groups.add(Group.objects.get(name=HR_GROUP))
    return user


def test_a_changed_attendance_keeps_its_old_status_and_who_changed_it(
    client, hr, second_hr, cohort, leader
):
    booking.enrol(leader=leader, cohort=cohort, now=NOW)
    session = cohort.sessions.get(module__order=1)
    url = reverse("admin:programme_session_attendance", args=[session.pk])
    client.force_login(hr)
    client.post(url, {f"leader_{leader.pk}": "absent"})
    client.force_login(second_hr)
    client.post(url, {f"leader_{leader.pk}": "present"})

    record = Attendance.objects.get(leader=leader, session=session)
    history = list(record.history.order_by("history_date", "history_id"))
    assert [(h.status, h.history_user, h.history_type) for h in history] == [
        ("absent", hr, "+"),
        ("present", second_hr, "~"),
    ]
    assert record.recorded_by == second_hr


def test_the_attendance_history_page_shows_the_changes(client, hr, second_hr, cohort, leader):
    booking.enrol(leader=leader, cohort=cohort, now=NOW)
    session = cohort.sessions.get(module__order=1)
    url = reverse("admin:programme_session_attendance", args=[session.pk])
    client.force_login(second_hr)
    client.post(url, {f"leader_{leader.pk}": "late"})
    client.force_login(hr)
    record = Attendance.objects.get(leader=leader, session=session)
    response = client.get(reverse("admin:programme_attendance_history", args=[record.pk]))
    assert response.status_code == 200
    assert "Hanne Holm" in response.content.decode()


def test_moving_a_leader_keeps_the_old_enrolment_and_who_moved_it(
    client, hr, cohort, other_cohort, leader
):
    enrolment = booking.enrol(leader=leader, cohort=cohort, now=NOW)
    client.force_login(hr)
    client.post(
        reverse("admin:programme_enrolment_changelist"),
        {
            "action": "move_to_cohort",
            "_selected_action": [enrolment.pk],
            "apply": "1",
            "cohort": other_cohort.pk,
        },
    )
    old = Enrolment.history.filter(id=enrolment.pk).order_by("history_date", "history_id")
    assert [(h.status, h.history_user) for h in old] == [("enrolled", None), ("cancelled", hr)]
    new = Enrolment.objects.get(leader=leader, cohort=other_cohort)
    assert new.history.get().history_user == hr
    response = client.get(reverse("admin:programme_enrolment_history", args=[enrolment.pk]))
    assert response.status_code == 200


def test_the_history_pages_are_in_danish(client, superuser, leader):
    from django.urls import reverse

    leader.title = "Centerchef"
    leader.save()
    client.force_login(superuser)
    page = client.get(reverse("admin:programme_leader_history", args=[leader.pk])).content
    text = page.decode()
    assert "<title>Se historik: Søren Ærbø" in text
    assert "Ændret af" in text and "Changed by" not in text
    assert "Oprettet" in text or "Ændret" in text
