"""Many leaders pressing "enrol" at once never overbook a cohort (PostgreSQL row locks)."""

import datetime as dt
import threading

import pytest
from django.db import connection

from programme import booking
from programme.models import Cohort, Department, Enrolment, Leader, Programme, User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOW = dt.datetime(2016, 1, 5, 9, tzinfo=dt.UTC)


def run_at_once(count, work):
    """Start ``count`` threads that wait at a barrier, then all call ``work(i)``."""
    barrier = threading.Barrier(count)
    errors, results = [], [None] * count

    def worker(i):
        try:
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
    waitlist = list(
        statuses.filter(status=Enrolment.Status.WAITLISTED).order_by("requested_at", "pk")
    )
    assert len(waitlist) == 50
    # Order of arrival: the waitlist order is the order in which the locks were granted.
    assert [e.pk for e in waitlist] == sorted(e.pk for e in waitlist)


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
