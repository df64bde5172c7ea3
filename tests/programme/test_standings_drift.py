"""Stored standings cannot drift, and every page reads progress from that one source.

Repro: moving an attendance or a make-up to another leader left the first
leader's standing wrong, moving a session to another cohort left the old
cohort's standings wrong, one drill-down row mixed the Python rules with the
stored standing, and the admin's leader list counted modules of any programme.
"""

import csv
import datetime as dt
import io
from importlib import import_module

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

import booking
from programme.models import Attendance, Module, Programme, Standing
from programme.progress import progress_for_leaders
from reports import rules as reports
from tests.conftest import NOW, local, make_session


def stored(leader, programme):
    row = Standing.objects.get(leader=leader, programme=programme)
    return (
        row.modules_done,
        row.completed_at,
        row.behind_from,
        row.modules,
        (row.seated_in_id, row.booked_until, row.held_last, row.held_until),
    )


def derived(leader, programme):
    progress = progress_for_leaders([leader], programme)[leader.pk]
    return (
        progress.required_done,
        progress.completed_at,
        progress.behind_from,
        {
            str(m.module.pk): m.stored()
            for m in progress.modules
            if m.completed_at or m.expected_until
        },
        (progress.seated_in, progress.booked_until, progress.held_last, progress.held_until),
    )


def assert_in_step(programme, *leaders):
    for leader in leaders:
        assert stored(leader, programme) == derived(leader, programme), leader.name


@pytest.fixture
def both_seated(leader, colleague, cohort):
    for person in (leader, colleague):
        booking.enrol(leader=person, cohort=cohort, now=local(2016, 1, 5))
    return leader, colleague


def test_an_attendance_given_to_another_leader_refreshes_both(both_seated, cohort, programme):
    leader, colleague = both_seated
    record = Attendance.objects.create(
        leader=leader, session=cohort.sessions.get(module__order=1), status="present"
    )
    assert stored(leader, programme)[0] == 1
    record.leader = colleague
    record.save()
    assert stored(leader, programme)[0] == 0
    assert stored(colleague, programme)[0] == 1
    assert_in_step(programme, leader, colleague)


def test_a_make_up_given_to_another_leader_refreshes_both(
    both_seated, cohort, other_cohort, programme
):
    leader, colleague = both_seated
    target = other_cohort.sessions.get(module__order=1)
    makeup = booking.MakeUpBooking.objects.create(leader=leader, session=target, booked_at=NOW)
    makeup.leader = colleague
    makeup.save()
    assert_in_step(programme, leader, colleague)


def test_a_session_moved_to_another_cohort_refreshes_the_old_cohorts_leaders(
    both_seated, cohort, open_cohort, programme
):
    leader, _ = both_seated
    kickoff = cohort.sessions.get(module__order=1)
    before = stored(leader, programme)
    booking.save_session(session=_moved(kickoff, open_cohort), previous_cohort_id=cohort.pk)
    after = stored(leader, programme)
    assert after != before
    assert_in_step(programme, *both_seated)


def _moved(session, cohort):
    session.cohort = cohort
    return session


def test_the_drill_down_takes_every_cell_of_a_row_from_one_standing(
    client, hr, both_seated, cohort, programme, settings
):
    leader, _ = both_seated
    settings.PORTAL_CLOCK = NOW.isoformat()
    Attendance.objects.create(
        leader=leader, session=cohort.sessions.get(module__order=1), status="present"
    )
    # Someone changed the stored standing behind the rules' back: the page must show it
    # consistently (one source), not a mix of the stored totals and a recomputation.
    Standing.objects.filter(leader=leader).update(modules={}, modules_done=0)
    client.force_login(hr)
    page = client.get(reverse("reports:department", args=[leader.department_id]))
    (row,) = [(lead, cells) for lead, cells in page.context["rows"] if lead.pk == leader.pk]
    assert row[0].modules_done == sum(1 for m in row[1].required if m.completed) == 0


def test_the_admin_leader_list_counts_only_the_current_programmes_modules(
    client, hr, leader, cohort, programme, modules
):
    older = Programme.objects.create(
        name="Pilot 2014", starts_on=dt.date(2014, 1, 1), ends_on=dt.date(2014, 12, 31)
    )
    old_module = Module.objects.create(programme=older, order=1, title="Pilot", required=True)
    old_cohort = booking.Cohort.objects.create(
        programme=older, name="Pilot", capacity=5, enrolment_deadline=dt.date(2014, 1, 1)
    )
    session = make_session(old_cohort, old_module, local(2014, 3, 3))
    booking.Enrolment.objects.create(leader=leader, cohort=old_cohort, status="enrolled")
    Attendance.objects.create(leader=leader, session=session, status="present")
    client.force_login(hr)
    page = client.get(reverse("admin:programme_leader_changelist"))
    (row,) = page.context["cl"].result_list
    assert row.modules_done == 0


def test_report_drill_down_and_csv_agree_for_every_demo_leader(client, hr, demo, settings):
    settings.PORTAL_CLOCK = "2016-03-20T12:00"
    client.force_login(hr)
    filters = reports.Filters(programme=demo.programme, now=local(2016, 3, 20, 12))
    totals = {
        d.pk: (d.completed, d.behind)
        for d in reports.department_summary(reports.report_leaders(reports.full_scope(), filters))[
            0
        ]
    }
    csv_rows = {}
    body = client.get(reverse("reports:export"), {"dialect": "standard"}).getvalue()
    reader = csv.reader(io.StringIO(body.decode("utf-8")))
    header = next(reader)
    for line in reader:
        csv_rows[line[0]] = dict(zip(header, line, strict=True))
    for department_id, (completed, behind_count) in totals.items():
        page = client.get(reverse("reports:department", args=[department_id]))
        rows = page.context["rows"]
        assert sum(1 for lead, _ in rows if lead.is_behind) == behind_count
        assert sum(1 for lead, _ in rows if lead.completed_at) == completed
        for lead, cells in rows:
            line = csv_rows[lead.employee_number]
            assert int(line["Moduler gennemført"]) == lead.modules_done
            assert line["Bagud"] == ("Ja" if lead.is_behind else "Nej")
            for module in cells.modules:
                if module.completed:
                    day = timezone.localtime(module.completed_at).date().isoformat()
                    assert line[module.module.title] == f"Deltog {day}"
                else:
                    assert line[module.module.title] == str(module.state_label)


def test_the_migration_fills_what_each_demo_leader_holds_as_a_refresh_would(demo):
    """programme 0021 works out the moments from the stored per-module ones (the code of
    its day); on the demo, every standing gets what refresh_standings stores."""
    fields = ["seated_in_id", "booked_until", "held_last", "held_until"]
    refreshed = {s.pk: [getattr(s, f) for f in fields] for s in Standing.objects.all()}
    assert sum(1 for moments in refreshed.values() if all(moments)) > 10  # seated, holding
    Standing.objects.update(seated_in=None, booked_until=None, held_last=None, held_until=None)
    import_module("programme.migrations.0021_standing_holding").fill(apps, None)
    filled = {s.pk: [getattr(s, f) for f in fields] for s in Standing.objects.all()}
    assert filled == refreshed
