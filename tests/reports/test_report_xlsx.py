"""The Excel download: the CSV's rows, with real dates, a frozen bold header and sized columns."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from programme.models import Attendance, Enrolment
from tests.conftest import make_leader, session_reads


@pytest.fixture
def story(leader, colleague, cohort, modules, settings):
    """Søren attended the first module late and missed the second; Åse never enrolled."""
    settings.PORTAL_CLOCK = "2016-02-20T09:00"
    first, second, _ = cohort.sessions.order_by("starts_at")
    Enrolment.objects.create(leader=leader, cohort=cohort, status=Enrolment.Status.ENROLLED)
    Attendance.objects.create(leader=leader, session=first, status=Attendance.Status.LATE)
    Attendance.objects.create(leader=leader, session=second, status=Attendance.Status.ABSENT)
    return leader


def workbook(client, **params):
    response = client.get(reverse("reports:export_xlsx"), params)
    assert response.status_code == 200
    assert response.streaming
    body = b"".join(response.streaming_content)
    return response, load_workbook(io.BytesIO(body))


def test_the_workbook_holds_the_csvs_rows_with_real_dates(client, hr, story, department_a):
    client.force_login(hr)
    response, book = workbook(client, department=department_a.pk)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''gennemf%C3%B8relse-%C3%B8ks-2016-02-20.xlsx"
    )
    sheet = book.active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    csv_body = client.get(reverse("reports:export"), {"department": department_a.pk})
    csv_rows = list(
        csv.reader(
            io.StringIO(b"".join(csv_body.streaming_content).decode("utf-8-sig")), delimiter=";"
        )
    )
    assert rows[0] == csv_rows[0], "the same Danish column names"
    soeren = next(row for row in rows[1:] if row[1] == "Søren Ærbø")
    assert soeren[7] == dt.datetime(2016, 1, 12), "a completed module is a date cell"
    assert soeren[8:10] == ["Misset", "Kommende"]
    assert soeren[10:12] == [1, 2]
    assert len(rows) == len(csv_rows)


def test_the_header_is_frozen_bold_and_the_columns_sized(client, hr, story):
    client.force_login(hr)
    _, book = workbook(client)
    sheet = book.active
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.bold
    assert sheet.column_dimensions["B"].width >= 20


def test_a_formula_in_a_name_is_neutralised(client, hr, cohort, department_a):
    make_leader("x@albertslund.dk", "=HYPERLINK(1)", department_a, "7777")
    client.force_login(hr)
    _, book = workbook(client)
    names = [row[1].value for row in book.active.iter_rows(min_row=2)]
    assert "'=HYPERLINK(1)" in names


def test_a_leader_gets_no_workbook(client, leader):
    client.force_login(leader.user)
    assert client.get(reverse("reports:export_xlsx")).status_code == 403


def test_the_workbook_download_runs_a_fixed_number_of_queries(
    client, hr, demo, django_assert_num_queries, settings
):
    settings.PORTAL_CLOCK = "2016-03-01T09:00"
    client.force_login(hr)
    response = client.get(reverse("reports:export_xlsx"))
    # Session (unless in the shared cache), user (with roles), the programme, the
    # modules, the required count, the rows; the scope's departments are a subquery.
    # On PostgreSQL the export's longer statement timeout is set and reset (2).
    timeout = 2 if connection.vendor == "postgresql" else 0
    with django_assert_num_queries(5 + session_reads() + timeout):
        b"".join(client.get(reverse("reports:export_xlsx")).streaming_content)
    assert response.status_code == 200
