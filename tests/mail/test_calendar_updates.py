"""Calendars that follow changes: when HR moves a session or changes its room, every
leader holding it (a seat in its cohort, or a make-up seat at it) is sent an update that
replaces the calendar's entry (the same UID, a higher SEQUENCE, METHOD:REQUEST); a
cancelled place or session is sent METHOD:CANCEL with the same UID. Parsed with
icalendar, as a calendar program reads them."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.urls import reverse
from icalendar import Calendar

import booking
from programme.calendar import session_uid
from programme.models import MakeUpBooking, Session
from tests.conftest import local, queued, room, send_outbox
from tests.forms import form_fields

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = "2016-01-20T10:00"


@pytest.fixture
def holders(leader, colleague, outsider, cohort, other_cohort):
    """Hold 1's IT session (9 February) is held by the leader (a seat in Hold 1) and the
    colleague (a seat in Hold 2, and a make-up seat at it); the outsider holds only
    Hold 2's sessions."""
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    booking.enrol(leader=colleague, cohort=other_cohort, now=local(2016, 1, 5))
    booking.enrol(leader=outsider, cohort=other_cohort, now=local(2016, 1, 5))
    session = cohort.sessions.get(module__order=2)
    MakeUpBooking.objects.create(leader=colleague, session=session, booked_at=local(2016, 1, 6))
    return session


def sent_since(count: int, mailoutbox) -> dict[str, list]:
    """The e-mails queued after the first ``count``, sent, by recipient."""
    emails = queued()[count:]
    mailoutbox.clear()
    send_outbox()
    by_to: dict[str, list] = {}
    for message in mailoutbox:
        if message.subject in {e.subject for e in emails}:
            by_to.setdefault(message.to[0], []).append(message)
    return by_to


def calendar_of(message) -> tuple[Calendar, str]:
    ((filename, content, mimetype),) = message.attachments
    assert filename.endswith(".ics")
    return Calendar.from_ical(content), mimetype


def the_event(calendar: Calendar):
    (event,) = calendar.walk("VEVENT")
    return event


def test_a_moved_session_updates_the_entry_of_every_leader_holding_it(
    leader, colleague, outsider, holders, mailoutbox
):
    # The entry as the leader's calendar holds it: from the enrolment's e-mail.
    send_outbox()
    (enrolled,) = [m for m in mailoutbox if m.to == [leader.user.email]]
    ((_name, content, _type),) = enrolled.attachments
    original = {str(e["uid"]): e for e in Calendar.from_ical(content).walk("VEVENT")}[
        session_uid(holders)
    ]
    before = len(queued())

    holders.starts_at, holders.ends_at = local(2016, 2, 10, 12), local(2016, 2, 10, 16)
    booking.save_session(session=holders)

    sent = sent_since(before, mailoutbox)
    assert set(sent) == {leader.user.email, colleague.user.email}  # not the outsider
    for (message,) in sent.values():
        assert message.subject == "Ændret mødegang: IT med Hold 1"
        assert "Hvornår: onsdag 10. februar 2016, 12:00–16:00" in message.body
        assert "Før ændringen: tirsdag 9. februar 2016, 09:00–15:00" in message.body
        calendar, mimetype = calendar_of(message)
        assert mimetype == "text/calendar; method=REQUEST"
        # As Outlook reads it: a scheduling message's part says its method.
        parsed = message_from_bytes(message.message().as_bytes(), policy=policy.default)
        (part,) = parsed.iter_attachments()
        assert part.get_content_type() == "text/calendar"
        assert part.get_param("method") == "REQUEST"
        assert str(calendar["method"]) == "REQUEST"
        event = the_event(calendar)
        assert str(event["uid"]) == str(original["uid"]) == session_uid(holders)
        assert int(event["sequence"]) > int(original["sequence"])
        assert event.decoded("dtstart") == dt.datetime(2016, 2, 10, 12, tzinfo=COPENHAGEN)
        assert event.decoded("dtend") == dt.datetime(2016, 2, 10, 16, tzinfo=COPENHAGEN)
        assert str(event["attendee"]) == f"mailto:{message.to[0]}"
        assert str(event["organizer"]).startswith("mailto:")


def test_a_room_changed_in_bulk_is_an_update_too(leader, colleague, holders, mailoutbox):
    before = len(queued())
    Session.objects.filter(pk=holders.pk).update(
        location=room("Musikteatret", address="Sletteland 2, 2620 Albertslund")
    )
    holders.refresh_from_db()
    assert holders.sequence == 1
    sent = sent_since(before, mailoutbox)
    assert set(sent) == {leader.user.email, colleague.user.email}
    for (message,) in sent.values():
        calendar, _type = calendar_of(message)
        assert str(calendar["method"]) == "REQUEST"
        event = the_event(calendar)
        assert str(event["uid"]) == session_uid(holders)
        assert int(event["sequence"]) == 1
        assert "Sletteland 2" in str(event["location"])


def test_hr_changing_the_room_on_the_session_page_sends_the_update(
    client, hr, leader, colleague, holders
):
    new_room = room("Musikteatret", address="Sletteland 2, 2620 Albertslund")
    client.force_login(hr)
    url = reverse("admin:programme_session_change", args=[holders.pk])
    data = form_fields(client.get(url).text, "session_form")
    data["location"] = str(new_room.pk)
    before = len(queued())
    assert client.post(url, data).status_code == 302
    holders.refresh_from_db()
    assert (holders.location, holders.sequence) == (new_room, 1)
    emails = queued()[before:]
    assert sorted(e.to[0] for e in emails) == sorted([leader.user.email, colleague.user.email])
    for email in emails:
        (attachment,) = email.attachments.all()
        calendar = Calendar.from_ical(attachment.file.read())
        assert str(calendar["method"]) == "REQUEST"
        assert int(the_event(calendar)["sequence"]) == 1


def test_each_change_raises_the_sequence_and_other_saves_do_not(holders):
    holders.starts_at += dt.timedelta(hours=1)
    holders.ends_at += dt.timedelta(hours=1)
    holders.save()
    holders.ends_at += dt.timedelta(hours=1)
    holders.save()
    holders.refresh_from_db()
    assert holders.sequence == 2
    before = len(queued())
    holders.save()  # nothing a calendar shows changed
    Session.objects.filter(pk=holders.pk).update(closed_at=None)
    holders.refresh_from_db()
    assert holders.sequence == 2
    assert len(queued()) == before


def test_a_change_that_rolls_back_sends_nothing(holders):
    before = len(queued())
    with pytest.raises(RuntimeError), transaction.atomic():
        holders.starts_at += dt.timedelta(hours=1)
        holders.ends_at += dt.timedelta(hours=1)
        holders.save()
        raise RuntimeError
    assert len(queued()) == before
    assert Session.objects.get(pk=holders.pk).sequence == 0


def test_a_deleted_session_is_cancelled_with_the_same_uid(leader, colleague, cohort, holders):
    march = cohort.sessions.get(module__order=3)  # no make-ups or attendance
    uid = session_uid(march)
    before = len(queued())
    booking.delete_session(session=march)
    (email,) = queued()[before:]
    assert email.to == [leader.user.email]
    assert email.subject == "Aflyst: Inspiration med Hold 1"
    assert "Den vedhæftede kalenderfil fjerner mødegangen fra Outlook." in email.message
    (attachment,) = email.attachments.all()
    calendar = Calendar.from_ical(attachment.file.read())
    assert str(calendar["method"]) == "CANCEL"
    event = the_event(calendar)
    assert str(event["uid"]) == uid
    assert str(event["status"]) == "CANCELLED"


def test_a_cancelled_place_cancels_the_sessions_still_to_come(leader, cohort, mailoutbox):
    seat = booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    before = len(queued())
    booking.cancel(enrolment=seat, now=local(2016, 1, 20))
    sent = sent_since(before, mailoutbox)
    ((message,),) = sent.values()
    assert message.subject == "Din plads på Hold 1 er afmeldt"
    calendar, _type = calendar_of(message)
    assert str(calendar["method"]) == "CANCEL"
    to_come = cohort.sessions.filter(ends_at__gt=local(2016, 1, 20, 10))
    assert {str(e["uid"]) for e in calendar.walk("VEVENT")} == {session_uid(s) for s in to_come}
    assert all(str(e["status"]) == "CANCELLED" for e in calendar.walk("VEVENT"))


def test_a_session_moved_to_another_cohort_is_cancelled_for_the_old_cohort(
    leader, outsider, cohort, other_cohort, holders, mailoutbox
):
    march = cohort.sessions.get(module__order=3)
    previous = march.cohort_id
    march.cohort = other_cohort
    march.starts_at, march.ends_at = local(2016, 3, 9, 9), local(2016, 3, 9, 15)
    before = len(queued())
    booking.save_session(session=march, previous_cohort_id=previous)
    sent = sent_since(before, mailoutbox)
    ((cancelled,),) = [sent[leader.user.email]]
    assert str(calendar_of(cancelled)[0]["method"]) == "CANCEL"
    # Hold 2's leaders hold it now: they are sent it.
    ((added,),) = [sent[outsider.user.email]]
    assert str(calendar_of(added)[0]["method"]) == "REQUEST"
    assert str(the_event(calendar_of(added)[0])["uid"]) == session_uid(march)


def test_a_session_already_over_tells_nobody(leader, cohort, holders):
    january = cohort.sessions.get(module__order=1)  # 12 January, before the clock
    before = len(queued())
    january.starts_at += dt.timedelta(hours=1)
    january.save()
    assert len(queued()) == before
    january.refresh_from_db()
    assert january.sequence == 1
