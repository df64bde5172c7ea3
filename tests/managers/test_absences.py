"""Absence reported in advance (afbud): the leader reports it from the dashboard, their
manager or HR answers; approved, the leader is excused on the attendance sheet and the
facilitator's screen and is offered the make-up sessions with free seats."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

import booking
from programme import absences
from programme.models import AbsenceNotice, Attendance, MakeUpBooking
from tests.conftest import NOW, local, queued


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = NOW.isoformat()


@pytest.fixture
def seated(leader, cohort, other_cohort):
    """Søren has a seat in Hold 1, whose "IT" meets on 9 February; Hold 2's "IT" (15 March)
    has free seats."""
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    return cohort.sessions.get(module__order=2)


def report_url(session) -> str:
    return reverse("dashboard:report_absence", args=[session.pk])


def said(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def report(client, leader, session, reason="illness", note=""):
    client.force_login(leader.user)
    return client.post(report_url(session), {"reason": reason, "note": note}, follow=True)


def decide(client, user, notice, action):
    client.force_login(user)
    return client.post(
        reverse("managers:decide_absence", args=[notice.pk]), {"action": action}, follow=True
    )


def test_a_leader_reports_an_absence_from_the_dashboard(client, leader, seated):
    client.force_login(leader.user)
    dashboard = client.get(reverse("dashboard:dashboard")).text
    assert report_url(seated) in dashboard, "each coming session has its 'Meld afbud'"
    page = client.get(report_url(seated))
    assert page.status_code == 200
    assert "Sygdom" in page.text and "Meld afbud" in page.text

    response = report(client, leader, seated, note="Lægebesøg")
    assert response.redirect_chain == [(reverse("dashboard:dashboard"), 302)]
    assert said(response) == [
        "Dit afbud til IT den 9. februar 2016 er meldt. Din chef eller HR svarer på det; "
        "du ser svaret her."
    ]
    notice = AbsenceNotice.objects.get()
    assert (notice.leader, notice.session, notice.reason, notice.note, notice.state) == (
        leader,
        seated,
        "illness",
        "Lægebesøg",
        AbsenceNotice.State.REPORTED,
    )
    assert "Afbud meldt: Venter på svar" in response.text
    assert not Attendance.objects.exists(), "nothing is recorded before an answer"


def test_approved_it_shows_as_afbud_on_the_sheet_and_offers_the_make_up_sessions(
    client, leader, seated, other_cohort, manager_a, hr
):
    report(client, leader, seated)
    notice = AbsenceNotice.objects.get()
    page = decide(client, manager_a, notice, "approve")
    assert said(page) == [
        "Afbuddet fra Søren Ærbø til IT er godkendt og registreret på fremmødelisten."
    ]

    record = Attendance.objects.get(leader=leader, session=seated)
    assert (record.status, record.source, record.recorded_by) == (
        Attendance.Status.EXCUSED,
        Attendance.Source.NOTICE,
        manager_a,
    )
    # HR's attendance sheet and the facilitator's screen.
    client.force_login(hr)
    sheet = client.get(reverse("admin:programme_session_attendance", args=[seated.pk])).text
    assert "Afbud meldt på forhånd" in sheet
    checked = re.findall(
        rf'<input[^>]*name="leader_{leader.pk}"[^>]*value="(\w+)"[^>]*checked', sheet
    )
    assert checked == ["excused"]
    screen = client.get(reverse("checkin:screen", args=[seated.pk])).text
    assert "Afbud <span" in screen and "Afbud meldt på forhånd" in screen

    # The leader: the answer, and Hold 2's "IT" with its free seats to book.
    makeup = other_cohort.sessions.get(module__order=2)
    client.force_login(leader.user)
    dashboard = client.get(reverse("dashboard:dashboard")).text
    assert "Afbud meldt: Godkendt" in dashboard
    assert reverse("dashboard:book_makeup", args=[makeup.pk]) in dashboard
    booked = client.post(reverse("dashboard:book_makeup", args=[makeup.pk]), follow=True)
    assert said(booked) == ["Du har fået en plads til IT på Hold 2."]
    assert MakeUpBooking.objects.filter(leader=leader, session=makeup).exists()


def test_without_an_approved_absence_no_make_up_is_offered_before_the_session(
    client, leader, seated, other_cohort, manager_a
):
    report(client, leader, seated)
    decide(client, manager_a, AbsenceNotice.objects.get(), "decline")
    assert not Attendance.objects.exists()
    makeup = other_cohort.sessions.get(module__order=2)
    client.force_login(leader.user)
    dashboard = client.get(reverse("dashboard:dashboard")).text
    assert "Afbud meldt: Afvist" in dashboard
    assert reverse("dashboard:book_makeup", args=[makeup.pk]) not in dashboard
    assert report_url(seated) in dashboard, "a declined absence may be reported again"


@pytest.mark.parametrize(
    ("action", "subject", "words"),
    [
        ("approve", "Dit afbud til IT er godkendt", "book en mødegang til indhentning"),
        ("decline", "Dit afbud til IT er ikke godkendt", "så du forventes at deltage"),
    ],
)
def test_the_leader_is_e_mailed_the_answer(
    client, leader, seated, manager_a, action, subject, words
):
    report(client, leader, seated)
    before = len(queued())
    decide(client, manager_a, AbsenceNotice.objects.get(), action)
    sent = queued()[before:]
    assert [(e.to, e.subject) for e in sent] == [([leader.user.email], subject)]
    assert words in sent[0].message
    assert "tirsdag 9. februar 2016" in sent[0].message


def test_an_answer_refused_e_mails_nobody(client, leader, seated, manager_a):
    report(client, leader, seated)
    notice = AbsenceNotice.objects.get()
    decide(client, manager_a, notice, "approve")
    before = len(queued())
    page = decide(client, manager_a, notice, "decline")
    assert said(page) == ["Der er allerede svaret på dette afbud."]
    assert len(queued()) == before


def test_hr_answers_for_any_leader_and_another_manager_is_told_it_does_not_exist(
    client, leader, seated, manager_b, hr
):
    report(client, leader, seated)
    notice = AbsenceNotice.objects.get()
    client.force_login(manager_b)
    assert "Søren Ærbø" not in client.get(reverse("managers:absences")).text
    response = client.post(
        reverse("managers:decide_absence", args=[notice.pk]), {"action": "approve"}
    )
    assert response.status_code == 404
    client.force_login(leader.user)
    response = client.post(
        reverse("managers:decide_absence", args=[notice.pk]), {"action": "approve"}
    )
    assert response.status_code == 403
    client.force_login(hr)
    assert "Søren Ærbø" in client.get(reverse("managers:absences")).text
    decide(client, hr, notice, "approve")
    notice.refresh_from_db()
    assert (notice.state, notice.decided_by) == (AbsenceNotice.State.APPROVED, hr)


def test_the_manager_sees_the_waiting_absence_with_its_reason(client, leader, seated, manager_a):
    report(client, leader, seated, reason="work", note="Budgetmøde")
    client.force_login(manager_a)
    page = client.get(reverse("managers:absences")).text
    assert "Søren Ærbø" in page and "Akut arbejde" in page and "Budgetmøde" in page
    assert reverse("managers:absences") in client.get(reverse("managers:team")).text


def test_an_answer_is_given_once(client, leader, seated, manager_a):
    report(client, leader, seated)
    notice = AbsenceNotice.objects.get()
    decide(client, manager_a, notice, "approve")
    again = decide(client, manager_a, notice, "decline")
    assert said(again) == ["Der er allerede svaret på dette afbud."]
    notice.refresh_from_db()
    assert notice.state == AbsenceNotice.State.APPROVED


def test_an_absence_is_reported_once_and_only_before_the_session(client, leader, seated, cohort):
    report(client, leader, seated)
    again = report(client, leader, seated)
    assert said(again) == ["Du har allerede meldt dette afbud."]
    started = cohort.sessions.get(module__order=1)  # 12 January: over
    refused = report(client, leader, started)
    assert said(refused) == [
        "Mødegangen er allerede begyndt: Giv HR besked, som registrerer fremmødet bagefter."
    ]
    assert AbsenceNotice.objects.count() == 1


def test_a_leader_cannot_report_for_a_session_they_are_not_expected_at(client, colleague, seated):
    client.force_login(colleague.user)
    assert client.get(report_url(seated)).status_code == 404
    assert client.post(report_url(seated), {"reason": "illness"}).status_code == 404


def test_someone_recorded_present_cannot_be_excused(leader, seated, manager_a):
    notice = absences.report(leader=leader, session=seated, reason="other", now=NOW)
    Attendance.objects.create(leader=leader, session=seated, status=Attendance.Status.PRESENT)
    with pytest.raises(absences.AbsenceError):
        absences.decide(notice=notice, approve=True, by=manager_a, now=NOW)
    assert Attendance.objects.get().status == Attendance.Status.PRESENT
