"""On PostgreSQL the completion CSV's lines are built by the database
(reports/export_sql.py): byte for byte what the Python rows and the CSV writer make,
whatever the text, the moment, the dialect, the order or the language."""

import datetime as dt

import pytest
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import demo as demo_data
from programme.models import Cohort, Department, Leader, Programme
from reports import csv_export, export_sql
from reports.rules import SORTS, Filters, full_scope, report_leaders, sorted_leaders

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# Text that makes a CSV writer quote, a spreadsheet run a formula, or an encoder work
# (and characters XML cannot hold, for the day the workbook is written the same way).
HOSTILE = st.text(
    alphabet=st.sampled_from(
        [*";,\"\r\n\t=+-@' aZ0æøåÆØÅé€😀<>&", "\u2028", "\x01", "\x0b", "\x1f", "\ufffe"]
    ),
    min_size=0,
    max_size=12,
)
# Moments across the demo's programme: before it, in the middle, after the end date.
MOMENTS = st.sampled_from(
    [
        dt.datetime(2015, 10, 1, 9),
        dt.datetime(2016, 1, 12, 9, 30),
        dt.datetime(2016, 3, 20, 12),
        dt.datetime(2016, 5, 31, 23, 30),
        dt.datetime(2016, 9, 1, 8),
    ]
)


def python_bytes(head, leaders, modules, now, dialect) -> bytes:
    return b"".join(csv_export.encode(head, csv_export.rows(leaders, modules, now), dialect))


def sql_bytes(head, leaders, modules, now, dialect) -> bytes:
    programme = modules[0].programme
    return b"".join(export_sql.stream(head, leaders, programme, modules, now, dialect))


@pytest.fixture
def demo(db):
    demo_data.seed(leaders=60, as_of=dt.datetime(2016, 3, 20, 12))
    return Programme.objects.get()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    names=st.lists(HOSTILE, min_size=3, max_size=3),
    department=HOSTILE.filter(bool),
    cohort=HOSTILE.filter(bool),
    moment=MOMENTS,
    dialect=st.sampled_from([value for value, _label in csv_export.Dialect.CHOICES]),
    sort=st.sampled_from(sorted(SORTS)),
    language=st.sampled_from(["da", "en"]),
)
def test_the_database_writes_the_same_bytes_as_the_csv_writer(
    demo, names, department, cohort, moment, dialect, sort, language
):
    leaders = list(Leader.objects.order_by("pk")[:3])
    for leader, name in zip(leaders, names, strict=True):
        Leader.objects.filter(pk=leader.pk).update(name=name)
    Department.objects.filter(pk=leaders[0].department_id).update(name=department)
    Cohort.objects.filter(pk=Cohort.objects.order_by("pk")[0].pk).update(name=cohort)
    now = timezone.make_aware(moment)
    modules = list(demo.modules.order_by("order"))
    selected = sorted_leaders(report_leaders(full_scope(), Filters(programme=demo, now=now)), sort)
    with translation.override(language):
        head = csv_export.header(modules)
        expected = python_bytes(head, selected, modules, now, dialect)
        built = sql_bytes(head, selected, modules, now, dialect)
    assert built == expected
    assert expected.count(b"\r\n") > 60, "every leader is in the file"


def test_every_module_state_and_a_completion_day_are_in_the_compared_file(demo):
    """The comparison above means something only if the file shows every kind of cell."""
    from programme.models import Enrolment

    seated = Enrolment.objects.filter(status=Enrolment.Status.ENROLLED).order_by("-pk")[0]
    Enrolment.objects.filter(pk=seated.pk).update(status=Enrolment.Status.WAITLISTED)
    now = timezone.make_aware(dt.datetime(2016, 3, 20, 12))
    modules = list(demo.modules.order_by("order"))
    filters = Filters(programme=demo, now=now)
    selected = sorted_leaders(report_leaders(full_scope(), filters), "name")
    with translation.override("en"):
        head = csv_export.header(modules)
        text = sql_bytes(head, selected, modules, now, "standard").decode()
        assert text == python_bytes(head, selected, modules, now, "standard").decode()
    for cell in ("Attended 2016-", "Upcoming", "Missed", "Not booked", ",Yes\r\n", ",No\r\n"):
        assert cell in text
    # Every kind of place: the places are joined to the leaders (a leader without one too).
    for place in (",Enrolled,", ",Waitlisted,", ",Not enrolled,"):
        assert place in text
    assert any(line.split(",")[-2].startswith("2016-") for line in text.splitlines()[1:])


def test_the_connection_plans_as_before_once_the_export_is_declared(demo):
    """The CSV's statement is planned without nested loops (a hash join of the places and
    the leaders, whatever the statistics say); the connection's next queries are not."""
    from django.db import connection

    now = timezone.make_aware(dt.datetime(2016, 3, 20, 12))
    modules = list(demo.modules.order_by("order"))
    selected = report_leaders(full_scope(), Filters(programme=demo, now=now))
    lines = export_sql.csv_lines(selected, demo, modules, now, ";")
    first = next(lines)
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_nestloop")
        assert cursor.fetchone() == ("on",)
    assert len([first, *lines]) == Leader.objects.count()
