"""Approval where wanted (ENROLMENT_APPROVAL=manager): a leader's "Tilmeld mig" becomes a
request that holds no seat; a manager of their department (or area), or HR, approves it
(booked through booking: a seat, or the waitlist when full) or declines it with a reason;
an unanswered request is reminded once after APPROVAL_REMINDER_DAYS and shown to HR."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError
from django.urls import reverse

import booking
from approvals import rules as approval
from approvals.models import EnrolmentRequest
from programme.models import Department, Enrolment
from tests.conftest import NOW, make_leader, make_manager, queued

State = EnrolmentRequest.State


@pytest.fixture(autouse=True)
def _approval_on(settings):
    settings.ENROLMENT_APPROVAL = "manager"
    settings.APPROVAL_REMINDER_DAYS = 5
    settings.PORTAL_CLOCK = NOW.isoformat()


def ask(client, leader, cohort):
    client.force_login(leader.user)
    return client.post(reverse("dashboard:enrol", args=[cohort.pk]), follow=True)


def decide(client, item, action: str, reason: str = ""):
    data = {f"{item.pk}-action": action, f"{item.pk}-reason": reason}
    return client.post(reverse("managers:decide", args=[item.pk]), data, follow=True)


def remind() -> str:
    out = io.StringIO()
    call_command("remind_approvals", stdout=out)
    return out.getvalue().strip()


def shown(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_leaders_enrol_button_becomes_a_request_that_holds_no_seat(
    client, leader, manager_a, open_cohort
):
    response = ask(client, leader, open_cohort)
    assert shown(response) == [
        "Du har bedt om en plads på Hold 3. Din chef beslutter, og vi skriver til dig; "
        "du har ingen plads, før anmodningen er godkendt."
    ]
    item = EnrolmentRequest.objects.get(leader=leader)
    assert (item.cohort, item.state) == (open_cohort, State.REQUESTED)
    assert not Enrolment.objects.filter(leader=leader).exists()
    assert booking.seats_taken(open_cohort) == 0
    # The dashboard tells the leader where the request stands.
    assert "Anmodningen afventer godkendelse" in response.text
    assert "Din chef beslutter, og HR kan beslutte i stedet." in response.text
    [email] = queued()
    assert email.to == [manager_a.email]
    assert email.subject == "Søren Ærbø beder om en plads på Hold 3"
    assert "http://testserver" + reverse("managers:approvals") in email.message


def test_with_approval_off_the_button_books_at_once(client, settings, leader, open_cohort):
    settings.ENROLMENT_APPROVAL = "none"
    ask(client, leader, open_cohort)
    assert not EnrolmentRequest.objects.exists()
    assert Enrolment.objects.get(leader=leader).status == Enrolment.Status.ENROLLED


def test_a_leader_has_one_open_request_at_a_time(client, leader, manager_a, cohort, open_cohort):
    ask(client, leader, open_cohort)
    response = ask(client, leader, cohort)
    assert shown(response) == [
        "Du har allerede bedt om en plads på Hold 3. Træk den anmodning tilbage først, "
        "hvis du vil bede om et andet hold."
    ]
    assert EnrolmentRequest.objects.filter(leader=leader).count() == 1


def test_the_database_holds_one_open_request_per_leader(leader, cohort, open_cohort):
    EnrolmentRequest.objects.create(leader=leader, cohort=cohort, requested_at=NOW)
    with pytest.raises(IntegrityError):
        EnrolmentRequest.objects.create(leader=leader, cohort=open_cohort, requested_at=NOW)


def test_the_database_refuses_a_decline_without_a_reason(leader, cohort):
    with pytest.raises(IntegrityError):
        EnrolmentRequest.objects.create(
            leader=leader, cohort=cohort, requested_at=NOW, state=State.DECLINED, decided_at=NOW
        )


def test_the_manager_approves_and_the_leader_gets_the_seat_and_the_calendar(
    client, leader, manager_a, open_cohort
):
    ask(client, leader, open_cohort)
    item = EnrolmentRequest.objects.get()
    client.force_login(manager_a)
    page = client.get(reverse("managers:approvals"))
    assert "Søren Ærbø beder om en plads på Hold 3" in page.text
    response = decide(client, item, "approve")
    assert shown(response) == [
        "Søren Ærbø er tilmeldt Hold 3. En bekræftelse med kalenderen er på vej til "
        "lederens e-mail."
    ]
    item.refresh_from_db()
    assert (item.state, item.decided_by) == (State.APPROVED, manager_a)
    assert Enrolment.objects.get(leader=leader).status == Enrolment.Status.ENROLLED
    confirmation = queued()[-1]
    assert confirmation.to == [leader.user.email]
    assert confirmation.subject == "Du er tilmeldt Hold 3"
    assert [a.name for a in confirmation.attachments.all()] == ["digital-ledelse.ics"]


def test_approving_into_a_full_cohort_puts_the_leader_on_its_waitlist(
    client, leader, colleague, outsider, manager_a, open_cohort
):
    open_cohort.capacity = 1
    open_cohort.save()
    ask(client, leader, open_cohort)
    booking.enrol(leader=outsider, cohort=open_cohort, now=NOW)  # the last seat goes meanwhile
    item = EnrolmentRequest.objects.get()
    client.force_login(manager_a)
    response = decide(client, item, "approve")
    assert "Hold 3 er fuldt, så Søren Ærbø er nummer 1 på ventelisten." in shown(response)[0]
    assert Enrolment.objects.get(leader=leader).status == Enrolment.Status.WAITLISTED
    assert booking.seats_taken(open_cohort) == 1


def test_a_decline_needs_a_reason_and_the_leader_is_told_it(client, leader, manager_a, open_cohort):
    ask(client, leader, open_cohort)
    item = EnrolmentRequest.objects.get()
    client.force_login(manager_a)
    refused = decide(client, item, "decline", "  ")
    assert refused.status_code == 400
    assert "Skriv, hvorfor anmodningen afvises: Lederen får begrundelsen." in refused.text
    item.refresh_from_db()
    assert item.state == State.REQUESTED

    decide(client, item, "decline", "Budgettet er brugt i foråret.")
    item.refresh_from_db()
    assert (item.state, item.reason) == (State.DECLINED, "Budgettet er brugt i foråret.")
    assert not Enrolment.objects.filter(leader=leader).exists()
    told = queued()[-1]
    assert told.to == [leader.user.email]
    assert told.subject == "Din anmodning om en plads på Hold 3 er afvist"
    assert "Begrundelse: Budgettet er brugt i foråret." in told.message
    client.force_login(leader.user)
    dashboard = client.get(reverse("dashboard:dashboard"))
    assert "Din anmodning om en plads på Hold 3 blev afvist." in dashboard.text


def test_the_leader_withdraws_an_open_request(client, leader, manager_a, open_cohort):
    ask(client, leader, open_cohort)
    item = EnrolmentRequest.objects.get()
    response = client.post(reverse("dashboard:withdraw_request", args=[item.pk]), follow=True)
    assert shown(response) == ["Din anmodning om en plads på Hold 3 er trukket tilbage."]
    item.refresh_from_db()
    assert item.state == State.WITHDRAWN
    client.force_login(manager_a)
    assert decide(client, item, "approve").redirect_chain == []  # 404: nothing to decide
    assert not Enrolment.objects.exists()


def test_another_leader_cannot_withdraw_a_request(client, leader, colleague, open_cohort):
    ask(client, leader, open_cohort)
    item = EnrolmentRequest.objects.get()
    client.force_login(colleague.user)
    response = client.post(reverse("dashboard:withdraw_request", args=[item.pk]))
    assert response.status_code == 404
    item.refresh_from_db()
    assert item.state == State.REQUESTED


def test_a_manager_outside_the_leaders_departments_cannot_decide(
    client, leader, manager_a, manager_b, open_cohort
):
    ask(client, leader, open_cohort)
    item = EnrolmentRequest.objects.get()
    client.force_login(manager_b)
    assert "Søren Ærbø" not in client.get(reverse("managers:approvals")).text
    response = client.post(
        reverse("managers:decide", args=[item.pk]), {f"{item.pk}-action": "approve"}
    )
    assert response.status_code == 404
    assert not Enrolment.objects.exists()


def test_an_area_manager_decides_for_the_departments_under_it(client, leader, open_cohort):
    area = Department.objects.create(name="Administrationen", code="ADM")
    leader.department.parent = area
    leader.department.save()
    chief = make_manager("chef@albertslund.dk", area)
    assert approval.deciders(leader) == [chief]
    ask(client, leader, open_cohort)
    assert [e.to for e in queued()] == [[chief.email]]
    client.force_login(chief)
    decide(client, EnrolmentRequest.objects.get(), "approve")
    assert Enrolment.objects.get(leader=leader).status == Enrolment.Status.ENROLLED


def test_a_leader_without_a_manager_is_decided_by_hr(client, leader, hr, open_cohort):
    response = ask(client, leader, open_cohort)
    assert "Din afdeling har ingen chef i portalen, så HR beslutter." in response.text
    assert [e.to for e in queued()] == [["hr@albertslund.dk"]]  # HR_CONTACT_EMAIL
    client.force_login(hr)
    decide(client, EnrolmentRequest.objects.get(), "approve")
    assert Enrolment.objects.get(leader=leader).status == Enrolment.Status.ENROLLED


def test_a_manager_does_not_decide_their_own_request(client, open_cohort, department_a):
    boss = make_leader("boss@albertslund.dk", "Bo Chef", department_a, "1009")
    department_a.managers.add(boss.user)
    assert approval.deciders(boss) == []  # so HR decides, and gets the e-mail
    ask(client, boss, open_cohort)
    item = EnrolmentRequest.objects.get()
    response = client.post(
        reverse("managers:decide", args=[item.pk]), {f"{item.pk}-action": "approve"}
    )
    assert response.status_code == 404


def test_a_manager_approves_within_the_deadline_and_hr_after_it(
    client, leader, manager_a, hr, settings, open_cohort
):
    ask(client, leader, open_cohort)
    item = EnrolmentRequest.objects.get()
    settings.PORTAL_CLOCK = "2016-02-22T09:00:00+01:00"  # Hold 3's deadline was 20 February
    client.force_login(manager_a)
    response = decide(client, item, "approve")
    assert shown(response)[0].startswith("Tilmeldingsfristen for Hold 3 er overskredet.")
    item.refresh_from_db()
    assert item.state == State.REQUESTED
    client.force_login(hr)
    decide(client, item, "approve")
    assert Enrolment.objects.get(leader=leader).status == Enrolment.Status.ENROLLED


def test_an_unanswered_request_is_reminded_once_after_the_set_days_and_flagged_to_hr(
    client, settings, leader, manager_a, hr, open_cohort
):
    ask(client, leader, open_cohort)
    item = EnrolmentRequest.objects.get()
    client.force_login(hr)
    start = client.get(reverse("hr:start"))
    assert "Søren Ærbø (Center for Økonomi og Styring): Hold 3, anmodet den" in start.text
    assert 'class="text-danger unanswered"' not in start.text

    settings.PORTAL_CLOCK = (NOW + dt.timedelta(days=4, hours=23)).isoformat()
    assert remind() == "Reminded the managers of 0 unanswered requests."
    assert len(queued()) == 1  # only the request itself

    settings.PORTAL_CLOCK = (NOW + dt.timedelta(days=5, minutes=1)).isoformat()
    assert remind() == "Reminded the managers of 1 unanswered requests."
    assert remind() == "Reminded the managers of 0 unanswered requests."  # once only
    reminder = queued()[-1]
    assert len(queued()) == 2
    assert reminder.to == [manager_a.email]
    assert reminder.subject == "Påmindelse: Søren Ærbø venter på svar om Hold 3"
    assert "har ventet på svar i 5 dage" in reminder.message
    item.refresh_from_db()
    assert item.reminded_at is not None

    start = client.get(reverse("hr:start"))
    assert 'class="text-danger unanswered"' in start.text
    # HR may decide instead.
    decide(client, item, "decline", "Forløbet passer bedre til næste år.")
    item.refresh_from_db()
    assert (item.state, item.decided_by) == (State.DECLINED, hr)
    assert "Ingen anmodninger venter på svar." in client.get(reverse("hr:start")).text


def test_a_kept_dashboard_shows_the_request_and_its_answer_at_once(
    client, settings, leader, manager_a, open_cohort
):
    """The dashboard is kept rendered (programme/pagecache.py): a request and its answer
    are the leader's rows, so each replaces the kept page when it is written."""
    settings.PAGE_CACHE_SECONDS = 300
    client.force_login(leader.user)
    assert "Anmodningen afventer" not in client.get(reverse("dashboard:dashboard")).text
    ask(client, leader, open_cohort)
    assert "Anmodningen afventer godkendelse" in client.get(reverse("dashboard:dashboard")).text
    approval.decline(
        request=EnrolmentRequest.objects.get(), by=manager_a, reason="Ikke nu", now=NOW
    )
    assert "Begrundelse: Ikke nu" in client.get(reverse("dashboard:dashboard")).text


def test_a_leader_placed_meanwhile_is_not_approved_again_and_the_manager_is_told_why(
    client, leader, manager_a, cohort, open_cohort
):
    ask(client, leader, open_cohort)
    booking.enrol(leader=leader, cohort=cohort, by_staff=True, now=NOW)  # HR, meanwhile
    client.force_login(manager_a)
    response = decide(client, EnrolmentRequest.objects.get(), "approve")
    assert shown(response) == [
        "Søren Ærbø har allerede en plads på Hold 1. Afvis anmodningen, eller flyt "
        "lederen fra Mit team."
    ]
    assert EnrolmentRequest.objects.get().state == State.REQUESTED
    assert Enrolment.objects.get(leader=leader).cohort == cohort
