"""``manage.py export_completion``: the web export's CSV, from the command line."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from programme.models import Attendance, Enrolment


@pytest.fixture
def story(leader, colleague, outsider, cohort, modules, settings):
    settings.PORTAL_CLOCK = "2016-02-20T09:00"
    Enrolment.objects.create(leader=leader, cohort=cohort, status=Enrolment.Status.ENROLLED)
    first = cohort.sessions.order_by("starts_at").first()
    Attendance.objects.create(leader=leader, session=first, status=Attendance.Status.PRESENT)


def run(*args) -> str:
    out = io.StringIO()
    call_command("export_completion", *args, stdout=out)
    return out.getvalue()


def test_it_writes_one_department_by_code_in_excel_dansk(story, tmp_path, leader, outsider):
    target = tmp_path / "report.csv"
    summary = run("--department", "ØKS", "--output", str(target))
    assert "Wrote 2 leaders" in summary
    body = target.read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0][0] == "Medarbejdernummer"
    assert {row[1] for row in rows[1:]} == {"Søren Ærbø", "Åse Østergaard"}
    assert "Deltog 2016-01-12" in rows[1] + rows[2]


def test_it_accepts_a_department_id_and_the_standard_dialect(story, tmp_path, department_b):
    target = tmp_path / "report.csv"
    run("--department", str(department_b.pk), "--dialect", "standard", "--output", str(target))
    rows = list(csv.reader(io.StringIO(target.read_text("utf-8"), newline="")))
    assert [row[1] for row in rows[1:]] == ["Bodil Bæk"]


def test_without_a_department_it_writes_every_department(story, tmp_path):
    target = tmp_path / "report.csv"
    assert "Wrote 3 leaders" in run("--output", str(target), "--language", "en")
    assert target.read_text("utf-8-sig").startswith("Employee number;")


def test_an_unknown_department_is_an_error(story, tmp_path):
    with pytest.raises(CommandError, match="No department"):
        run("--department", "XYZ", "--output", str(tmp_path / "x.csv"))
