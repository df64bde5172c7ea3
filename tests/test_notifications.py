"""E-mails about bookings: sent after the transaction commits, in Danish, with the calendar."""

import pytest
from django.urls import reverse

from programme import booking
from programme.models import Enrolment

from .conftest import local


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = "2016-01-20T10:00"


@pytest.fixture
def small_cohort(open_cohort):
    """Hold 3, one seat, its first session still to come."""
    booking.set_capacity(cohort=open_cohort, capacity=1, now=local(2016, 1, 5))
    return open_cohort


def test_enrolling_sends_a_danish_confirmation_with_the_calendar(
    client, leader, cohort, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(leader.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("programme:enrol", args=[cohort.pk]))
    (message,) = mailoutbox
    assert message.to == ["soeren@albertslund.dk"]
    assert message.subject == "Du er tilmeldt Hold 1"
    assert "Kære Søren Ærbø" in message.body
    assert "tirsdag 9. februar 2016, 09:00–15:00: IT, Albertslund Rådhus" in message.body
    ((filename, content, mimetype),) = message.attachments
    assert (filename, mimetype) == ("digital-ledelse.ics", "text/calendar")
    assert content.count("BEGIN:VEVENT") == 3


def test_no_mail_leaves_before_the_booking_commits(client, leader, cohort, mailoutbox):
    client.force_login(leader.user)
    client.post(reverse("programme:enrol", args=[cohort.pk]))
    assert Enrolment.objects.filter(leader=leader).exists()
    assert mailoutbox == []  # the test transaction never commits


def test_a_waitlist_place_is_confirmed_without_a_calendar(
    client, leader, colleague, small_cohort, mailoutbox, django_capture_on_commit_callbacks
):
    booking.enrol(leader=colleague, cohort=small_cohort, now=local(2016, 1, 5))
    client.force_login(leader.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("programme:enrol", args=[small_cohort.pk]))
    (message,) = mailoutbox
    assert message.subject == "Du er på ventelisten til Hold 3"
    assert "så du er kommet på ventelisten" in message.body
    assert message.attachments == []


def test_cancelling_confirms_it_and_tells_the_promoted_leader(
    client, leader, colleague, small_cohort, mailoutbox, django_capture_on_commit_callbacks
):
    seat = booking.enrol(leader=leader, cohort=small_cohort, now=local(2016, 1, 5))
    booking.enrol(leader=colleague, cohort=small_cohort, now=local(2016, 1, 6))
    client.force_login(leader.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("programme:cancel", args=[seat.pk]))
    by_subject = {m.subject: m for m in mailoutbox}
    assert set(by_subject) == {"Din plads på Hold 3 er afmeldt", "Du har fået en plads på Hold 3"}
    cancelled = by_subject["Din plads på Hold 3 er afmeldt"]
    promoted = by_subject["Du har fået en plads på Hold 3"]
    assert cancelled.to == [leader.user.email]
    assert cancelled.attachments == []
    assert promoted.to == [colleague.user.email]
    assert "Du er rykket fra ventelisten" in promoted.body
    assert promoted.attachments[0][0] == "digital-ledelse.ics"


def test_mail_is_in_the_portals_language_whatever_the_page_was_in(
    client, leader, cohort, mailoutbox, django_capture_on_commit_callbacks
):
    # A promotion is caused by someone else's request; every booking e-mail therefore
    # uses the portal's language rather than the language of the page that caused it.
    client.force_login(leader.user)
    client.cookies["django_language"] = "en"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("programme:enrol", args=[cohort.pk]), follow=True)
    assert "You are enrolled in Hold 1." in response.text
    assert mailoutbox[0].subject == "Du er tilmeldt Hold 1"
    assert "tirsdag" in mailoutbox[0].body


def test_plain_text_mail_is_not_html_escaped(
    client, leader, cohort, mailoutbox, django_capture_on_commit_callbacks
):
    leader.name = "Åse O'Neil & Co"
    leader.save()
    cohort.sessions.update(location="Rådhuset <mødelokale 2>")
    client.force_login(leader.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("programme:enrol", args=[cohort.pk]))
    assert "Kære Åse O'Neil & Co" in mailoutbox[0].body
    assert "Rådhuset <mødelokale 2>" in mailoutbox[0].body
