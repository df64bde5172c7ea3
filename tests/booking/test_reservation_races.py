"""Two people at once on the last seat, on PostgreSQL's row locks: two leaders named into
a reservation's last seat, and a reservation against an enrolment for the cohort's last
free seat. Both wait on the cohort's lock; exactly one gets the seat, the other is refused
(or waits on the waitlist), and the seats never exceed the capacity."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.db import connection

import booking
from programme.models import Enrolment, Reservation
from tests.conftest import NOW, make_leader


def _connect(params, **extra):
    return psycopg.connect(
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        dbname=params["NAME"],
        **extra,
    )


def at_once(cohort_id: int, *calls) -> list:
    """Run the calls in threads that all queue on the cohort's row lock, then let go."""
    params = connection.settings_dict
    results: list = [None] * len(calls)

    def run(i):
        try:
            results[i] = calls[i]()
        except booking.BookingError as exc:
            results[i] = exc
        finally:
            connection.close()

    with _connect(params) as holder, _connect(params, autocommit=True) as watcher:
        holder.execute("SELECT id FROM programme_cohort WHERE id = %s FOR UPDATE", [cohort_id])
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 5

        def waiting():
            return watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            ).fetchone()[0]

        while waiting() < len(calls) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert waiting() == len(calls)
        holder.rollback()
        for thread in threads:
            thread.join(timeout=30)
    return results


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = NOW.isoformat()
    settings.RESERVATION_RELEASE_DAYS = 14


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_leaders_named_into_the_last_reserved_seat_at_once_get_it_once(
    open_cohort, manager_a, leader, colleague
):
    reservation = booking.reserve(manager=manager_a, cohort=open_cohort, seats=1, now=NOW)
    results = at_once(
        open_cohort.pk,
        lambda: booking.name_leader(reservation=reservation, leader=leader, now=NOW),
        lambda: booking.name_leader(reservation=reservation, leader=colleague, now=NOW),
    )
    refused = [r for r in results if isinstance(r, booking.BookingError)]
    assert [str(r) for r in refused] == ["Alle pladser i reservationen er navngivet."]
    assert Enrolment.objects.filter(cohort=open_cohort, status="enrolled").count() == 1
    assert Reservation.objects.get().named == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_reservation_and_an_enrolment_for_the_last_free_seat_at_once_never_overbook(
    open_cohort, manager_a, leader, department_b
):
    for n in range(open_cohort.capacity - 1):
        booking.enrol(
            leader=make_leader(f"f{n}@a.dk", f"F {n}", department_b, f"80{n}"),
            cohort=open_cohort,
            now=NOW,
        )
    results = at_once(
        open_cohort.pk,
        lambda: booking.reserve(manager=manager_a, cohort=open_cohort, seats=1, now=NOW),
        lambda: booking.enrol(leader=leader, cohort=open_cohort, now=NOW),
    )
    reserved, place = results
    assert booking.seats_taken(open_cohort, NOW) == open_cohort.capacity
    if isinstance(reserved, booking.BookingError):
        assert place.status == Enrolment.Status.ENROLLED
    else:
        assert place.status == Enrolment.Status.WAITLISTED
