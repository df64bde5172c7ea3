"""Calendar files (.ics) for one session and for a leader's whole schedule."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from icalendar import Calendar

import booking
from programme.models import Cohort
from tests.conftest import local, make_session

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = "2016-01-20T10:00"


def events(response):
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    return Calendar.from_ical(response.content), list(
        Calendar.from_ical(response.content).walk("VEVENT")
    )


def test_a_session_file_has_uid_times_place_and_summary(client, leader, cohort):
    session = cohort.sessions.get(module__order=2)
    client.force_login(leader.user)
    _, (event,) = events(client.get(reverse("dashboard:session_ics", args=[session.pk])))
    assert str(event["uid"]) == f"session-{session.pk}@digital-ledelse.albertslund.dk"
    assert str(event["summary"]) == "IT – Hold 1"
    assert (
        str(event["location"]) == "Albertslund Rådhus, Hold 1, Nordmarks Allé 1, 2620 Albertslund"
    )
    assert event.decoded("dtstart") == dt.datetime(2016, 2, 9, 9, tzinfo=COPENHAGEN)
    assert event.decoded("dtend") == dt.datetime(2016, 2, 9, 15, tzinfo=COPENHAGEN)


def test_the_uid_is_the_same_on_every_download(client, leader, cohort):
    session = cohort.sessions.first()
    client.force_login(leader.user)
    url = reverse("dashboard:session_ics", args=[session.pk])
    first, second = events(client.get(url))[1][0], events(client.get(url))[1][0]
    assert first["uid"] == second["uid"]


def test_a_nine_oclock_session_stays_at_nine_across_summer_time(client, leader, programme, modules):
    """Summer time began on 27 March 2016: 09:00 is 08:00 UTC before and 07:00 UTC after."""
    cohort = Cohort.objects.create(
        programme=programme, name="Hold DST", capacity=5, enrolment_deadline=dt.date(2016, 2, 1)
    )
    make_session(cohort, modules[0], local(2016, 2, 16, 9))
    make_session(cohort, modules[1], local(2016, 4, 12, 9))
    booking.enrol(leader=leader, cohort=cohort)
    client.force_login(leader.user)
    response = client.get(reverse("dashboard:schedule_ics"))
    calendar, (february, april) = events(response)

    assert b"DTSTART;TZID=Europe/Copenhagen:20160412T090000" in response.content
    for event, utc_hour in ((february, 8), (april, 7)):
        start = event.decoded("dtstart")
        assert (start.hour, start.minute) == (9, 0)
        assert start.astimezone(dt.UTC).hour == utc_hour
    # The file's own VTIMEZONE (what Outlook reads) agrees with the tz database.
    (vtimezone,) = calendar.walk("VTIMEZONE")
    assert str(vtimezone["tzid"]) == "Europe/Copenhagen"
    own_zone = vtimezone.to_tz()
    for day in (dt.datetime(2016, 2, 16, 9), dt.datetime(2016, 4, 12, 9)):
        assert (
            day.replace(tzinfo=own_zone).utcoffset() == day.replace(tzinfo=COPENHAGEN).utcoffset()
        )


def test_the_schedule_has_the_cohorts_sessions_and_make_ups_only(
    client, leader, cohort, other_cohort
):
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    makeup = other_cohort.sessions.get(module__order=1)
    booking.book_makeup(leader=leader, session=makeup, now=local(2016, 1, 20))
    client.force_login(leader.user)
    _, found = events(client.get(reverse("dashboard:schedule_ics")))
    expected = {*cohort.sessions.values_list("pk", flat=True), makeup.pk}
    assert {str(e["uid"]) for e in found} == {
        f"session-{pk}@digital-ledelse.albertslund.dk" for pk in expected
    }


def test_a_waitlisted_leaders_schedule_is_empty(client, leader, colleague, open_cohort):
    booking.set_capacity(cohort=open_cohort, capacity=1, now=local(2016, 1, 5))
    booking.enrol(leader=colleague, cohort=open_cohort, now=local(2016, 1, 5))
    assert booking.enrol(leader=leader, cohort=open_cohort, now=local(2016, 1, 6)).position == 1
    client.force_login(leader.user)
    assert events(client.get(reverse("dashboard:schedule_ics")))[1] == []


def test_hr_without_a_leader_profile_has_no_schedule(client, hr, cohort):
    client.force_login(hr)
    assert client.get(reverse("dashboard:schedule_ics")).status_code == 403


def test_an_anonymous_visitor_gets_no_calendar(client, cohort):
    response = client.get(reverse("dashboard:session_ics", args=[cohort.sessions.first().pk]))
    assert response.status_code == 302
