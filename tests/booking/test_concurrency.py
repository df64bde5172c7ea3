"""Many leaders pressing "enrol" at once never overbook a cohort (PostgreSQL row locks)."""

import datetime as dt
import threading

import pytest
from django.db import connection

import booking
from programme.models import (
    Attendance,
    Cohort,
    Department,
    Enrolment,
    Leader,
    MakeUpBooking,
    Module,
    Programme,
    Session,
    User,
)
from tests.conftest import room

# Up to 60 connections at once: such tests take turns across test processes (conftest.py).
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("many_connections"),
]

NOW = dt.datetime(2016, 1, 5, 9, tzinfo=dt.UTC)


def run_at_once(count, work):
    """Start ``count`` threads that wait at a barrier, then all call ``work(i)``."""
    barrier = threading.Barrier(count)
    errors, results = [], [None] * count

    def worker(i):
        try:
            # These tests are about order under contention, not about the web's patience:
            # with dozens of requests queued on one row, the last may wait longer than
            # the web's lock timeout on a busy machine (tests/test_database_busy.py
            # covers that timeout).
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = 0")
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.fixture
def setting():
    programme = Programme.objects.create(
        name="Race", starts_on=dt.date(2015, 11, 1), ends_on=dt.date(2016, 7, 31)
    )
    cohort = Cohort.objects.create(
        programme=programme, name="Hold 1", capacity=10, enrolment_deadline=dt.date(2016, 1, 31)
    )
    department = Department.objects.create(name="Afdeling", code="A")
    users = User.objects.bulk_create([User(email=f"racer{n}@albertslund.dk") for n in range(60)])
    leaders = Leader.objects.bulk_create(
        [
            Leader(
                user=u,
                employee_number=str(n),
                name=f"Racer {n}",
                level="team",
                department=department,
            )
            for n, u in enumerate(users)
        ]
    )
    return cohort, leaders


def test_sixty_leaders_enrolling_at_once_fill_ten_seats_and_queue_the_rest(setting):
    cohort, leaders = setting
    results, errors = run_at_once(
        60, lambda i: booking.enrol(leader=leaders[i], cohort=cohort, now=NOW)
    )
    assert errors == []
    statuses = Enrolment.objects.filter(cohort=cohort)
    assert statuses.filter(status=Enrolment.Status.ENROLLED).count() == 10
    assert statuses.filter(status=Enrolment.Status.WAITLISTED).count() == 50


def test_the_waitlist_is_the_order_places_were_taken_and_each_leader_holds_the_position_told(
    setting,
):
    """Repro: with 200 leaders at once, 9-14 waitlist places differed from the order the
    requests committed and several positions were told to two leaders each, because each
    request read its clock before waiting for the lock. Here every request's clock runs
    backwards against its arrival, so a queue sorted by the clock would come out reversed.
    """
    cohort, leaders = setting
    results, errors = run_at_once(
        60,
        lambda i: booking.enrol(
            leader=leaders[i], cohort=cohort, now=NOW + dt.timedelta(seconds=60 - i)
        ),
    )
    assert errors == []
    waiting = sorted(
        (e for e in results if e.status == Enrolment.Status.WAITLISTED), key=lambda e: e.position
    )
    assert [e.position for e in waiting] == list(range(1, 51)), "each position told once"
    assert [e.pk for e in waiting] == sorted(e.pk for e in waiting), "told = order taken"
    assert [booking.waitlist_position(e) for e in waiting] == list(range(1, 51))
    # And the queue is served in that order.
    seated = Enrolment.objects.filter(cohort=cohort, status=Enrolment.Status.ENROLLED).first()
    result = booking.cancel(enrolment=seated, by_staff=True, now=NOW)
    assert [e.pk for e in result.promoted] == [waiting[0].pk]


def test_cancellations_racing_enrolments_keep_the_counts_adding_up(setting):
    cohort, leaders = setting
    seated = [booking.enrol(leader=leaders[i], cohort=cohort, now=NOW) for i in range(15)]
    assert sum(e.status == Enrolment.Status.ENROLLED for e in seated) == 10

    def work(i):
        if i < 8:
            return booking.cancel(enrolment=seated[i], now=NOW)
        return booking.enrol(leader=leaders[15 + i], cohort=cohort, now=NOW)

    _, errors = run_at_once(45, work)
    assert errors == []
    rows = Enrolment.objects.filter(cohort=cohort)
    enrolled = rows.filter(status=Enrolment.Status.ENROLLED).count()
    waiting = rows.filter(status=Enrolment.Status.WAITLISTED).count()
    cancelled = rows.filter(status=Enrolment.Status.CANCELLED).count()
    assert enrolled == 10, "every freed seat went to the waitlist"
    assert cancelled == 8
    assert enrolled + waiting + cancelled == 15 + 37


def test_make_ups_racing_enrolments_never_overbook_a_session(setting):
    """Enrolled leaders and make-up guests share the seats, whatever order they arrive in."""
    cohort, leaders = setting
    # 30 requests (15 of each kind) for 20 seats: the seats run out whatever the order,
    # and each kind must win at least 5 of them, so neither path can be refused wrongly
    # (with 10 seats, one kind arriving first could fairly take them all).
    Cohort.objects.filter(pk=cohort.pk).update(capacity=20)
    cohort.refresh_from_db()
    programme = cohort.programme
    module = Module.objects.create(programme=programme, order=1, title="Kick-off")
    earlier = Cohort.objects.create(
        programme=programme, name="Hold 0", capacity=30, enrolment_deadline=dt.date(2015, 11, 1)
    )
    past = Session.objects.create(
        cohort=earlier,
        module=module,
        starts_at=NOW - dt.timedelta(days=20),
        ends_at=NOW - dt.timedelta(days=20, hours=-6),
        location=room("Rådhuset"),
    )
    target = Session.objects.create(
        cohort=cohort,
        module=module,
        starts_at=NOW + dt.timedelta(days=20),
        ends_at=NOW + dt.timedelta(days=20, hours=6),
        location=room("Rådhuset"),
    )
    guests = leaders[30:60]
    booking.enrol_in_bulk(places={earlier: [(g.pk, NOW) for g in guests]})
    Attendance.objects.bulk_create(
        [Attendance(leader=g, session=past, status="absent") for g in guests]
    )

    def work(i):
        if i % 2:
            return booking.book_makeup(leader=guests[i], session=target, now=NOW)
        return booking.enrol(leader=leaders[i], cohort=cohort, now=NOW)

    _, errors = run_at_once(30, work)
    assert all(isinstance(e, booking.BookingError) for e in errors), errors
    seated = Enrolment.objects.filter(cohort=cohort, status=Enrolment.Status.ENROLLED).count()
    guests_booked = MakeUpBooking.objects.filter(session=target).count()
    assert seated + guests_booked == cohort.capacity
    assert guests_booked >= 5 and seated >= 5


def test_sessions_saved_at_once_in_different_cohorts_never_share_a_room(setting):
    """Each cohort's lock alone would let two cohorts take one room at once: the room's
    row lock makes the second wait and see the first."""
    cohort, _ = setting
    programme = cohort.programme
    module = Module.objects.create(programme=programme, order=1, title="Kick-off")
    cohorts = [cohort] + [
        Cohort.objects.create(
            programme=programme,
            name=f"Hold {n}",
            capacity=10,
            enrolment_deadline=dt.date(2016, 1, 31),
        )
        for n in range(2, 9)
    ]
    hall = room("Byrådssalen", capacity=50)
    start = NOW + dt.timedelta(days=30)

    def save(i):
        session = Session(
            cohort=cohorts[i],
            module=module,
            starts_at=start + dt.timedelta(minutes=10 * i),
            ends_at=start + dt.timedelta(hours=6),
            location=hall,
        )
        try:
            booking.save_session(session=session, now=NOW)
        except booking.BookingError:
            return "refused"
        return "saved"

    results, errors = run_at_once(len(cohorts), save)
    assert errors == []
    assert sorted(results) == ["refused"] * (len(cohorts) - 1) + ["saved"]
    assert Session.objects.filter(location=hall).count() == 1
