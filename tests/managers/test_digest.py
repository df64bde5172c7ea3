"""The managers' weekly digest: one e-mail a week per manager with news about their
leaders (recorded absent, became behind, no place shortly before the last cohort starts),
none without news, none twice in a week, none to a manager who turned it off."""

from __future__ import annotations

import io
from email.header import decode_header, make_header

import pytest
from django.core.management import call_command
from django.urls import reverse
from post_office.models import Email

import booking
from mail import outbox
from mail.models import MailPreference, ManagerDigest
from managers.digest import digest_week, send_digests
from programme.models import Attendance, Department, Standing
from tests.conftest import local, make_leader, make_manager, queued
from tests.mail.test_outbox import smtp  # noqa: F401 - the SMTP server fixture

# Monday 15 February 2016: the digest about 8-14 February. Hold 1's "IT" met on
# Tuesday 9 February; Hold 2 (the last cohort) starts on 23 February.
MONDAY = local(2016, 2, 15, 7, 0)


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = MONDAY.isoformat()


def absent(leader, session, when):
    Attendance.objects.create(
        leader=leader, session=session, status=Attendance.Status.ABSENT, recorded_at=when
    )


@pytest.fixture
def week(cohort, other_cohort, department_a, leader, colleague, outsider):
    """Three leaders of department A absent from Hold 1's "IT" on 9 February; Søren and
    Åse became behind that week, Karl was behind already (absent from the kick-off in
    January). Bodil (department B) has a place in Hold 2 and no news."""
    karl = make_leader("karl@albertslund.dk", "Karl Kjær", department_a, "1003")
    for person in (leader, colleague, karl):
        booking.enrol(leader=person, cohort=cohort, now=local(2016, 1, 5))
    booking.enrol(leader=outsider, cohort=other_cohort, now=local(2016, 1, 5))
    kick_off, it = cohort.sessions.order_by("starts_at")[:2]
    absent(karl, kick_off, local(2016, 1, 12, 16))
    for person in (leader, colleague):
        Attendance.objects.create(leader=person, session=kick_off, status=Attendance.Status.PRESENT)
    for person in (leader, colleague, karl):
        absent(person, it, local(2016, 2, 9, 16))
    Email.objects.all().delete()  # the enrolment confirmations: not what these tests count
    return leader, colleague, karl


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def body(message) -> str:
    return message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")


def test_a_week_of_three_absences_and_two_falling_behind_is_one_e_mail_naming_all_five(
    smtp,  # noqa: F811 - the fixture
    week,
    manager_a,
    manager_b,
):
    server, inbox = smtp
    leader, colleague, karl = week
    summary = send_digests(now=MONDAY)
    assert (summary.sent, summary.managers) == (1, [manager_a.email])

    server.start()
    assert outbox.send_queued().sent == 1
    assert [m["To"] for m in inbox.messages] == [manager_a.email]
    message = inbox.messages[0]
    assert subject(message) == "Ugens nyt om dine ledere: uge 6, 2016"
    text = body(message)
    assert "skete der 5 ting med dine ledere" in text
    lines = [line for line in text.splitlines() if line.startswith("- ")]
    department = "Center for Økonomi og Styring"
    assert lines == [
        f"- Fravær: Karl Kjær ({department}) fra IT med Hold 1 den 9. februar 2016",
        f"- Fravær: Søren Ærbø ({department}) fra IT med Hold 1 den 9. februar 2016",
        f"- Fravær: Åse Østergaard ({department}) fra IT med Hold 1 den 9. februar 2016",
        f"- Bagud: Søren Ærbø ({department}) har misset et obligatorisk modul og ikke taget "
        "det igen",
        f"- Bagud: Åse Østergaard ({department}) har misset et obligatorisk modul og ikke "
        "taget det igen",
    ]
    assert reverse("managers:team") in text


def test_behind_is_read_from_the_stored_standings_not_worked_out_again(week, programme):
    leader, colleague, karl = week
    start, end = digest_week(MONDAY)
    became = Standing.objects.filter(
        programme=programme, behind_from__gte=start, behind_from__lt=end
    ).values_list("leader", flat=True)
    assert set(became) == {leader.pk, colleague.pk}
    assert Standing.objects.get(leader=karl).behind_from < start


def test_running_twice_in_the_same_week_sends_nothing_new(week, manager_a):
    assert send_digests(now=MONDAY).sent == 1
    again = send_digests(now=local(2016, 2, 19, 12))
    assert (again.sent, again.skipped) == (0, 1)
    assert len(queued()) == 1
    assert ManagerDigest.objects.get().week.isoformat() == "2016-02-08"


def test_next_week_without_news_sends_nothing(week, manager_a):
    send_digests(now=MONDAY)
    Email.objects.all().delete()
    assert send_digests(now=local(2016, 2, 22, 7)).sent == 0
    assert queued() == []


def test_a_manager_who_turned_it_off_gets_nothing(week, manager_a):
    MailPreference.objects.create(user=manager_a, manager_digest=False)
    summary = send_digests(now=MONDAY)
    assert (summary.sent, summary.opted_out) == (0, 1)
    assert queued() == []


def test_an_area_manager_hears_about_the_departments_under_the_area(week, department_a):
    area = Department.objects.create(name="Økonomiforvaltningen", code="ØKF")
    department_a.parent = area
    department_a.save()
    director = make_manager("direktoer@albertslund.dk", area)
    summary = send_digests(now=MONDAY)
    assert summary.managers == [director.email]
    assert queued()[0].to == [director.email]


def test_an_excused_absence_is_no_news(
    cohort, other_cohort, leader, outsider, manager_a, manager_b
):
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    booking.enrol(leader=outsider, cohort=other_cohort, now=local(2016, 1, 5))
    Email.objects.all().delete()
    kick_off = cohort.sessions.order_by("starts_at").first()
    Attendance.objects.create(leader=leader, session=kick_off, status=Attendance.Status.PRESENT)
    it = cohort.sessions.order_by("starts_at")[1]
    Attendance.objects.create(
        leader=leader,
        session=it,
        status=Attendance.Status.EXCUSED,
        recorded_at=local(2016, 2, 9, 16),
    )
    # Excused still leaves the module to make up: behind, but not absent.
    summary = send_digests(now=MONDAY)
    assert summary.sent == 1
    assert "Fravær" not in queued()[0].message
    assert "Bagud: Søren Ærbø" in queued()[0].message


def test_leaders_without_a_place_are_news_from_60_days_before_the_last_cohort_starts(
    cohort, other_cohort, leader, outsider, manager_a, manager_b
):
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    Email.objects.all().delete()
    # Hold 2 starts 23 February: 60 days before is 25 December.
    assert send_digests(now=local(2015, 12, 21, 7)).sent == 0
    summary = send_digests(now=local(2015, 12, 28, 7))
    assert summary.managers == [manager_b.email]
    assert "Ingen plads: Bodil Bæk" in queued()[0].message
    assert "23. februar 2016" in queued()[0].message


def test_the_command_says_what_it_did(week, manager_a):
    out = io.StringIO()
    call_command("send_manager_digests", stdout=out)
    assert out.getvalue().strip() == (
        "Queued 1 weekly digests in the outbox; 0 already sent this week, 0 turned off, 0 failed."
    )


def test_the_digest_answers_for_the_departments_the_reports_scope_gives(
    department_a, department_b, manager_a, manager_b
):
    from reports.rules import departments_by_manager, scope_for

    area = Department.objects.create(name="Økonomiforvaltningen", code="ØKF")
    department_a.parent = area
    department_a.save()
    director = make_manager("direktoer@albertslund.dk", area)
    answers_for = departments_by_manager()
    for user in (manager_a, manager_b, director):
        assert answers_for[user.pk] == set(scope_for(user).departments.values_list("pk", flat=True))
    assert answers_for[director.pk] == {area.pk, department_a.pk}


def test_an_absence_waiting_for_an_answer_is_named_until_it_is_answered(
    cohort, other_cohort, leader, outsider, manager_a, manager_b
):
    from programme import absences

    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    booking.enrol(leader=outsider, cohort=other_cohort, now=local(2016, 1, 5))
    kick_off = cohort.sessions.order_by("starts_at").first()
    Attendance.objects.create(leader=leader, session=kick_off, status=Attendance.Status.PRESENT)
    Email.objects.all().delete()
    it = cohort.sessions.get(module__order=2)  # 9 February
    notice = absences.report(leader=leader, session=it, reason="work", now=local(2016, 1, 20))
    summary = send_digests(now=local(2016, 1, 25, 7))
    assert summary.managers == [manager_a.email]
    assert (
        "- Afbud at svare på: Søren Ærbø (Center for Økonomi og Styring) kan ikke komme til "
        "IT den 9. februar 2016" in queued()[0].message
    )
    absences.decide(notice=notice, approve=False, by=manager_a, now=local(2016, 1, 26))
    assert send_digests(now=local(2016, 2, 1, 7)).sent == 0
