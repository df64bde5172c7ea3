"""The demo data's bulk seats: the same seat rules, one statement per cohort."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction

from booking.seats import _lock
from programme.db import insert_in_bulk
from programme.models import Cohort, Enrolment, MakeUpBooking, Session

# --- The demo data's bulk seats (same rules, one statement per cohort) ----------------


@transaction.atomic
def enrol_in_bulk(*, places: dict[Cohort, list[tuple[int, dt.datetime]]]) -> list[Enrolment]:
    """Places for many leaders in many cohorts: per cohort, in the given order, seats
    while they last, then the waitlist.

    For loading data into an empty programme (the demo, benchmarks): the same seat
    rule as :func:`enrol`, under the same locks, in a fixed number of statements.
    The leaders must not hold a place in the programme (the database refuses it).
    The places returned are as inserted, without their primary keys.
    """
    locked = _lock(*(cohort.pk for cohort in places))
    taken = dict(Cohort.objects.filter(pk__in=locked).with_seats().values_list("pk", "seats_taken"))
    rows = []
    for cohort, wanted in places.items():
        free = locked[cohort.pk].capacity - taken[cohort.pk]
        for leader_id, moment in wanted:
            status = Enrolment.Status.ENROLLED if free > 0 else Enrolment.Status.WAITLISTED
            free -= 1
            rows.append(
                Enrolment(
                    leader_id=leader_id,
                    cohort_id=cohort.pk,
                    programme_id=cohort.programme_id,
                    status=status,
                    requested_at=moment,
                )
            )
    insert_in_bulk(rows)  # COPY on PostgreSQL: the demo's national numbers
    return rows


@transaction.atomic
def book_makeups_in_bulk(
    *, bookings: Iterable[tuple[int, list[Session], dt.datetime]]
) -> list[MakeUpBooking]:
    """Make-up seats for (leader id, sessions in order of preference, booked at).

    Each leader gets the first of their sessions with a free seat, or none. For
    loading historical data (the demo): only the seat rule is applied, under the
    cohorts' locks, from counts read once.
    """
    wanted = list(bookings)
    sessions = {session.pk: session for _, options, _ in wanted for session in options}
    _lock(*{session.cohort_id for session in sessions.values()})
    free = dict(
        Session.objects.filter(pk__in=sessions).with_free_seats().values_list("pk", "free_seats")
    )
    rows = []
    for leader_id, options, booked_at in wanted:
        session = next((s for s in options if free[s.pk] > 0), None)
        if session is not None:
            free[session.pk] -= 1
            rows.append(MakeUpBooking(leader_id=leader_id, session=session, booked_at=booked_at))
    return MakeUpBooking.objects.bulk_create(rows, batch_size=2000)
