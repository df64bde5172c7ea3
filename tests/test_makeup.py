"""Make-up: a leader who missed a required module takes it with another cohort."""

import pytest
from django.urls import reverse

from programme import booking
from programme.models import Attendance, MakeUpBooking

from .conftest import local, make_leader


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


def book_url(session):
    return reverse("programme:book_makeup", args=[session.pk])


def test_the_dashboard_offers_another_cohorts_session_with_a_free_seat(client, leader, missed):
    client.force_login(leader.user)
    response = client.get("/")
    assert "Tag “Kick-off” igen" in response.text
    assert "tirsdag 23. februar 2016" in response.text
    assert "3 ledige pladser" in response.text
    assert f'action="{book_url(missed)}"' in response.text


def test_a_full_session_is_not_offered(client, leader, missed, other_cohort, department_b):
    for n in range(other_cohort.capacity):
        seat = make_leader(f"o{n}@albertslund.dk", f"O {n}", department_b, f"6{n}")
        booking.enrol(leader=seat, cohort=other_cohort, now=local(2016, 1, 5))
    client.force_login(leader.user)
    response = client.get("/")
    assert book_url(missed) not in response.text
    assert "Intet andet hold har en ledig plads til dette modul" in response.text


def test_booking_a_make_up_gives_a_seat_and_a_message(client, leader, missed):
    client.force_login(leader.user)
    response = client.post(book_url(missed), follow=True)
    assert MakeUpBooking.objects.filter(leader=leader, session=missed).exists()
    assert [str(m) for m in response.context["messages"]] == [
        "Du har fået en plads til Kick-off på Hold 2."
    ]
    assert "Dine mødegange på andre hold" in response.text
    assert book_url(missed) not in response.text


def test_a_session_of_the_leaders_own_cohort_is_refused(client, leader, missed, cohort):
    own = cohort.sessions.get(module__order=2)
    client.force_login(leader.user)
    response = client.post(book_url(own), follow=True)
    assert not MakeUpBooking.objects.exists()
    assert [str(m) for m in response.context["messages"]] == ["Mødegangen er på dit eget hold."]


def test_cancelling_a_make_up_frees_the_seat(client, leader, missed):
    makeup = booking.book_makeup(leader=leader, session=missed, now=local(2016, 1, 20))
    client.force_login(leader.user)
    response = client.post(reverse("programme:cancel_makeup", args=[makeup.pk]), follow=True)
    assert not MakeUpBooking.objects.exists()
    assert "Din plads til Kick-off på et andet hold er afmeldt." in response.text


def test_another_leaders_make_up_is_not_found(client, leader, colleague, missed):
    makeup = booking.book_makeup(leader=leader, session=missed, now=local(2016, 1, 20))
    client.force_login(colleague.user)
    response = client.post(reverse("programme:cancel_makeup", args=[makeup.pk]))
    assert response.status_code == 404
    assert MakeUpBooking.objects.filter(pk=makeup.pk).exists()


def test_hr_without_a_leader_profile_cannot_book(client, hr, missed):
    client.force_login(hr)
    assert client.post(book_url(missed)).status_code == 403
