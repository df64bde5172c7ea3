"""Seats: the only code that changes them, and its refusals."""

import pytest

import booking
from booking import BookingError
from programme.models import Attendance, Enrolment, MakeUpBooking
from tests.conftest import local, make_leader, queued

BEFORE_DEADLINE = local(2016, 1, 20)
AFTER_DEADLINE = local(2016, 2, 2)


@pytest.fixture
def full_cohort(open_cohort, department_a):
    """Hold 3, not started yet, every seat taken."""
    for n in range(open_cohort.capacity):
        leader = make_leader(f"seat{n}@albertslund.dk", f"Seat {n}", department_a, f"9{n:03d}")
        booking.enrol(leader=leader, cohort=open_cohort, now=BEFORE_DEADLINE)
    return open_cohort


def test_a_leader_gets_a_seat_when_one_is_free(leader, cohort):
    enrolment = booking.enrol(leader=leader, cohort=cohort, now=BEFORE_DEADLINE)
    assert enrolment.status == Enrolment.Status.ENROLLED


def test_a_full_cohort_puts_the_leader_on_its_waitlist(leader, full_cohort):
    enrolment = booking.enrol(leader=leader, cohort=full_cohort, now=BEFORE_DEADLINE)
    assert enrolment.status == Enrolment.Status.WAITLISTED
    assert full_cohort.enrolments.filter(status=Enrolment.Status.ENROLLED).count() == 3


def test_a_second_place_in_the_programme_is_refused(leader, cohort, other_cohort):
    booking.enrol(leader=leader, cohort=cohort, now=BEFORE_DEADLINE)
    with pytest.raises(BookingError, match="allerede en plads"):
        booking.enrol(leader=leader, cohort=other_cohort, now=BEFORE_DEADLINE)


def test_self_service_closes_at_the_deadline_but_hr_can_still_act(leader, cohort):
    with pytest.raises(BookingError, match="Tilmeldingsfristen"):
        booking.enrol(leader=leader, cohort=cohort, now=AFTER_DEADLINE)
    enrolment = booking.enrol(leader=leader, cohort=cohort, now=AFTER_DEADLINE, by_staff=True)
    with pytest.raises(BookingError, match="Tilmeldingsfristen"):
        booking.cancel(enrolment=enrolment, now=AFTER_DEADLINE)
    booking.cancel(enrolment=enrolment, now=AFTER_DEADLINE, by_staff=True)


def test_a_cancellation_promotes_the_first_on_the_waitlist(full_cohort, leader, colleague):
    first = booking.enrol(leader=leader, cohort=full_cohort, now=BEFORE_DEADLINE)
    second = booking.enrol(leader=colleague, cohort=full_cohort, now=local(2016, 1, 21))
    seated = full_cohort.enrolments.filter(status=Enrolment.Status.ENROLLED).first()
    result = booking.cancel(enrolment=seated, now=local(2016, 1, 22))
    assert [e.pk for e in result.promoted] == [first.pk]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("enrolled", "waitlisted")


def test_cancelling_a_waitlist_place_promotes_nobody(full_cohort, leader):
    place = booking.enrol(leader=leader, cohort=full_cohort, now=BEFORE_DEADLINE)
    result = booking.cancel(enrolment=place, now=BEFORE_DEADLINE)
    assert result.promoted == []
    assert result.enrolment.status == Enrolment.Status.CANCELLED


def test_cancelling_twice_is_refused(leader, cohort):
    enrolment = booking.enrol(leader=leader, cohort=cohort, now=BEFORE_DEADLINE)
    booking.cancel(enrolment=enrolment, now=BEFORE_DEADLINE)
    with pytest.raises(BookingError, match="allerede afmeldt"):
        booking.cancel(enrolment=enrolment, now=BEFORE_DEADLINE)


def test_hr_moves_a_leader_and_the_freed_seat_goes_to_the_waitlist(
    full_cohort, other_cohort, leader
):
    waiting = booking.enrol(leader=leader, cohort=full_cohort, now=BEFORE_DEADLINE)
    seated = full_cohort.enrolments.filter(status=Enrolment.Status.ENROLLED).first()
    result = booking.move(enrolment=seated, to_cohort=other_cohort, now=BEFORE_DEADLINE)
    assert result.enrolment.cohort == other_cohort
    assert result.enrolment.status == Enrolment.Status.ENROLLED
    waiting.refresh_from_db()
    assert waiting.status == Enrolment.Status.ENROLLED


def test_a_move_into_a_full_cohort_is_refused_and_changes_nothing(
    full_cohort, other_cohort, leader
):
    enrolment = booking.enrol(leader=leader, cohort=other_cohort, now=BEFORE_DEADLINE)
    with pytest.raises(BookingError, match="er fuldt"):
        booking.move(enrolment=enrolment, to_cohort=full_cohort, now=BEFORE_DEADLINE)
    enrolment.refresh_from_db()
    assert (enrolment.cohort, enrolment.status) == (other_cohort, Enrolment.Status.ENROLLED)


def test_hr_promotes_a_waitlisted_leader_only_into_a_free_seat(cohort, department_a, leader):
    """Hold 1 has begun, so a freed seat is not filled by itself: HR decides."""
    seated = [
        booking.enrol(
            leader=make_leader(f"s{n}@albertslund.dk", f"S {n}", department_a, f"8{n:03d}"),
            cohort=cohort,
            now=local(2016, 1, 5),
        )
        for n in range(cohort.capacity)
    ]
    waiting = booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 6))
    with pytest.raises(BookingError, match="ingen ledig plads"):
        booking.promote(enrolment=waiting, now=BEFORE_DEADLINE)
    result = booking.cancel(enrolment=seated[0], by_staff=True, now=BEFORE_DEADLINE)
    assert result.promoted == [], "nobody is promoted into a cohort that has begun"
    promoted = booking.promote(enrolment=waiting, now=BEFORE_DEADLINE)
    assert promoted.status == Enrolment.Status.ENROLLED


def test_a_make_up_takes_a_free_seat_at_another_cohorts_session(leader, cohort, other_cohort):
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    missed = cohort.sessions.order_by("starts_at").first()
    Attendance.objects.create(leader=leader, session=missed, status=Attendance.Status.ABSENT)
    target = other_cohort.sessions.get(module=missed.module)
    booking.book_makeup(leader=leader, session=target, now=BEFORE_DEADLINE)
    assert MakeUpBooking.objects.filter(leader=leader, session=target).exists()
    with pytest.raises(BookingError, match="allerede en indhentningsplads"):
        booking.book_makeup(leader=leader, session=target, now=BEFORE_DEADLINE)


def test_a_make_up_is_refused_when_the_session_is_full(leader, colleague, cohort, other_cohort):
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    booking.set_capacity(cohort=other_cohort, capacity=1, now=BEFORE_DEADLINE)
    booking.enrol(leader=colleague, cohort=other_cohort, now=BEFORE_DEADLINE)
    target = other_cohort.sessions.order_by("starts_at").first()
    with pytest.raises(BookingError, match="ingen ledig plads"):
        booking.book_makeup(leader=leader, session=target, now=BEFORE_DEADLINE)


def test_a_make_up_is_refused_for_a_completed_module(leader, cohort, other_cohort):
    done = cohort.sessions.order_by("starts_at").first()
    Attendance.objects.create(leader=leader, session=done, status=Attendance.Status.LATE)
    with pytest.raises(BookingError, match="allerede gennemført"):
        booking.book_makeup(
            leader=leader,
            session=other_cohort.sessions.get(module=done.module),
            now=BEFORE_DEADLINE,
        )


def test_a_booking_queues_its_e_mail_in_its_own_transaction(leader, cohort, mailoutbox):
    from django.db import transaction

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        booking.enrol(leader=leader, cohort=cohort, now=BEFORE_DEADLINE)
        assert [e.to for e in queued()] == [[leader.user.email]]
        raise Undo
    assert queued() == []  # the e-mail rolled back with the booking
    booking.enrol(leader=leader, cohort=cohort, now=BEFORE_DEADLINE)
    assert [e.to for e in queued()] == [[leader.user.email]]
    assert mailoutbox == []  # nothing leaves before the worker runs
