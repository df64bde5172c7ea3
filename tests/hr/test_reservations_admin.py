"""HR reserves seats for a manager in the admin (through booking: a refusal is shown on
the form), sees who was named, and cancels a reservation: its unnamed seats go to the
waitlist at once. A reservation is never edited or deleted by hand."""

from __future__ import annotations

import pytest
from django.urls import reverse

import booking
from programme.models import Enrolment, Reservation
from tests.conftest import NOW, make_leader

ADD = reverse("admin:programme_reservation_add")
LIST = reverse("admin:programme_reservation_changelist")


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = NOW.isoformat()
    settings.RESERVATION_RELEASE_DAYS = 14


def test_hr_reserves_for_a_manager_and_a_refusal_is_shown_on_the_form(
    client, hr, manager_a, open_cohort
):
    client.force_login(hr)
    form = client.get(ADD)
    assert form.status_code == 200
    response = client.post(ADD, {"manager": manager_a.pk, "cohort": open_cohort.pk, "seats": 4})
    assert response.status_code == 200
    assert "Hold 3 har kun 3 ledige pladser." in response.text
    assert not Reservation.objects.exists()
    response = client.post(ADD, {"manager": manager_a.pk, "cohort": open_cohort.pk, "seats": 2})
    assert response.status_code == 302
    reservation = Reservation.objects.get()
    assert (reservation.manager, reservation.seats, str(reservation.release_on)) == (
        manager_a,
        2,
        "2016-02-16",
    )
    assert booking.seats_free(open_cohort, NOW) == 1
    page = client.get(reverse("admin:programme_reservation_change", args=[reservation.pk]))
    assert page.status_code == 200
    assert client.get(LIST).status_code == 200


def test_hr_cancels_a_reservation_and_the_waitlist_takes_its_seats(
    client, hr, manager_a, open_cohort, department_b
):
    reservation = booking.reserve(manager=manager_a, cohort=open_cohort, seats=3, now=NOW)
    waiting = make_leader("w@a.dk", "Ventende", department_b, "9001")
    assert booking.enrol(leader=waiting, cohort=open_cohort, now=NOW).status == "waitlisted"
    client.force_login(hr)
    response = client.post(
        LIST, {"action": "cancel_reservations", "_selected_action": [reservation.pk]}, follow=True
    )
    assert "1 reservation er annulleret" in response.text
    reservation.refresh_from_db()
    assert reservation.release_reason == Reservation.Release.BY_HR
    assert Enrolment.objects.get(leader=waiting).status == "enrolled"
