"""Not yet recorded is its own state: "Afventer registrering", not missed, not behind.

Repro: as soon as a session ended, every leader with nothing recorded showed
"! Misset" and counted as behind (on 8 April all 26 enrolled leaders of two
departments were behind only because two sheets had not been saved yet); and
the sheet accepted "present" for a session that had not happened.
"""

import pytest
from django.urls import reverse

from programme import booking, reports
from programme.attendance import save_sheet
from programme.models import Attendance, Standing
from programme.progress import ModuleState, registration_due, stored_progress

from .conftest import local

# Hold 1's kick-off: Tuesday 12 January 2016, 09:00-15:00.
ENDED = local(2016, 1, 12, 16)
DUE = local(2016, 1, 15, 15)  # three working days later


@pytest.fixture
def seated(leader, cohort):
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    return leader


def kickoff(cohort):
    return cohort.sessions.get(module__order=1)


def behind(leader, programme, now):
    filters = reports.Filters(programme=programme, now=now)
    row = reports.report_leaders(reports.full_scope(), filters).get(pk=leader.pk)
    return row.is_behind


def test_registration_is_due_three_working_days_after_the_session(cohort):
    assert registration_due(kickoff(cohort).ends_at) == DUE
    friday = local(2016, 1, 15, 15)
    assert registration_due(friday) == local(2016, 1, 20, 15), "the weekend does not count"


def test_an_unrecorded_session_is_awaiting_registration_not_missed(
    client, seated, cohort, programme, settings
):
    settings.PORTAL_CLOCK = ENDED.isoformat()
    progress = stored_progress(seated, programme, now=ENDED)
    assert progress.modules[0].state == ModuleState.AWAITING
    assert not progress.behind
    assert not behind(seated, programme, ENDED)
    client.force_login(seated.user)
    page = client.get("/").text
    assert "Afventer registrering" in page
    assert "Misset" not in page


def test_the_leader_is_behind_once_the_registration_is_overdue(seated, cohort, programme):
    assert not behind(seated, programme, DUE - local(2016, 1, 1, 0).resolution)
    assert behind(seated, programme, DUE)
    assert stored_progress(seated, programme, now=DUE).modules[0].state == ModuleState.MISSED


def test_a_recorded_absence_makes_the_leader_behind_at_once(seated, cohort, programme, hr):
    save_sheet(session=kickoff(cohort), statuses={seated.pk: "absent"}, by=hr, now=ENDED)
    assert behind(seated, programme, ENDED)
    assert Standing.objects.get(leader=seated).behind_from == kickoff(cohort).ends_at


def test_the_report_shows_awaiting_in_the_drill_down_and_the_csv(
    client, seated, cohort, programme, hr, settings
):
    settings.PORTAL_CLOCK = ENDED.isoformat()
    client.force_login(hr)
    page = client.get(reverse("reports:department", args=[seated.department_id])).text
    assert "Afventer registrering" in page
    csv = client.get(reverse("reports:export")).getvalue().decode("utf-8-sig")
    assert "Afventer registrering" in csv


def test_the_sheet_refuses_presence_before_the_session_but_takes_an_excuse(
    client, seated, cohort, hr, settings
):
    settings.PORTAL_CLOCK = local(2016, 2, 1).isoformat()
    upcoming = cohort.sessions.get(module__order=2)  # 9 February
    client.force_login(hr)
    url = reverse("admin:programme_session_attendance", args=[upcoming.pk])
    field = f"leader_{seated.pk}"
    page = client.post(url, {field: "present"})
    assert page.status_code == 200
    assert "Mødegangen er ikke begyndt endnu" in page.text
    assert not Attendance.objects.exists()
    assert client.post(url, {field: "excused"}).status_code == 302
    assert Attendance.objects.get().status == Attendance.Status.EXCUSED


def test_the_single_attendance_form_refuses_presence_before_the_session(
    client, seated, cohort, hr, settings
):
    settings.PORTAL_CLOCK = local(2016, 2, 1).isoformat()
    upcoming = cohort.sessions.get(module__order=2)
    client.force_login(hr)
    url = reverse("admin:programme_attendance_add")
    page = client.post(url, {"leader": seated.pk, "session": upcoming.pk, "status": "present"})
    assert "Mødegangen er ikke begyndt endnu" in page.text
    assert not Attendance.objects.exists()
