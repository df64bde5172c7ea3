"""The HR system's file on a schedule: ``manage.py import_leaders PATH`` imports it as HR's
upload does (the same checks, all or nothing), changes no leader when run again on the
same file, reports to HR through the outbox what it did or why it refused, and with
``--complete`` lists the leaders missing from the file without changing them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from hr.models import MissingLeader, ScheduledImport
from mail.models import Invitation
from programme.models import Leader, User
from programme.page_versions import PageWrite
from tests.conftest import queued, send_outbox
from tests.hr.test_admin_import import HEADER, csv_bytes

CHANGED_AND_NEW = (
    HEADER,
    "1001;Søren Ærbø;soeren.aerboe@albertslund.dk;Centerchef;Centerchef;ØKS",
    "3001;Æble Øregård;aeble@albertslund.dk;Teamleder, Børnehuset;Teamleder;"
    "Center for Børn og Familier",
)


@pytest.fixture(autouse=True)
def _report_to(settings):
    settings.IMPORT_REPORT_TO = ["hr@albertslund.dk", "hr-it@albertslund.dk"]


def hr_file(tmp_path, *lines: str, name: str = "ledere.csv"):
    path = tmp_path / name
    path.write_bytes(csv_bytes(*lines))
    return path


def leaders_as_stored() -> list[tuple]:
    """Every leader and their login as the database holds them."""
    return list(
        Leader.objects.order_by("pk").values_list(
            "pk", "employee_number", "name", "title", "level", "department_id", "left_on",
            "user__email", "user__first_name", "user__last_name",
        )
    )  # fmt: skip


def writes() -> dict[str, int]:
    """What a run may add besides its report: leaders, logins, history, kept pages'
    versions and invitations."""
    return {
        "leaders": Leader.objects.count(),
        "logins": User.objects.count(),
        "history": Leader.history.count(),
        "page versions": PageWrite.objects.count(),
        "invitations": Invitation.objects.count(),
    }


def reports() -> list:
    """The reports to HR in the outbox (the invitations are e-mails too)."""
    return [email for email in queued() if email.subject.startswith("Lederimport")]


def test_the_same_file_twice_changes_no_leader_the_second_time(
    tmp_path, leader, department_a, department_b, mailoutbox
):
    path = hr_file(tmp_path, *CHANGED_AND_NEW)

    call_command("import_leaders", str(path), "--invite")

    leader.refresh_from_db()
    assert (leader.level, leader.user.email) == (
        Leader.Level.HEAD_OF_CENTRE,
        "soeren.aerboe@albertslund.dk",
    )
    assert Leader.objects.get(employee_number="3001").name == "Æble Øregård"
    assert Invitation.objects.filter(leader__employee_number="3001").count() == 1
    first = reports()
    assert [email.to for email in first] == [["hr@albertslund.dk"], ["hr-it@albertslund.dk"]]
    assert first[0].subject == "Lederimport ledere.csv: 1 nye, 1 ændrede, 0 uændrede"
    stored, before = leaders_as_stored(), writes()

    call_command("import_leaders", str(path), "--invite")

    assert leaders_as_stored() == stored
    assert writes() == before  # no save, no history row, no page replaced, no invitation
    second = reports()[len(first) :]
    assert len(second) == 2
    assert second[0].subject == "Lederimport ledere.csv: 0 nye, 0 ændrede, 2 uændrede"
    assert "Intet blev ændret" in second[0].message
    runs = ScheduledImport.objects.order_by("ran_at", "pk")
    assert [(r.outcome, r.new_count, r.update_count, r.unchanged_count) for r in runs] == [
        ("done", 1, 1, 0),
        ("done", 0, 0, 2),
    ]

    send_outbox()  # the reports leave through the outbox like every e-mail
    # (The outbox sends in no set order: the second run's reports found by their subject.)
    sent = [m for m in mailoutbox if m.subject == second[0].subject]
    assert sorted(m.to[0] for m in sent) == ["hr-it@albertslund.dk", "hr@albertslund.dk"]
    assert all("Uændrede ledere: 2" in m.body for m in sent)


def test_a_file_with_one_bad_line_changes_nothing_and_tells_hr_the_line_and_why(
    tmp_path, leader, department_a, department_b
):
    path = hr_file(
        tmp_path,
        *CHANGED_AND_NEW,
        "3002;Bo Bøgh;ikke-en-adresse;Teamleder;Teamleder;ØKS",
    )
    stored, before = leaders_as_stored(), writes()

    with pytest.raises(CommandError, match="Linje 4, E-mail"):
        call_command("import_leaders", str(path))

    assert leaders_as_stored() == stored
    assert writes() == before
    (report, _copy) = reports()
    assert report.subject == "Lederimport ledere.csv afvist: intet blev importeret"
    assert "Linje 4, E-mail: “ikke-en-adresse” er ikke en gyldig e-mailadresse." in report.message
    assert "Linje 2" not in report.message and "Linje 3" not in report.message
    run = ScheduledImport.objects.get()
    assert (run.outcome, run.problem_count, run.new_count) == ("refused", 1, 0)


def test_a_file_that_is_not_there_is_refused_and_reported(tmp_path, leader):
    with pytest.raises(CommandError):
        call_command("import_leaders", str(tmp_path / "ledere.csv"))

    (report, _copy) = reports()
    assert "afvist" in report.subject
    assert "kan ikke åbnes" in report.message
    assert ScheduledImport.objects.get().outcome == "refused"


def test_a_complete_list_lists_the_missing_leader_for_hr_and_does_not_change_them(
    tmp_path, client, hr, leader, colleague, outsider
):
    outsider.left_on = dt.date(2016, 1, 31)  # HR knows already: not listed
    outsider.save()
    path = hr_file(
        tmp_path, HEADER, "1001;Søren Ærbø;soeren@albertslund.dk;Afdelingsleder;Afdelingsleder;ØKS"
    )
    stored, before = leaders_as_stored(), writes()

    call_command("import_leaders", str(path), "--complete")

    assert leaders_as_stored() == stored  # the missing colleague is neither removed nor left
    assert writes() == before
    (report, _copy) = reports()
    assert "1 leder i portalen er ikke med i den" in report.message
    assert "- 1002 Åse Østergaard (Center for Økonomi og Styring)" in report.message
    assert "Bodil" not in report.message
    assert list(MissingLeader.objects.values_list("leader", flat=True)) == [colleague.pk]

    client.force_login(hr)
    page = client.get(reverse("admin:programme_leader_changelist"), {"missing_from_import": "yes"})
    assert "Mangler i den seneste komplette import" in page.text
    assert [row.pk for row in page.context["cl"].result_list] == [colleague.pk]

    # A run that is not of the complete list leaves the list HR sees as it was.
    call_command("import_leaders", str(path))
    page = client.get(reverse("admin:programme_leader_changelist"), {"missing_from_import": "yes"})
    assert [row.pk for row in page.context["cl"].result_list] == [colleague.pk]


def test_the_scheduled_import_changes_no_administrators_login(tmp_path, leader):
    leader.user.is_staff = True
    leader.user.save()
    path = hr_file(
        tmp_path, HEADER, "1001;Søren Ærbø;ny@albertslund.dk;Afdelingsleder;Afdelingsleder;ØKS"
    )

    with pytest.raises(CommandError, match="administrator"):
        call_command("import_leaders", str(path))

    leader.user.refresh_from_db()
    assert leader.user.email == "soeren@albertslund.dk"
