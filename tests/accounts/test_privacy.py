"""Personal data: a leader's own download, HR's anonymisation and the leavers command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from axes.models import AccessAttempt, AccessLog
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.urls import reverse

from accounts.privacy import AnonymisationError, anonymise_leader, leaders_due_for_anonymisation
from booking import enrol
from programme.models import Attendance, Leader
from reports import rules as reports
from tests.conftest import NOW, PASSWORD


@pytest.fixture
def attended(leader, cohort, hr):
    """The leader enrolled in Hold 1 and was present at its first session."""
    enrol(leader=leader, cohort=cohort, now=NOW)
    Attendance.objects.create(
        leader=leader,
        session=cohort.sessions.order_by("starts_at").first(),
        status=Attendance.Status.PRESENT,
        recorded_by=hr,
    )
    return leader


def download(client, leader, name):
    client.force_login(leader.user)
    return client.get(reverse(name))


def test_the_json_download_holds_the_leaders_enrolments_and_attendance(client, attended):
    response = download(client, attended, "privacy:my_data_json")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["leader"]["name"] == "Søren Ærbø"
    assert data["leader"]["email"] == "soeren@albertslund.dk"
    assert [e["cohort"] for e in data["enrolments"]] == ["Hold 1"]
    assert [a["module"] for a in data["attendance"]] == ["Kick-off"]


def test_the_csv_download_holds_the_same_data_one_value_a_row(client, attended):
    response = download(client, attended, "privacy:my_data_csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    # The reader's language: Danish keys (the JSON keeps its keys, for programs).
    assert ["leder", "1", "medarbejdernummer", "1001"] in rows
    assert ["tilmeldinger", "1", "hold", "Hold 1"] in rows
    assert ["fremmøde", "1", "modul", "Kick-off"] in rows


def test_the_csv_download_in_english_keeps_english_keys(client, attended):
    client.cookies["django_language"] = "en"
    response = download(client, attended, "privacy:my_data_csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert ["leader", "1", "employee number", "1001"] in rows


def test_the_csv_download_neutralises_formulas(client, leader):
    leader.title = '=HYPERLINK("http://evil")'
    leader.save()
    response = download(client, leader, "privacy:my_data_csv")
    assert "'=HYPERLINK" in response.content.decode("utf-8-sig")


def test_the_download_holds_only_the_signed_in_leaders_data(client, attended, colleague):
    response = download(client, colleague, "privacy:my_data_json")
    data = json.loads(response.content)
    assert data["leader"]["name"] == "Åse Østergaard"
    assert data["enrolments"] == []
    assert "Søren" not in response.content.decode()


def test_a_user_without_a_leader_profile_has_nothing_to_download(client, manager_a):
    client.force_login(manager_a)
    assert client.get(reverse("privacy:my_data_json")).status_code == 403


def test_the_my_data_page_links_both_downloads(client, leader):
    response = download(client, leader, "privacy:my_data")
    assert response.status_code == 200
    assert reverse("privacy:my_data_json") in response.content.decode()
    assert reverse("privacy:my_data_csv") in response.content.decode()


def test_the_download_runs_a_fixed_number_of_queries(client, demo, django_assert_max_num_queries):
    leader = Leader.objects.get(user__email="leder@albertslund.dk")
    client.force_login(leader.user)
    # 16, and the self-assessments with their answers, the initiatives with their history;
    # the absences reported in advance, the requests for a place and the session
    # evaluations (one each).
    with django_assert_max_num_queries(22):
        assert client.get(reverse("privacy:my_data_json")).status_code == 200


# Anonymisation


def text_fields_containing(text: str) -> list[str]:
    """Every model and text column in the database that still contains ``text``."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            is_text = isinstance(field, models.CharField | models.TextField)
            lookup = {f"{field.name}__icontains": text}
            if is_text and model._default_manager.filter(**lookup).exists():
                found.append(f"{model._meta.label}.{field.name}")
    return found


def test_an_anonymised_leader_is_gone_from_every_table_and_the_history(attended):
    attended.title = "Centerchef"
    attended.save()  # a second history row with the name in it
    AccessLog.objects.create(username="soeren@albertslund.dk", ip_address="10.0.0.1")
    attended.left_on = dt.date(2015, 12, 31)
    attended.save()
    assert "programme.HistoricalLeader.name" in text_fields_containing("Ærbø")

    anonymise_leader(attended, now=NOW)

    for text in ("Søren Ærbø", "Ærbø", "soeren@albertslund.dk", "1001"):
        assert text_fields_containing(text) == [], text


def test_an_anonymised_leader_can_no_longer_sign_in(client, attended):
    attended.left_on = dt.date(2015, 12, 31)
    attended.save()
    anonymise_leader(attended, now=NOW)
    attended.user.refresh_from_db()
    assert not attended.user.is_active
    assert not attended.user.has_usable_password()
    response = client.post(
        reverse("login"), {"username": "soeren@albertslund.dk", "password": PASSWORD}
    )
    assert response.status_code == 200  # the form again, not a redirect into the portal
    assert "_auth_user_id" not in client.session


def test_anonymisation_keeps_attendance_and_the_others_report_numbers(demo):
    """A leader who has left is out of the report; anonymising them changes nobody else's."""
    programme = demo.programme
    filters = reports.Filters(programme=programme, now=NOW)
    leaver = Leader.objects.filter(attendances__isnull=False).order_by("pk").first()
    attendance_before = list(leaver.attendances.values_list("session_id", "status"))
    leaver.left_on = dt.date(2016, 1, 1)
    leaver.save()
    in_report = reports.report_leaders(reports.full_scope(), filters)
    assert not in_report.filter(pk=leaver.pk).exists()
    before = reports.department_summary(in_report)

    anonymise_leader(leaver, now=NOW)

    after = reports.department_summary(reports.report_leaders(reports.full_scope(), filters))
    assert after == before
    assert list(leaver.attendances.values_list("session_id", "status")) == attendance_before
    assert not leaver.enrolments.filter(status__in=["enrolled", "waitlisted"]).exists()


def test_a_leader_who_has_not_left_cannot_be_anonymised(leader):
    with pytest.raises(AnonymisationError, match="fratrådt"):
        anonymise_leader(leader, now=NOW)
    leader.refresh_from_db()
    assert leader.name == "Søren Ærbø"


def test_hr_anonymises_a_leaver_from_the_confirmation_page(client, hr, leader):
    leader.left_on = dt.date(2015, 12, 31)
    leader.save()
    client.force_login(hr)
    url = reverse("privacy:anonymise", args=[leader.pk])
    assert "Søren Ærbø" in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 302
    leader.refresh_from_db()
    assert leader.name == f"Anonymiseret leder {leader.pk}"
    assert leader.anonymised_at is not None


def test_a_manager_cannot_anonymise(client, manager_a, leader):
    leader.left_on = dt.date(2015, 12, 31)
    leader.save()
    client.force_login(manager_a)
    response = client.post(reverse("privacy:anonymise", args=[leader.pk]))
    assert response.status_code == 403
    leader.refresh_from_db()
    assert leader.anonymised_at is None


# The leavers command


def test_the_command_anonymises_only_those_who_left_long_enough_ago(
    settings, leader, colleague, outsider
):
    settings.PORTAL_CLOCK = NOW.isoformat()
    leader.left_on = NOW.date() - dt.timedelta(days=400)
    leader.save()
    colleague.left_on = NOW.date() - dt.timedelta(days=10)
    colleague.save()
    out = io.StringIO()

    call_command("anonymise_leavers", "--older-than-days", "365", stdout=out)

    assert Leader.objects.filter(anonymised_at__isnull=False).get() == leader
    assert "Anonymised 1 leader" in out.getvalue()


def test_the_command_defaults_to_the_configured_retention(settings, leader, colleague):
    settings.ANONYMISE_AFTER_DAYS = 30
    settings.PORTAL_CLOCK = NOW.isoformat()
    today = NOW.date()
    leader.left_on = today - dt.timedelta(days=31)
    leader.save()
    colleague.left_on = today - dt.timedelta(days=29)
    colleague.save()

    call_command("anonymise_leavers", stdout=io.StringIO())

    assert list(Leader.objects.filter(anonymised_at__isnull=False)) == [leader]


def test_a_dry_run_changes_nothing(leader):
    leader.left_on = NOW.date() - dt.timedelta(days=400)
    leader.save()
    call_command("anonymise_leavers", "--older-than-days", "1", "--dry-run", stdout=io.StringIO())
    assert leaders_due_for_anonymisation(older_than_days=1, today=NOW.date()).get() == leader


def test_an_anonymised_leaders_failed_sign_ins_are_removed(leader):
    AccessAttempt.objects.create(
        username="soeren@albertslund.dk", ip_address="10.0.0.1", failures_since_start=2
    )
    leader.left_on = dt.date(2015, 12, 31)
    leader.save()
    anonymise_leader(leader, now=NOW)
    assert not AccessAttempt.objects.exists()


def test_the_download_holds_the_invitations_and_e_mails_sent_to_the_leader(client, leader):
    from accounts import invitations
    from mail import outbox

    invitations.invite(leader)
    outbox.queue(to="x.soeren@albertslund.dk", subject="Til en anden", body="Hej")
    client.force_login(leader.user)
    data = client.get(reverse("privacy:my_data_json")).json()
    assert len(data["invitations"]) == 1
    assert [e["subject"] for e in data["emails"]] == [
        "Velkommen til Digital ledelse: vælg din adgangskode"
    ]


def test_anonymising_deletes_the_leaders_e_mails_and_no_one_elses(leader):
    from post_office.models import Email

    from mail import outbox

    outbox.queue(to=leader.user.email, subject="Til Søren", body="Hej")
    outbox.queue(to="x.soeren@albertslund.dk", subject="Til en anden", body="Hej")
    leader.left_on = dt.date(2015, 12, 31)
    leader.save()
    anonymise_leader(leader, now=NOW)
    assert list(Email.objects.values_list("subject", flat=True)) == ["Til en anden"]


def test_requests_for_a_place_are_in_the_download_and_gone_after_anonymisation(
    client, leader, cohort, manager_a
):
    from approvals import rules as approval

    item = approval.request_place(leader=leader, cohort=cohort, now=NOW)
    approval.decline(request=item, by=manager_a, reason="Travl periode i afdelingen", now=NOW)
    data = json.loads(download(client, leader, "privacy:my_data_json").content)
    assert [(r["cohort"], r["state"], r["reason"]) for r in data["enrolment_requests"]] == [
        ("Hold 1", "declined", "Travl periode i afdelingen")
    ]
    rows = list(
        csv.reader(
            io.StringIO(
                download(client, leader, "privacy:my_data_csv").content.decode("utf-8-sig")
            ),
            delimiter=";",
        )
    )
    assert ["anmodninger om plads", "1", "begrundelse", "Travl periode i afdelingen"] in rows
    leader.left_on = dt.date(2015, 12, 31)
    leader.save()
    anonymise_leader(leader, now=NOW)
    assert not leader.enrolment_requests.exists()
