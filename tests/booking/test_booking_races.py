"""A booking button pressed twice, or after HR deleted what it was for, is refused with
the Danish message every caller shows - never a 500.

The outside tester pressed "Annullér" twice on a make-up seat: both requests passed the
page's check, the first deleted the seat and the second met ``MakeUpBooking.DoesNotExist``
after the lock, which the view did not catch. Now each booking function reads its rows
again under the lock and raises ``BookingError`` when one is gone, so the leader's
buttons, the admin's actions and the imports all get the same refusal.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

import booking
from programme.models import Attendance, Cohort, Enrolment, MakeUpBooking
from tests.conftest import local


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = "2016-01-20T10:00"


@pytest.fixture
def missed(leader, cohort, other_cohort):
    """The leader was absent from Hold 1's kick-off; Hold 2 holds it on 23 February."""
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    kickoff = cohort.sessions.get(module__order=1)
    Attendance.objects.create(leader=leader, session=kickoff, status=Attendance.Status.ABSENT)
    return other_cohort.sessions.get(module__order=1)


@pytest.fixture
def makeup(leader, missed):
    return booking.book_makeup(leader=leader, session=missed, now=local(2016, 1, 20))


def refusal(call) -> str:
    with pytest.raises(booking.BookingError) as refused:
        call()
    return str(refused.value)


def test_cancelling_a_make_up_seat_that_is_already_cancelled_is_refused(makeup):
    booking.cancel_makeup(booking=makeup, now=local(2016, 1, 20))
    # The same seat, as the second press still holds it.
    message = refusal(lambda: booking.cancel_makeup(booking=makeup, now=local(2016, 1, 20)))
    assert message == "Pladsen på det andet hold er allerede afmeldt."


def test_cancelling_a_place_that_is_already_cancelled_is_refused(leader, cohort):
    place = booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    booking.cancel(enrolment=place, now=local(2016, 1, 6))
    message = refusal(lambda: booking.cancel(enrolment=place, now=local(2016, 1, 6)))
    assert message == "Pladsen er allerede afmeldt."


@pytest.mark.parametrize("action", ["cancel", "promote", "move"])
def test_a_place_that_is_gone_is_refused_by_every_function_that_changes_it(
    leader, cohort, other_cohort, action
):
    place = booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    Enrolment.objects.filter(pk=place.pk).delete()
    calls = {
        "cancel": lambda: booking.cancel(enrolment=place, now=local(2016, 1, 6)),
        "promote": lambda: booking.promote(enrolment=place, now=local(2016, 1, 6)),
        "move": lambda: booking.move(
            enrolment=place, to_cohort=other_cohort, now=local(2016, 1, 6)
        ),
    }
    assert refusal(calls[action]) == "Pladsen er allerede afmeldt."


def test_booking_a_make_up_at_a_session_hr_deleted_meanwhile_is_refused(leader, missed):
    shown = missed  # the dashboard offered it; then HR deleted the session
    booking.delete_session(session=missed, now=local(2016, 1, 20))
    message = refusal(
        lambda: booking.book_makeup(leader=leader, session=shown, now=local(2016, 1, 20))
    )
    assert message == "Mødegangen findes ikke længere."
    assert not MakeUpBooking.objects.exists()


def test_enrolling_in_a_cohort_hr_deleted_meanwhile_is_refused(leader, programme):
    shown = Cohort.objects.create(
        programme=programme, name="Hold 9", capacity=3, enrolment_deadline=dt.date(2016, 1, 31)
    )
    Cohort.objects.filter(pk=shown.pk).delete()
    message = refusal(lambda: booking.enrol(leader=leader, cohort=shown, now=local(2016, 1, 5)))
    assert message == "Holdet findes ikke længere."
    assert not Enrolment.objects.exists()


def test_moving_a_leader_to_a_cohort_hr_deleted_meanwhile_is_refused(leader, cohort, programme):
    place = booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    target = Cohort.objects.create(
        programme=programme, name="Hold 9", capacity=3, enrolment_deadline=dt.date(2016, 1, 31)
    )
    Cohort.objects.filter(pk=target.pk).delete()
    message = refusal(lambda: booking.move(enrolment=place, to_cohort=target))
    assert message == "Holdet findes ikke længere."
    place.refresh_from_db()
    assert place.status == Enrolment.Status.ENROLLED


# --- The double press itself: two requests at once, on PostgreSQL's row locks -----------


def waiting_on_a_lock(other) -> int:
    return other.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND datname = current_database()"
    ).fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("button", ["dashboard:cancel_makeup", "dashboard:cancel"])
def test_pressing_a_cancel_button_twice_at_once_cancels_once_and_says_so_once(
    leader, makeup, button
):
    target = makeup if button == "dashboard:cancel_makeup" else leader.enrolments.get()
    url = reverse(button, args=[target.pk])
    params = connection.settings_dict
    responses: list = [None, None]

    def press(i):
        client = Client(raise_request_exception=False)
        client.force_login(leader.user)
        responses[i] = client.post(url, follow=True)
        connection.close()

    with (
        psycopg.connect(
            host=params["HOST"] or None,
            port=params["PORT"] or None,
            user=params["USER"] or None,
            password=params["PASSWORD"] or None,
            dbname=params["NAME"],
        ) as holder,
        psycopg.connect(
            host=params["HOST"] or None,
            port=params["PORT"] or None,
            user=params["USER"] or None,
            password=params["PASSWORD"] or None,
            dbname=params["NAME"],
            autocommit=True,
        ) as watcher,
    ):
        # Both presses pass the page's check, then wait for the cohort's lock.
        cohort_id = target.session.cohort_id if button.endswith("makeup") else target.cohort_id
        holder.execute("SELECT id FROM programme_cohort WHERE id = %s FOR UPDATE", [cohort_id])
        presses = [threading.Thread(target=press, args=(i,)) for i in range(2)]
        for thread in presses:
            thread.start()
        deadline = time.monotonic() + 4
        while waiting_on_a_lock(watcher) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert waiting_on_a_lock(watcher) == 2
        holder.rollback()
        for thread in presses:
            thread.join(timeout=30)

    assert [r.status_code for r in responses] == [200, 200]  # each followed its redirect
    # The pages' text, not r.context: the test client's captured contexts are shared
    # between threads.
    already = (
        "Pladsen på det andet hold er allerede afmeldt."
        if button.endswith("makeup")
        else "Pladsen er allerede afmeldt."
    )
    assert sorted(already in r.text for r in responses) == [False, True]
    if button.endswith("makeup"):
        assert not MakeUpBooking.objects.exists()
    else:
        assert leader.enrolments.get().status == Enrolment.Status.CANCELLED
