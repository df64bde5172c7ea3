"""What counts as done: present or late completes a module, anywhere; the last one dates it."""

import datetime as dt
import io

import pytest

from programme.models import Attendance, Enrolment, Leader, MakeUpBooking
from programme.progress import ModuleState, annotate_progress, leader_progress, refresh_standings
from tests.conftest import local


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
    import booking

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
    # Behind once its registration is due: three working days after it ends, unrecorded.
    assert standing(enrolled, programme).behind_from == local(2016, 1, 28, 15)


def test_a_leader_with_records_cannot_be_deleted_but_one_without_takes_their_standing(
    enrolled, colleague, cohort, programme
):
    from django.db.models import ProtectedError

    from programme.models import Standing

    attend(enrolled, sessions(cohort)[0])
    with pytest.raises(ProtectedError):
        enrolled.delete()
    refresh_standings(programme, [colleague.pk])
    user = colleague.user
    colleague.delete()
    user.delete()
    assert list(Standing.objects.values_list("leader", flat=True)) == [enrolled.pk]


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


def test_stored_standings_match_the_rules_after_a_day_of_changes(demo):
    """Whatever path a change takes, what reports read equals what the rules derive."""
    from django.db.models import Exists, OuterRef

    import booking
    from programme.attendance import save_sheet
    from programme.models import Attendance, Cohort, Enrolment, Session, Standing, User

    hr = User.objects.get(email="hr@albertslund.dk")
    now = local(2016, 1, 20)
    hold4, hold5, hold6 = (Cohort.objects.get(name=f"Hold {n}") for n in (4, 5, 6))
    # Seats: leaders' buttons and HR's actions.
    newcomer = Leader.objects.get(user__email="leder@albertslund.dk")
    booking.enrol(leader=newcomer, cohort=hold5, now=now)
    seated = Enrolment.objects.filter(cohort=hold4, status="enrolled").order_by("pk")
    booking.cancel(enrolment=seated[0], now=now)  # promotes the first on hold 4's waitlist
    booking.move(enrolment=seated[1], to_cohort=hold6, now=now)
    # A make-up for someone who missed a session of hold 1.
    made_up = Attendance.objects.filter(
        leader=OuterRef("leader"), session__module=OuterRef("session__module"), status="present"
    )
    missed = (
        Attendance.objects.filter(session__cohort__name="Hold 1", status__in=["absent", "excused"])
        .exclude(Exists(made_up))
        .first()
    )
    later = Session.objects.filter(
        module=missed.session.module, starts_at__gt=now, cohort=hold5
    ).first()
    booking.book_makeup(leader=missed.leader, session=later, now=now)
    # Attendance: the sheet (bulk), and one record changed one by one as in the admin.
    session = Session.objects.filter(cohort__name="Hold 3", ends_at__lte=now).last()
    expected = Enrolment.objects.filter(cohort=session.cohort, status="enrolled")
    save_sheet(session=session, statuses={e.leader_id: "absent" for e in expected}, by=hr)
    record = Attendance.objects.filter(session__cohort__name="Hold 2", status="present").first()
    record.status = Attendance.Status.EXCUSED
    record.save()
    # HR moves a session in time.
    moved = Session.objects.filter(cohort__name="Hold 2", starts_at__gt=now).first()
    moved.starts_at += dt.timedelta(days=7)
    moved.ends_at += dt.timedelta(days=7)
    moved.save()

    stored = {
        s.leader_id: (s.modules_done, s.completed_at, s.behind_from)
        for s in Standing.objects.filter(programme=demo.programme)
    }
    from programme.progress import progress_for_leaders

    derived = progress_for_leaders(Leader.objects.all(), demo.programme, now=now)
    assert stored == {
        pk: (p.required_done, p.completed_at, p.behind_from) for pk, p in derived.items()
    }


def test_a_national_refresh_writes_the_same_standings_as_a_small_one(demo, monkeypatch):
    """Many standings at once go through COPY on PostgreSQL; the result is the same."""
    from programme import progress
    from programme.models import Standing

    fields = ("leader", "modules_done", "completed_at", "behind_from", "modules")
    before = sorted(Standing.objects.values_list(*fields))
    Standing.objects.all().delete()
    monkeypatch.setattr(progress, "COPY_FROM", 1)
    assert refresh_standings(demo.programme) == Leader.objects.count()
    assert sorted(Standing.objects.values_list(*fields)) == before


def test_a_refresh_in_many_chunks_writes_the_same_standings_as_one_chunk(demo):
    """Chunks share one reading of the programme's sessions; the result is the same."""
    from programme.models import Standing

    fields = ("leader", "modules_done", "completed_at", "behind_from", "modules")
    before = sorted(Standing.objects.values_list(*fields))
    Standing.objects.all().delete()
    assert refresh_standings(demo.programme, chunk_size=7) == Leader.objects.count()
    assert sorted(Standing.objects.values_list(*fields)) == before


def test_a_refresh_in_chunks_gives_the_cyclic_collector_back_as_it_found_it(demo, monkeypatch):
    """Many leaders pause the cyclic garbage collector for the run (their results are
    many objects without cycles); afterwards it runs again, even when the refresh
    failed, and one paused by someone else stays paused."""
    import gc

    from programme import progress

    assert refresh_standings(demo.programme, chunk_size=7) == Leader.objects.count()
    assert gc.isenabled()

    def fail(*args, **kwargs):
        assert not gc.isenabled()  # paused while the chunks run
        raise RuntimeError("the database went away")

    monkeypatch.setattr(progress, "_refresh_chunks", fail)
    with pytest.raises(RuntimeError):
        refresh_standings(demo.programme, chunk_size=7)
    assert gc.isenabled()
    gc.disable()
    try:
        with pytest.raises(RuntimeError):
            refresh_standings(demo.programme, chunk_size=7)
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.postgres
def test_a_national_refresh_leaves_alike_standings_and_their_pages_alone(demo, monkeypatch):
    """Through COPY (PostgreSQL), a standing the rules agree with is not written again:
    its refreshed_at (the read API's updated_at) stays, and so do its leader's kept
    pages. One that drifted is put right, and its leader's pages replaced."""
    from programme import page_versions, progress
    from programme.models import Standing

    monkeypatch.setattr(progress, "COPY_FROM", 1)
    drifted, alike = Standing.objects.filter(modules_done__gt=0).order_by("pk")[:2]
    right = drifted.modules_done
    Standing.objects.filter(pk=drifted.pk).update(modules_done=right + 1)
    keys = [page_versions.leader_version(s.leader_id) for s in (drifted, alike)]
    before = page_versions.versions(keys)
    refreshed = dict(Standing.objects.values_list("leader", "refreshed_at"))

    assert refresh_standings(demo.programme) == Leader.objects.count()

    drifted.refresh_from_db()
    assert drifted.modules_done == right
    now_refreshed = dict(Standing.objects.values_list("leader", "refreshed_at"))
    moved = {pk for pk, at in now_refreshed.items() if at != refreshed[pk]}
    assert moved == {drifted.leader_id}
    after = page_versions.versions(keys)
    assert after[keys[0]] != before[keys[0]]
    assert after[keys[1]] == before[keys[1]]
    # Again, with nothing to put right: not even the shared pages are replaced.
    shared = page_versions.versions([page_versions.ANY])
    refresh_standings(demo.programme)
    assert page_versions.versions([page_versions.ANY]) == shared


@pytest.mark.postgres
def test_a_national_refresh_sends_only_the_standings_that_differ(demo, monkeypatch):
    """Many at once (PostgreSQL), the stored standings are read before any is written:
    with nothing to put right, nothing is sent; a standing that drifted in any column
    (a count, a moment, the seat, a module's moments) is sent, and put right."""
    from programme import progress
    from programme.models import Standing

    monkeypatch.setattr(progress, "COPY_FROM", 1)
    write = progress._write_standings
    sent = []
    monkeypatch.setattr(
        progress,
        "_write_standings",
        lambda programme, rows: sent.extend(row[0] for row in rows) or write(programme, rows),
    )
    fields = ("leader", "modules_done", "completed_at", "behind_from", "modules", "seated_in")
    fields += ("booked_until", "held_last", "held_until")
    right = sorted(Standing.objects.values_list(*fields))

    refresh_standings(demo.programme)
    assert sent == []

    standings = Standing.objects.filter(programme=demo.programme).order_by("pk")
    done = standings.filter(modules_done__gt=0)[0]
    seated = standings.filter(seated_in__isnull=False).exclude(pk=done.pk)[0]
    held = standings.filter(booked_until__isnull=False).exclude(pk__in=[done.pk, seated.pk])[0]
    moved = standings.exclude(modules={}).exclude(pk__in=[done.pk, seated.pk, held.pk])[0]
    Standing.objects.filter(pk=done.pk).update(modules_done=done.modules_done - 1)
    Standing.objects.filter(pk=seated.pk).update(seated_in=None)
    later = held.booked_until + dt.timedelta(microseconds=1)
    Standing.objects.filter(pk=held.pk).update(booked_until=later)
    key, moments = next(iter(moved.modules.items()))
    shifted = {**moved.modules, key: [None if m is None else m + 1 for m in moments]}
    if shifted == moved.modules:  # a module with no moments at all is not stored
        shifted = {**moved.modules, key: [1, None, None]}
    Standing.objects.filter(pk=moved.pk).update(modules=shifted)
    drifted = {s.leader_id for s in (done, seated, held, moved)}

    assert refresh_standings(demo.programme) == Leader.objects.count()
    assert sorted(sent) == sorted(drifted)
    assert sorted(Standing.objects.values_list(*fields)) == right


@pytest.mark.postgres
def test_a_stored_standing_reads_back_as_the_signature_of_its_values(demo):
    """What the refresh compares before it writes: the text PostgreSQL gives for a stored
    standing equals the one made from the same values, whatever the modules' keys and
    moments (jsonb orders keys shortest first)."""
    from programme import progress
    from programme.models import Standing

    standing = Standing.objects.filter(programme=demo.programme).order_by("pk")[0]
    at = dt.datetime(2016, 3, 1, 9, 30, 0, 250, tzinfo=dt.UTC)
    modules = {"10": [1456824600, None, None], "9": [None, 1456824600, 1457000000]}
    modules["100"] = [None, None, None]
    Standing.objects.filter(pk=standing.pk).update(
        modules_done=3, completed_at=at, behind_from=None, modules=modules, booked_until=at
    )
    standing.refresh_from_db()
    values = (
        standing.modules_done,
        standing.completed_at,
        standing.behind_from,
        standing.modules,
        standing.seated_in_id,
        standing.booked_until,
        standing.held_last,
        standing.held_until,
    )
    ids = [standing.leader_id]
    assert progress._signatures(demo.programme, ids)[ids[0]] == progress._signature(values)


def test_leaders_with_alike_rows_share_a_result_that_is_each_ones_own(demo):
    """refresh_standings derives once per kind of rows (same seat, make-ups and
    attendance); what it stores for each leader is what the rules give them alone."""
    from programme.progress import progress_for_leaders
    from programme.progress.rules import standings_for_leaders

    ids = sorted(Leader.objects.values_list("pk", flat=True))
    shared = dict(standings_for_leaders(ids, demo.programme))
    alone = progress_for_leaders(ids, demo.programme)

    def stored(p):
        modules = [m.stored() for m in p.modules]
        held = (p.seated_in, p.booked_until, p.held_last, p.held_until)
        return (p.required_done, p.completed_at, p.behind_from, modules, held)

    assert {pk: stored(p) for pk, p in shared.items()} == {pk: stored(p) for pk, p in alone.items()}
    # The demo's leaders do share: fewer results than leaders.
    assert len({id(p) for p in shared.values()}) < len(ids)


def test_a_refresh_in_chunks_counts_only_the_programmes_own_attendance(
    enrolled, cohort, programme, department_a
):
    """Read in chunks, a leader's rows are found by leader and kept if their session is
    the programme's: attendance at another programme's session is not counted."""
    from programme.models import Programme, Standing
    from tests.conftest import make_cohort, make_leader, make_modules

    make_leader("kollega@albertslund.dk", "Kollega", department_a, "7001")
    other = Programme.objects.create(
        name="Ledelse af forandring", starts_on=dt.date(2016, 8, 1), ends_on=dt.date(2017, 6, 30)
    )
    days = ((2016, 9, 1), (2016, 10, 1), (2016, 11, 1))
    elsewhere = make_cohort(other, make_modules(other), "Hold X", dt.date(2016, 8, 1), *days)
    attend(enrolled, sessions(cohort)[0])
    attend(enrolled, sessions(elsewhere)[1])
    Standing.objects.all().delete()

    # More leaders than a chunk: the programme's sessions are read once for all chunks.
    assert refresh_standings(programme, chunk_size=1) == 2

    row = Standing.objects.get(leader=enrolled, programme=programme)
    assert row.modules_done == 1
    assert set(row.modules) == {str(s.module_id) for s in sessions(cohort)}
