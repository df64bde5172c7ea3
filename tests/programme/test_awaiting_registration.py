"""Not yet recorded is its own state: "Afventer registrering", not missed, not behind.

Repro: as soon as a session ended, every leader with nothing recorded showed
"! Misset" and counted as behind (on 8 April all 26 enrolled leaders of two
departments were behind only because two sheets had not been saved yet); and
the sheet accepted "present" for a session that had not happened.
"""

import pytest
from django.urls import reverse

import booking
from programme.attendance import save_sheet
from programme.models import Attendance, Standing
from programme.progress import ModuleState, registration_due, stored_progress
from reports import rules as reports
from tests.conftest import local

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


# -- Working days: weekends, Denmark's public holidays and the municipality's closed days.
# Each row: a session ending at 15:00, and when its registration is due, counted by hand.
@pytest.mark.parametrize(
    "ended, due",
    [
        # Wednesday 23 December 2015: 24 (closed), 25 and 26 (Christmas), 27 (Sunday);
        # 28, 29, 30 December are the three working days.
        (local(2015, 12, 23, 15), local(2015, 12, 30, 15)),
        # Wednesday 30 December: 31 (closed), 1 January (Nytårsdag), the weekend.
        (local(2015, 12, 30, 15), local(2016, 1, 6, 15)),
        # Wednesday 23 March 2016: Skærtorsdag 24, Langfredag 25, Easter Monday 28.
        (local(2016, 3, 23, 15), local(2016, 3, 31, 15)),
        # Thursday 21 April: Store Bededag, Friday 22 April.
        (local(2016, 4, 21, 15), local(2016, 4, 27, 15)),
        # Wednesday 4 May: Kristi Himmelfartsdag, Thursday 5 May.
        (local(2016, 5, 4, 15), local(2016, 5, 10, 15)),
        # Friday 13 May: Whit Monday (Anden pinsedag), 16 May.
        (local(2016, 5, 13, 15), local(2016, 5, 19, 15)),
        # Thursday 4 June 2015: Grundlovsdag, Friday 5 June (closed).
        (local(2015, 6, 4, 15), local(2015, 6, 10, 15)),
        # Store Bededag was abolished from 2024: Friday 26 April 2024 is a working day.
        (local(2024, 4, 25, 15), local(2024, 4, 30, 15)),
    ],
    ids=["christmas", "new-year", "easter", "store-bededag", "kristi-himmelfart", "pinse",
         "grundlovsdag", "no-store-bededag-2024"],
)  # fmt: skip
def test_holidays_and_closed_days_are_not_working_days(db, ended, due):
    assert registration_due(ended) == due


def test_the_closed_days_come_from_a_setting(db, settings):
    settings.CLOSED_DAYS = []  # 24 December is a working day then
    assert registration_due(local(2015, 12, 23, 15)) == local(2015, 12, 29, 15)
    settings.CLOSED_DAYS = [(12, 24), (12, 28)]
    assert registration_due(local(2015, 12, 23, 15)) == local(2015, 12, 31, 15)


@pytest.fixture
def before_christmas(leader, cohort, modules, programme):
    """The leader's kick-off moved to Wednesday 23 December 2015, 09:00-15:00."""
    booking.enrol(leader=leader, cohort=cohort, now=local(2015, 12, 1))
    session = kickoff(cohort)
    session.starts_at, session.ends_at = local(2015, 12, 23, 9), local(2015, 12, 23, 15)
    session.save()
    return leader


def test_a_leader_is_not_behind_over_christmas_before_the_third_working_day(
    before_christmas, programme
):
    """Repro: on Monday 28 December the leader was behind, 24 and 25 December counted."""
    assert not behind(before_christmas, programme, local(2015, 12, 28, 16))
    assert not behind(before_christmas, programme, local(2015, 12, 30, 14))
    assert behind(before_christmas, programme, local(2015, 12, 30, 15))
    state = stored_progress(before_christmas, programme, now=local(2015, 12, 29)).modules[0]
    assert state.state == ModuleState.AWAITING


def test_hr_reads_the_rule_and_the_closed_days_on_the_start_page(
    client, seated, cohort, hr, settings
):
    settings.PORTAL_CLOCK = ENDED.isoformat()
    client.force_login(hr)
    page = client.get(reverse("hr:start")).text
    assert "Registrér fremmøde senest 3 arbejdsdage efter en mødegang" in page
    assert (
        "Weekender, helligdage og 24. december (juleaftensdag), 31. december (nytårsaften) "
        "og 5. juni (grundlovsdag) tæller ikke som arbejdsdage." in page
    )
    # The kick-off of 12 January is not recorded yet: due Friday 15 January at 15:00.
    assert "fre 15. jan 15:00" in page


def test_a_closed_day_that_is_not_a_date_stops_the_start_naming_the_variable(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from portal.env import env_month_days

    monkeypatch.setenv("CLOSED_DAYS", "12-24, 02-29")
    assert env_month_days("CLOSED_DAYS", "") == [(12, 24), (2, 29)]
    for wrong in ("24-12", "12/24", "juleaften"):
        monkeypatch.setenv("CLOSED_DAYS", f"12-31,{wrong}")
        with pytest.raises(ImproperlyConfigured, match=f"CLOSED_DAYS='{wrong}'"):
            env_month_days("CLOSED_DAYS", "")
