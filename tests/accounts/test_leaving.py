"""A leader who leaves the municipality gives up their seats, through booking.

Repro: after HR set a leaving date and anonymised a leader, their place stayed
enrolled, the seat was never freed, nobody was promoted, and "mark everyone
present" marked the departed leader present.
"""

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse

import booking
from accounts.privacy import anonymise_leader
from programme.attendance import sheet_rows
from programme.models import Attendance, Enrolment, MakeUpBooking
from tests.conftest import NOW, local, make_leader
from tests.forms import form_fields


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = NOW.isoformat()


@pytest.fixture
def full_open_cohort(open_cohort, leader, department_b):
    """Hold 3 (starts 1 March): the leader and two others seated, one waiting."""
    booking.enrol(leader=leader, cohort=open_cohort, now=NOW)
    for n in range(2):
        booking.enrol(
            leader=make_leader(f"s{n}@a.dk", f"Seat {n}", department_b, f"50{n}"),
            cohort=open_cohort,
            now=NOW,
        )
    waiting = booking.enrol(
        leader=make_leader("w@a.dk", "Wanda Venter", department_b, "599"),
        cohort=open_cohort,
        now=NOW,
    )
    assert waiting.status == Enrolment.Status.WAITLISTED
    return open_cohort


def status(leader, cohort):
    return Enrolment.objects.filter(leader=leader, cohort=cohort).latest("pk").status


def set_left_on(client, leader, day: dt.date):
    url = reverse("admin:programme_leader_change", args=[leader.pk])
    data = form_fields(client.get(url).text, "leader_form")
    data["left_on"] = day.isoformat()
    response = client.post(url, data)
    assert response.status_code == 302, response.text
    leader.refresh_from_db()


def test_a_leaving_date_that_has_passed_frees_the_seat_for_the_waitlist_at_once(
    client, hr, leader, full_open_cohort
):
    client.force_login(hr)
    set_left_on(client, leader, NOW.date() - dt.timedelta(days=1))
    place = Enrolment.objects.filter(leader=leader).latest("pk")
    assert (place.status, place.end_reason) == ("cancelled", Enrolment.EndReason.LEFT)
    wanda = Enrolment.objects.get(leader__name="Wanda Venter")
    assert wanda.status == Enrolment.Status.ENROLLED


def test_a_future_leaving_date_keeps_the_place_until_the_day_is_over(
    client, hr, leader, full_open_cohort, settings
):
    client.force_login(hr)
    set_left_on(client, leader, dt.date(2016, 3, 10))
    assert status(leader, full_open_cohort) == "enrolled"
    # The first session (1 March) is before the leaving day: still expected there.
    first = full_open_cohort.sessions.get(module__order=1)
    assert leader.pk in {row.leader.pk for row in sheet_rows(first)}

    later = local(2016, 3, 11, 1)
    result = booking.close_places(now=later)
    assert [x.pk for x in result.leavers] == [leader.pk]
    assert status(leader, full_open_cohort) == "cancelled"
    # Hold 3 has begun by then: its waitlist is closed, nobody is promoted into it.
    assert result.promoted == []
    second = full_open_cohort.sessions.get(module__order=2)
    assert leader.pk not in {row.leader.pk for row in sheet_rows(second)}


def test_make_up_seats_after_the_leaving_day_are_given_up_at_once(
    client, hr, leader, cohort, other_cohort
):
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    kickoff = cohort.sessions.get(module__order=1)
    Attendance.objects.create(leader=leader, session=kickoff, status=Attendance.Status.ABSENT)
    booking.book_makeup(leader=leader, session=other_cohort.sessions.get(module__order=1), now=NOW)
    client.force_login(hr)
    set_left_on(client, leader, dt.date(2016, 2, 1))  # the make-up is on 23 February
    assert not MakeUpBooking.objects.filter(leader=leader).exists()
    assert status(leader, cohort) == "enrolled", "the place goes after the leaving day"


def test_anonymising_frees_the_seat_at_once(leader, full_open_cohort):
    leader.left_on = dt.date(2016, 3, 31)
    leader.save()
    anonymise_leader(leader, now=NOW)
    assert status(leader, full_open_cohort) == "cancelled"
    assert Enrolment.objects.get(leader__name="Wanda Venter").status == "enrolled"


def test_mark_everyone_present_leaves_out_a_leader_who_has_left(
    client, hr, leader, colleague, cohort
):
    for person in (leader, colleague):
        booking.enrol(leader=person, cohort=cohort, now=local(2016, 1, 5))
    leader.left_on = dt.date(2016, 1, 31)
    leader.save()
    call_command("close_places", stdout=open("/dev/null", "w"))  # noqa: SIM115
    session = cohort.sessions.get(module__order=2)  # 9 February, after the leaving day
    client.force_login(hr)
    url = reverse("admin:programme_session_attendance", args=[session.pk])
    page = client.get(url + "?prefill=present")
    assert colleague.name in page.text
    assert leader.name not in page.text


def test_a_leader_who_has_left_cannot_book(leader, open_cohort):
    leader.left_on = dt.date(2016, 1, 10)
    leader.save()
    with pytest.raises(booking.BookingError, match="er fratrådt"):
        booking.enrol(leader=leader, cohort=open_cohort, now=NOW)


def test_the_close_places_command_says_what_it_did(leader, full_open_cohort, capsys):
    leader.left_on = dt.date(2016, 1, 10)
    leader.save()
    call_command("close_places")
    out = capsys.readouterr().out
    assert "1 leaver(s) gave up their seats; 1 leader(s) promoted" in out
    call_command("close_places")
    assert "0 leaver(s)" in capsys.readouterr().out
