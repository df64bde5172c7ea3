"""A manager reserves seats in a cohort for their departments, names their leaders into
them (the leader gets the place and the e-mail with the calendar) and releases the rest;
someone else's reservation is a 404, a leader outside the scope cannot be named, HR sees
every reservation and may release it."""

from __future__ import annotations

import pytest
from django.urls import reverse

import booking
from programme.models import Enrolment, Reservation
from tests.conftest import NOW, queued, send_outbox


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = NOW.isoformat()
    settings.RESERVATION_RELEASE_DAYS = 14


LIST = reverse("managers:reservations")


def shown(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_manager_reserves_names_a_leader_and_releases_the_rest(
    client, manager_a, leader, colleague, open_cohort, mailoutbox
):
    client.force_login(manager_a)
    page = client.get(LIST)
    assert page.status_code == 200
    assert "Der er ingen reserverede pladser." in page.text
    assert "Hold 3 (3 ledige pladser)" in page.text

    response = client.post(LIST, {"cohort": open_cohort.pk, "seats": 2}, follow=True)
    reservation = Reservation.objects.get()
    assert response.redirect_chain == [
        (reverse("managers:reservation", args=[reservation.pk]), 302)
    ]
    assert shown(response) == [
        "2 pladser på Hold 3 er reserveret til dine ledere indtil 16. februar 2016."
    ]
    assert booking.seats_free(open_cohort, NOW) == 1
    assert "Søren Ærbø (Center for Økonomi og Styring)" in response.text

    url = reverse("managers:reservation", args=[reservation.pk])
    response = client.post(url, {"action": "name", "leader": leader.pk}, follow=True)
    assert shown(response) == [
        "Søren Ærbø er tilmeldt Hold 3. En bekræftelse med kalenderen er på vej til "
        "lederens e-mail."
    ]
    place = Enrolment.objects.get(leader=leader)
    assert (place.cohort, place.status) == (open_cohort, Enrolment.Status.ENROLLED)
    assert queued()[-1].to == [leader.user.email]
    send_outbox()
    ((filename, content, _mimetype),) = mailoutbox[-1].attachments
    assert filename.endswith(".ics") and content.count("BEGIN:VEVENT") == 3
    assert "<li>Søren Ærbø</li>" in response.text

    response = client.post(url, {"action": "release"}, follow=True)
    assert shown(response) == ["Pladserne uden navn på Hold 3 er frigivet."]
    reservation.refresh_from_db()
    assert reservation.release_reason == Reservation.Release.BY_MANAGER
    assert booking.seats_free(open_cohort, NOW) == 2
    assert "Frigiv pladserne uden navn nu" not in response.text


def test_someone_elses_reservation_is_a_404_and_a_leader_outside_the_scope_cannot_be_named(
    client, manager_a, manager_b, outsider, leader, open_cohort
):
    reservation = booking.reserve(manager=manager_a, cohort=open_cohort, seats=1, now=NOW)
    url = reverse("managers:reservation", args=[reservation.pk])
    client.force_login(manager_b)
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "release"}).status_code == 404
    assert client.post(url, {"action": "name", "leader": outsider.pk}).status_code == 404
    assert "Der er ingen reserverede pladser." in client.get(LIST).text

    client.force_login(manager_a)
    page = client.get(url)
    assert "Bodil Bæk" not in page.text
    response = client.post(url, {"action": "name", "leader": outsider.pk})
    assert response.status_code == 400
    assert not Enrolment.objects.exists()
    assert Reservation.objects.get().released_at is None


def test_a_plain_leader_is_refused_and_hr_sees_every_reservation_and_may_release_it(
    client, leader, hr, manager_a, open_cohort
):
    reservation = booking.reserve(manager=manager_a, cohort=open_cohort, seats=2, now=NOW)
    url = reverse("managers:reservation", args=[reservation.pk])
    client.force_login(leader.user)
    assert client.get(LIST).status_code == 403
    assert client.get(url).status_code == 403

    client.force_login(hr)
    page = client.get(LIST)
    assert "chef.a@albertslund.dk" in page.text
    assert "Reservér pladser" not in page.text  # HR reserves for a manager in the admin
    assert client.post(LIST, {"cohort": open_cohort.pk, "seats": 1}).status_code == 403
    client.post(url, {"action": "release"})
    reservation.refresh_from_db()
    assert reservation.release_reason == Reservation.Release.BY_HR


def test_a_cohort_whose_release_day_has_come_is_not_offered(
    client, settings, manager_a, open_cohort, other_cohort
):
    """Hold 2 meets first on 23 February: its day is 9 February; Hold 3's is 16 February."""
    settings.PORTAL_CLOCK = "2016-02-10T10:00"
    client.force_login(manager_a)
    page = client.get(LIST)
    assert "Hold 3 (3 ledige pladser)" in page.text
    assert "Hold 2" not in page.text
    response = client.post(LIST, {"cohort": other_cohort.pk, "seats": 1})
    assert response.status_code == 400
    assert not Reservation.objects.exists()


def test_naming_into_a_reservation_whose_day_has_come_is_refused(
    client, settings, manager_a, leader, open_cohort
):
    reservation = booking.reserve(manager=manager_a, cohort=open_cohort, seats=1, now=NOW)
    settings.PORTAL_CLOCK = "2016-02-16T08:00"
    client.force_login(manager_a)
    url = reverse("managers:reservation", args=[reservation.pk])
    page = client.get(url)
    assert "Pladserne uden navn er frigivet." in page.text
    response = client.post(url, {"action": "name", "leader": leader.pk}, follow=True)
    assert shown(response) == [
        "Reservationens frigivelsesdag er kommet: pladserne uden navn er ledige igen."
    ]
    assert not Enrolment.objects.exists()
