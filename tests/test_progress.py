"""What counts as done: present or late completes a module, anywhere; the last one dates it."""

import io

import pytest

from programme.models import Attendance, Enrolment, Leader, MakeUpBooking
from programme.progress import ModuleState, annotate_progress, leader_progress

from .conftest import local


def attend(leader, session, status=Attendance.Status.PRESENT):
    return Attendance.objects.create(leader=leader, session=session, status=status)


@pytest.fixture
def enrolled(leader, cohort):
    Enrolment.objects.create(leader=leader, cohort=cohort, status=Enrolment.Status.ENROLLED)
    return leader


def sessions(cohort):
    return list(cohort.sessions.order_by("starts_at"))


def sql_progress(leader, programme, now):
    return annotate_progress(Leader.objects.filter(pk=leader.pk), programme, now=now).get()


@pytest.mark.parametrize(
    ("status", "completes"),
    [("present", True), ("late", True), ("excused", False), ("absent", False)],
)
def test_only_present_or_late_completes_a_module(enrolled, cohort, programme, status, completes):
    attend(enrolled, sessions(cohort)[0], status)
    progress = leader_progress(enrolled, programme, now=local(2016, 1, 18))
    assert progress.modules[0].completed is completes
    assert sql_progress(enrolled, programme, local(2016, 1, 18)).modules_done == int(completes)


def test_the_programme_is_completed_when_every_required_module_is(enrolled, cohort, programme):
    first, second, _optional = sessions(cohort)
    attend(enrolled, first, Attendance.Status.LATE)
    attend(enrolled, second)
    now = local(2016, 3, 1)
    progress = leader_progress(enrolled, programme, now=now)
    assert progress.completed
    assert progress.required_done == progress.required_total == 2
    assert progress.completed_at == second.starts_at
    row = sql_progress(enrolled, programme, now)
    assert (row.modules_done, row.modules_required, row.completed_at) == (2, 2, second.starts_at)


def test_an_optional_module_is_not_needed_for_completion(enrolled, cohort, programme):
    first, _second, optional = sessions(cohort)
    attend(enrolled, first)
    attend(enrolled, optional)
    progress = leader_progress(enrolled, programme, now=local(2016, 4, 1))
    assert not progress.completed
    assert progress.required_done == 1
    assert sql_progress(enrolled, programme, local(2016, 4, 1)).completed_at is None


def test_a_make_up_in_another_cohort_counts(enrolled, cohort, other_cohort, programme):
    first, second, _ = sessions(cohort)
    attend(enrolled, first, Attendance.Status.ABSENT)
    attend(enrolled, second)
    makeup = sessions(other_cohort)[0]
    MakeUpBooking.objects.create(leader=enrolled, session=makeup)
    attend(enrolled, makeup)
    now = local(2016, 3, 1)
    progress = leader_progress(enrolled, programme, now=now)
    assert progress.completed
    assert progress.completed_at == makeup.starts_at
    assert not progress.behind
    row = sql_progress(enrolled, programme, now)
    assert row.completed_at == makeup.starts_at
    assert not row.is_behind


def test_a_missed_past_session_makes_the_leader_behind_until_made_up(
    enrolled, cohort, other_cohort, programme
):
    first = sessions(cohort)[0]
    attend(enrolled, first, Attendance.Status.EXCUSED)
    now = local(2016, 1, 18)
    progress = leader_progress(enrolled, programme, now=now)
    assert progress.behind
    assert progress.modules[0].state == ModuleState.MISSED
    assert sql_progress(enrolled, programme, now).is_behind

    makeup = sessions(other_cohort)[0]
    MakeUpBooking.objects.create(leader=enrolled, session=makeup)
    progress = leader_progress(enrolled, programme, now=now)
    assert progress.modules[0].state == ModuleState.UPCOMING
    assert progress.behind, "a booked make-up is not yet a made-up module"

    attend(enrolled, makeup)
    attend(enrolled, sessions(cohort)[1])
    later = local(2016, 3, 1)
    assert not leader_progress(enrolled, programme, now=later).behind
    assert sql_progress(enrolled, programme, later).is_behind is False


def test_a_session_with_no_attendance_recorded_yet_counts_as_missed_once_over(enrolled, programme):
    now = local(2016, 1, 18)
    assert leader_progress(enrolled, programme, now=now).behind
    assert sql_progress(enrolled, programme, now).is_behind


def test_upcoming_sessions_are_not_missed(enrolled, programme):
    progress = leader_progress(enrolled, programme, now=local(2016, 1, 1))
    assert [m.state for m in progress.modules] == [ModuleState.UPCOMING] * 3
    assert not progress.behind
    assert not sql_progress(enrolled, programme, local(2016, 1, 1)).is_behind


def test_a_leader_without_a_cohort_has_nothing_booked_and_is_not_behind(leader, programme, modules):
    progress = leader_progress(leader, programme, now=local(2016, 1, 18))
    assert {m.state for m in progress.modules} == {ModuleState.NOT_BOOKED}
    assert progress.percent == 0
    assert not sql_progress(leader, programme, local(2016, 1, 18)).is_behind


def test_python_and_sql_agree_for_every_demo_leader(demo):
    from programme.progress import progress_for_leaders

    now = local(2016, 3, 20)
    leaders = list(annotate_progress(Leader.objects.all(), demo.programme, now=now))
    python = progress_for_leaders(leaders, demo.programme, now=now)
    for row in leaders:
        mine = python[row.pk]
        assert (row.modules_done, row.completed_at, row.is_behind) == (
            mine.required_done,
            mine.completed_at,
            mine.behind,
        ), row.name
    assert any(row.is_behind for row in leaders)
    assert any(row.modules_done for row in leaders)


# Standings: the stored progress that reports read, kept in step by every write.


def standing(leader, programme):
    from programme.models import Standing

    return Standing.objects.get(leader=leader, programme=programme)


def test_a_standing_follows_attendance_recorded_on_the_sheet(enrolled, cohort, programme, hr):
    from programme.attendance import save_sheet

    first = sessions(cohort)[0]
    save_sheet(session=first, statuses={enrolled.pk: "present"}, by=hr, now=local(2016, 1, 12))
    assert standing(enrolled, programme).modules_done == 1
    save_sheet(session=first, statuses={enrolled.pk: "absent"}, by=hr, now=local(2016, 1, 13))
    row = standing(enrolled, programme)
    assert row.modules_done == 0
    assert row.behind_from == first.ends_at


def test_a_cancelled_place_no_longer_makes_the_leader_behind(enrolled, cohort, programme):
    from programme import booking

    now = local(2016, 1, 18)
    assert sql_progress(enrolled, programme, now).is_behind
    booking.cancel(enrolment=enrolled.enrolments.get(), now=now, by_staff=True)
    assert not sql_progress(enrolled, programme, now).is_behind


def test_moving_a_session_later_moves_when_the_leader_is_behind(enrolled, cohort, programme):
    first = sessions(cohort)[0]
    now = local(2016, 1, 18)
    assert sql_progress(enrolled, programme, now).is_behind
    first.starts_at, first.ends_at = local(2016, 1, 25), local(2016, 1, 25, 15)
    first.save()
    assert not sql_progress(enrolled, programme, now).is_behind
    assert standing(enrolled, programme).behind_from == local(2016, 1, 25, 15)


def test_deleting_a_leader_takes_their_standing_along(enrolled, cohort, programme):
    from programme.models import Standing

    attend(enrolled, sessions(cohort)[0])
    user = enrolled.user
    enrolled.delete()
    user.delete()
    assert not Standing.objects.filter(programme=programme).exists()


def test_the_refresh_command_rebuilds_standings_from_the_rows(demo):
    from django.core.management import call_command

    from programme.models import Standing

    expected = list(Standing.objects.order_by("pk").values_list("leader", "modules_done"))
    Standing.objects.all().delete()
    out = io.StringIO()
    call_command("refresh_standings", stdout=out)
    assert f"Refreshed {len(expected)} standings." in out.getvalue()
    rebuilt = list(Standing.objects.order_by("leader").values_list("leader", "modules_done"))
    assert sorted(expected) == rebuilt
    assert len(rebuilt) == Leader.objects.count()


def test_making_a_module_optional_recounts_every_leader(enrolled, cohort, programme, modules):
    first, second, _ = sessions(cohort)
    attend(enrolled, first)
    assert standing(enrolled, programme).completed_at is None
    second.module.required = False
    second.module.save()
    row = standing(enrolled, programme)
    assert (row.modules_done, row.completed_at) == (1, first.starts_at)
