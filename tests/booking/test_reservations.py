"""Seats reserved for a manager are part of the one seat rule: taken for everyone else,
turned into a leader's place by naming, and given to the waitlist when released early,
cancelled by HR, or when the release day begins (also before the hourly job has run)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

import booking
from programme.models import Enrolment, MakeUpBooking, Reservation
from tests.conftest import NOW, local, make_leader, queued, send_outbox

# Hold 3 (open_cohort) meets first on 1 March 2016: with the default 14 days, its
# reservations are released when 16 February begins.
BEFORE_RELEASE = local(2016, 2, 15, 23, 59)
RELEASE_DAY = local(2016, 2, 16, 0, 1)


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = NOW.isoformat()
    settings.RESERVATION_RELEASE_DAYS = 14


def others(department, count: int, prefix: str = "x"):
    return [
        make_leader(f"{prefix}{n}@a.dk", f"Anden {prefix}{n}", department, f"7{prefix}{n}")
        for n in range(count)
    ]


def status(leader) -> str | None:
    place = Enrolment.objects.filter(leader=leader, status__in=Enrolment.ACTIVE).first()
    return place.status if place else None


def test_a_reserved_seat_is_taken_for_everyone_else(open_cohort, manager_a, department_b):
    booking.reserve(manager=manager_a, cohort=open_cohort, seats=2, now=NOW)
    assert booking.seats_free(open_cohort, NOW) == 1
    first, second = others(department_b, 2)
    assert booking.enrol(leader=first, cohort=open_cohort, now=NOW).status == "enrolled"
    assert booking.enrol(leader=second, cohort=open_cohort, now=NOW).status == "waitlisted"


def test_naming_turns_a_reserved_seat_into_the_leaders_place_with_the_calendar(
    open_cohort, manager_a, leader, department_b, mailoutbox
):
    reservation = booking.reserve(manager=manager_a, cohort=open_cohort, seats=1, now=NOW)
    for other in others(department_b, 2):  # the free side is full now
        booking.enrol(leader=other, cohort=open_cohort, now=NOW)
    assert booking.seats_free(open_cohort, NOW) == 0
    place = booking.name_leader(reservation=reservation, leader=leader, now=NOW)
    assert place.status == Enrolment.Status.ENROLLED and place.cohort == open_cohort
    reservation.refresh_from_db()
    assert (reservation.named, reservation.unnamed) == (1, 0)
    assert place.named_seat.reservation == reservation
    assert booking.seats_taken(open_cohort, NOW) == 3  # the seat stayed counted
    assert queued()[-1].to == [leader.user.email]
    assert queued()[-1].subject == "Du er tilmeldt Hold 3"
    send_outbox()
    ((filename, content, _mimetype),) = mailoutbox[-1].attachments
    assert filename.endswith(".ics") and content.count("BEGIN:VEVENT") == 3


def test_every_seat_named_refuses_another_and_the_database_refuses_more_named_than_seats(
    open_cohort, manager_a, leader, colleague
):
    reservation = booking.reserve(manager=manager_a, cohort=open_cohort, seats=1, now=NOW)
    booking.name_leader(reservation=reservation, leader=leader, now=NOW)
    with pytest.raises(booking.BookingError, match="Alle pladser i reservationen er navngivet"):
        booking.name_leader(reservation=reservation, leader=colleague, now=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reservation.objects.filter(pk=reservation.pk).update(named=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reservation.objects.create(cohort=open_cohort, manager=manager_a, seats=0)


def test_a_leader_with_a_place_is_refused_a_reserved_seat(
    open_cohort, other_cohort, manager_a, leader
):
    reservation = booking.reserve(manager=manager_a, cohort=open_cohort, seats=1, now=NOW)
    booking.enrol(leader=leader, cohort=other_cohort, now=NOW)
    with pytest.raises(booking.BookingError, match="har allerede en plads på Hold 2"):
        booking.name_leader(reservation=reservation, leader=leader, now=NOW)
    assert Reservation.objects.get(pk=reservation.pk).named == 0


def test_only_free_seats_can_be_reserved(open_cohort, manager_a, department_b):
    for other in others(department_b, 2):
        booking.enrol(leader=other, cohort=open_cohort, now=NOW)
    with pytest.raises(booking.BookingError, match="har kun 1 ledig plads"):
        booking.reserve(manager=manager_a, cohort=open_cohort, seats=2, now=NOW)
    booking.reserve(manager=manager_a, cohort=open_cohort, seats=1, now=NOW)
    with pytest.raises(booking.BookingError, match="har kun 0 ledige pladser"):
        booking.reserve(manager=manager_a, cohort=open_cohort, seats=1, now=NOW)


def test_releasing_early_gives_the_unnamed_seats_to_the_waitlist_at_once(
    open_cohort, manager_a, leader, department_b
):
    reservation = booking.reserve(manager=manager_a, cohort=open_cohort, seats=3, now=NOW)
    booking.name_leader(reservation=reservation, leader=leader, now=NOW)
    waiting = others(department_b, 3)
    for other in waiting:
        assert booking.enrol(leader=other, cohort=open_cohort, now=NOW).status == "waitlisted"
    promoted = booking.release_reservation(reservation=reservation, now=NOW)
    assert [p.leader for p in promoted] == waiting[:2]
    assert [status(other) for other in waiting] == ["enrolled", "enrolled", "waitlisted"]
    assert status(leader) == "enrolled"  # a named leader keeps the place
    reservation.refresh_from_db()
    assert reservation.release_reason == Reservation.Release.BY_MANAGER
    with pytest.raises(booking.BookingError, match="allerede frigivet"):
        booking.release_reservation(reservation=reservation, now=NOW)
    with pytest.raises(booking.BookingError, match="allerede frigivet"):
        booking.name_leader(reservation=reservation, leader=waiting[2], now=NOW)


def test_hr_cancelling_a_reservation_says_so(open_cohort, manager_a):
    reservation = booking.reserve(manager=manager_a, cohort=open_cohort, seats=2, now=NOW)
    booking.release_reservation(reservation=reservation, by_staff=True, now=NOW)
    reservation.refresh_from_db()
    assert reservation.release_reason == Reservation.Release.BY_HR
    assert booking.seats_free(open_cohort, NOW) == 3


def test_on_the_release_day_unnamed_seats_are_free_to_reads_and_the_hourly_job_promotes(
    open_cohort, manager_a, department_b
):
    reservation = booking.reserve(manager=manager_a, cohort=open_cohort, seats=2, now=NOW)
    waiting = others(department_b, 3)
    for other in waiting:
        booking.enrol(leader=other, cohort=open_cohort, now=NOW)
    assert booking.seats_free(open_cohort, BEFORE_RELEASE) == 0
    assert booking.seats_free(open_cohort, RELEASE_DAY) == 2  # before any job has run
    with pytest.raises(booking.BookingError, match="(?i)frigivelsesdag"):
        booking.name_leader(reservation=reservation, leader=waiting[2], now=RELEASE_DAY)
    result = booking.close_places(now=RELEASE_DAY)
    assert result.reservations_released == [reservation]
    assert [p.leader for p in result.promoted] == waiting[1:]
    reservation.refresh_from_db()
    assert reservation.release_reason == Reservation.Release.RELEASE_DAY
    again = booking.close_places(now=RELEASE_DAY)
    assert (again.reservations_released, again.promoted) == ([], [])


def test_an_enrolment_on_the_release_day_comes_after_the_waitlist(
    open_cohort, manager_a, department_b
):
    booking.reserve(manager=manager_a, cohort=open_cohort, seats=3, now=NOW)
    (waiting,) = others(department_b, 1)
    booking.enrol(leader=waiting, cohort=open_cohort, now=NOW)
    (late,) = others(department_b, 1, prefix="y")
    booking.enrol(leader=late, cohort=open_cohort, now=RELEASE_DAY)
    assert (status(waiting), status(late)) == ("enrolled", "enrolled")
    assert Enrolment.objects.get(leader=waiting, status="enrolled").pk < (
        Enrolment.objects.get(leader=late, status="enrolled").pk
    )


def test_the_release_day_follows_the_setting_and_no_reservation_is_made_after_it(
    open_cohort, manager_a, settings
):
    settings.RESERVATION_RELEASE_DAYS = 30  # 31 January for Hold 3
    with pytest.raises(booking.BookingError, match="(?i)frigivelsesdag"):
        booking.reserve(manager=manager_a, cohort=open_cohort, seats=1, now=local(2016, 1, 31))
    booking.reserve(manager=manager_a, cohort=open_cohort, seats=1, now=local(2016, 1, 30))
    assert booking.seats_free(open_cohort, local(2016, 1, 30, 23, 59)) == 2
    assert booking.seats_free(open_cohort, local(2016, 1, 31, 0, 1)) == 3


def test_capacity_cannot_be_lowered_below_enrolled_and_reserved(open_cohort, manager_a, leader):
    booking.reserve(manager=manager_a, cohort=open_cohort, seats=2, now=NOW)
    booking.enrol(leader=leader, cohort=open_cohort, now=NOW)
    with pytest.raises(booking.BookingError, match="3 pladser optaget"):
        booking.set_capacity(cohort=open_cohort, capacity=2, now=NOW)
    booking.set_capacity(cohort=open_cohort, capacity=5, now=NOW)
    assert booking.seats_free(open_cohort, NOW) == 2


def test_a_make_up_guest_cannot_take_a_reserved_seat(
    cohort, open_cohort, modules, manager_a, leader, department_b, settings
):
    """The leader missed Hold 1's kick-off (12 January): Hold 3's kick-off is full of
    reservations, so no make-up seat there."""
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    from programme.models import Attendance

    kickoff = cohort.sessions.get(module=modules[0])
    Attendance.objects.create(leader=leader, session=kickoff, status="absent")
    booking.reserve(manager=manager_a, cohort=open_cohort, seats=3, now=NOW)
    session = open_cohort.sessions.get(module=modules[0])
    assert booking.free_makeup_seats(session, NOW) == 0
    with pytest.raises(booking.BookingError, match="ingen ledig plads"):
        booking.book_makeup(leader=leader, session=session, now=NOW)
    assert not MakeUpBooking.objects.exists()


def test_the_hourly_command_reports_the_released_reservations(open_cohort, manager_a, settings):
    booking.reserve(manager=manager_a, cohort=open_cohort, seats=1, now=NOW)
    settings.PORTAL_CLOCK = RELEASE_DAY.isoformat()
    out = io.StringIO()
    call_command("close_places", stdout=out)
    assert "1 reservation(s) released" in out.getvalue()


def test_a_first_session_moved_earlier_brings_the_release_day_forward_never_back(
    open_cohort, modules, manager_a
):
    reservation = booking.reserve(manager=manager_a, cohort=open_cohort, seats=2, now=NOW)
    assert reservation.release_on == dt.date(2016, 2, 16)
    kickoff = open_cohort.sessions.get(module=modules[0])
    kickoff.starts_at, kickoff.ends_at = local(2016, 2, 10), local(2016, 2, 10, 15)
    booking.save_session(session=kickoff, now=NOW)
    reservation.refresh_from_db()
    assert reservation.release_on == dt.date(2016, 1, 27)
    assert booking.seats_free(open_cohort, local(2016, 1, 27, 0, 1)) == 3
    kickoff.starts_at, kickoff.ends_at = local(2016, 3, 1), local(2016, 3, 1, 15)
    booking.save_session(session=kickoff, now=NOW)
    reservation.refresh_from_db()
    assert reservation.release_on == dt.date(2016, 1, 27)
