"""E-mails about places and make-up seats: queued with the booking, in Danish, with a link
and the calendar, and sent exactly as written (no HTML escaping)."""

import pytest
from django.urls import reverse

import booking
from mail import notifications
from programme.models import Attendance, Enrolment, MakeUpBooking
from tests.conftest import local, queued, room, send_outbox


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = "2016-01-20T10:00"


@pytest.fixture
def small_cohort(open_cohort):
    """Hold 3, one seat, its first session still to come."""
    booking.set_capacity(cohort=open_cohort, capacity=1, now=local(2016, 1, 5))
    return open_cohort


def attachment_names(email) -> list[str]:
    return [a.name for a in email.attachments.all()]


def test_enrolling_queues_a_danish_confirmation_with_the_calendar_and_a_link(
    client, leader, cohort, mailoutbox
):
    client.force_login(leader.user)
    client.post(reverse("dashboard:enrol", args=[cohort.pk]))
    (email,) = queued()
    assert email.to == ["soeren@albertslund.dk"]
    assert email.subject == "Du er tilmeldt Hold 1"
    assert "Kære Søren Ærbø" in email.message
    assert "tirsdag 9. februar 2016, 09:00–15:00: IT, Albertslund Rådhus" in email.message
    assert "http://testserver/" in email.message
    assert attachment_names(email) == ["digital-ledelse.ics"]

    send_outbox()
    (message,) = mailoutbox
    assert message.subject == "Du er tilmeldt Hold 1"
    ((filename, content, mimetype),) = message.attachments
    assert (filename, mimetype) == ("digital-ledelse.ics", "text/calendar")
    assert content.count("BEGIN:VEVENT") == 3


def test_a_waitlist_place_is_confirmed_without_a_calendar(client, leader, colleague, small_cohort):
    booking.enrol(leader=colleague, cohort=small_cohort, now=local(2016, 1, 5))
    client.force_login(leader.user)
    client.post(reverse("dashboard:enrol", args=[small_cohort.pk]))
    email = queued()[-1]
    assert email.subject == "Du er på ventelisten til Hold 3"
    assert "så du er kommet på ventelisten" in email.message
    assert attachment_names(email) == []


def test_cancelling_confirms_it_and_tells_the_promoted_leader(
    client, leader, colleague, small_cohort
):
    seat = booking.enrol(leader=leader, cohort=small_cohort, now=local(2016, 1, 5))
    booking.enrol(leader=colleague, cohort=small_cohort, now=local(2016, 1, 6))
    before = len(queued())
    client.force_login(leader.user)
    client.post(reverse("dashboard:cancel", args=[seat.pk]))
    by_subject = {e.subject: e for e in queued()[before:]}
    assert set(by_subject) == {"Din plads på Hold 3 er afmeldt", "Du har fået en plads på Hold 3"}
    cancelled = by_subject["Din plads på Hold 3 er afmeldt"]
    promoted = by_subject["Du har fået en plads på Hold 3"]
    assert cancelled.to == [leader.user.email]
    # The seat's sessions still to come, cancelled in the leader's calendar.
    assert attachment_names(cancelled) == ["digital-ledelse.ics"]
    (attachment,) = cancelled.attachments.all()
    content = attachment.file.read().decode()
    assert "METHOD:CANCEL" in content and content.count("BEGIN:VEVENT") == 3
    assert "http://testserver/cohorts/" in cancelled.message
    assert promoted.to == [colleague.user.email]
    assert "Du er rykket fra ventelisten" in promoted.message
    assert attachment_names(promoted) == ["digital-ledelse.ics"]


def test_mail_is_in_the_portals_language_whatever_the_page_was_in(client, leader, cohort):
    # A promotion is caused by someone else's request; every booking e-mail therefore
    # uses the portal's language rather than the language of the page that caused it.
    client.force_login(leader.user)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("dashboard:enrol", args=[cohort.pk]), follow=True)
    assert "You are enrolled in Hold 1." in response.text
    (email,) = queued()
    assert email.subject == "Du er tilmeldt Hold 1"
    assert "tirsdag" in email.message


def test_plain_text_mail_is_not_html_escaped(client, leader, cohort, mailoutbox):
    leader.name = "Åse O'Neil & Co {{ name }}"
    leader.save()
    cohort.sessions.update(location=room("Rådhuset <mødelokale 2>", address=""))
    client.force_login(leader.user)
    client.post(reverse("dashboard:enrol", args=[cohort.pk]))
    send_outbox()
    # Exactly as written: not escaped, and a value that looks like a placeholder stays one.
    assert "Kære Åse O'Neil & Co {{ name }}" in mailoutbox[0].body
    assert "Rådhuset <mødelokale 2>" in mailoutbox[0].body


@pytest.fixture
def makeup_session(leader, cohort, other_cohort):
    """The leader has told HR they cannot come to Hold 1's IT session: Hold 2 has one."""
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    Attendance.objects.create(
        leader=leader, session=cohort.sessions.get(module__order=2), status="excused"
    )
    return other_cohort.sessions.get(module__order=2)


def test_a_make_up_seat_is_confirmed_with_the_session_in_a_calendar_file(
    leader, makeup_session, mailoutbox
):
    before = len(queued())
    booking.book_makeup(leader=leader, session=makeup_session, now=local(2016, 1, 20))
    (email,) = queued()[before:]
    assert email.subject == "Du har fået en plads til IT på Hold 2"
    assert "Hvornår: tirsdag 15. marts 2016, 09:00–15:00" in email.message
    assert "http://testserver/" in email.message
    send_outbox()
    (confirmed,) = [message for message in mailoutbox if message.subject == email.subject]
    ((filename, content, mimetype),) = confirmed.attachments
    assert (filename, mimetype) == ("digital-ledelse.ics", "text/calendar")
    assert "METHOD:PUBLISH" in content and content.count("BEGIN:VEVENT") == 1


def test_a_cancelled_make_up_seat_is_described_although_its_row_is_gone(
    leader, makeup_session, mailoutbox
):
    seat = booking.book_makeup(leader=leader, session=makeup_session, now=local(2016, 1, 20))
    before = len(queued())
    booking.cancel_makeup(booking=seat, now=local(2016, 1, 21))
    assert not MakeUpBooking.objects.exists()
    (email,) = queued()[before:]
    assert email.subject == "Din plads til IT på Hold 2 er afmeldt"
    assert "tirsdag 15. marts 2016" in email.message
    send_outbox()
    # The outbox sends by priority only: the booking's confirmation may leave after it.
    (cancelled,) = [message for message in mailoutbox if message.subject == email.subject]
    ((_name, content, _mimetype),) = cancelled.attachments
    assert "METHOD:CANCEL" in content and "STATUS:CANCELLED" in content


def test_a_closed_waitlist_tells_the_leader_and_lists_cohorts_with_free_seats(
    leader, colleague, small_cohort, other_cohort, programme
):
    booking.enrol(leader=colleague, cohort=small_cohort, now=local(2016, 1, 5))
    waiting = booking.enrol(leader=leader, cohort=small_cohort, now=local(2016, 1, 6))
    assert waiting.status == Enrolment.Status.WAITLISTED
    before = len(queued())
    # booking.py calls this hook when the cohort starts and its waitlist closes.
    notifications.queue_booking_email("waitlist_closed", waiting)
    (email,) = queued()[before:]
    assert email.subject == "Ventelisten til Hold 3 er lukket"
    assert "- Hold 2: 3 ledige pladser, tilmelding senest 15. februar 2016" in email.message
    assert "Hold 3:" not in email.message  # full
    assert "http://testserver/cohorts/" in email.message


def test_every_e_mail_links_to_a_page_that_opens(client, leader, colleague, cohort, other_cohort):
    """One of each kind: enrolment, waitlist, cancellation, promotion, make-up, reminders,
    invitation and password reset; every link in them opens for the leader it went to."""
    import re

    from accounts import invitations
    from mail.reminders import send_reminders

    booking.set_capacity(cohort=cohort, capacity=1, now=local(2016, 1, 5))
    seat = booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    waiting = booking.enrol(leader=colleague, cohort=cohort, now=local(2016, 1, 6))
    notifications.queue_booking_email("waitlist_closed", waiting)
    booking.cancel(enrolment=seat, now=local(2016, 1, 7))
    booking.enrol(leader=leader, cohort=other_cohort, now=local(2016, 1, 8))
    # The promoted colleague cannot come to Hold 1's IT session and takes Hold 2's instead.
    Attendance.objects.create(
        leader=colleague, session=cohort.sessions.get(module__order=2), status="excused"
    )
    makeup = booking.book_makeup(
        leader=colleague, session=other_cohort.sessions.get(module__order=2), now=local(2016, 1, 9)
    )
    booking.cancel_makeup(booking=makeup, now=local(2016, 1, 10))
    send_reminders(days=40, now=local(2016, 1, 20))
    invitations.invite(leader)
    client.post(reverse("password_reset"), {"email": colleague.user.email})

    subjects = [e.subject for e in queued()]
    assert len(subjects) >= 11, subjects
    users = {leader.user.email: leader.user, colleague.user.email: colleague.user}
    for email in queued():
        links = re.findall(r"http://testserver(/\S*)", email.message)
        assert links, f"no link in “{email.subject}”"
        client.force_login(users[email.to[0]])
        for link in links:
            response = client.get(link, follow=True)
            assert response.status_code == 200, (email.subject, link)
        client.logout()
