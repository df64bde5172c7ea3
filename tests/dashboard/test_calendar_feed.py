"""A leader's calendar feed: a secret address (webcal:// and https) their calendar program
subscribes to without signing in, always showing their current sessions; renewed from the
dashboard, after which the old address answers 404."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from icalendar import Calendar

import booking
from programme.calendar import session_uid
from programme.models import Leader, MakeUpBooking
from tests.conftest import local

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = "2016-01-20T10:00"


@pytest.fixture
def subscribed(client, leader, cohort, other_cohort):
    """The leader has a seat in Hold 1, a make-up seat at Hold 2's IT session, and has
    made their feed's address on the dashboard (then signed out)."""
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    makeup = other_cohort.sessions.get(module__order=2)
    MakeUpBooking.objects.create(leader=leader, session=makeup, booked_at=local(2016, 1, 6))
    client.force_login(leader.user)
    client.post(reverse("dashboard:renew_calendar_feed"))
    client.logout()
    leader.refresh_from_db()
    return leader


def feed_url(leader: Leader) -> str:
    return reverse("dashboard:calendar_feed", args=[leader.calendar_token])


def feed_events(client, url: str) -> dict[str, object]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["method"]) == "PUBLISH"
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def test_the_dashboard_offers_an_address_and_then_shows_it(client, leader, cohort):
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    client.force_login(leader.user)
    page = client.get(reverse("dashboard:dashboard"))
    assert "Lav en adresse til min kalender" in page.text
    assert "webcal://" not in page.text

    response = client.post(reverse("dashboard:renew_calendar_feed"), follow=True)
    leader.refresh_from_db()
    assert leader.calendar_token
    path = feed_url(leader)
    assert f'href="webcal://testserver{path}"' in response.text
    assert f'value="http://testserver{path}"' in response.text
    assert "Abonnér i min kalender" in response.text


def test_the_feed_needs_no_sign_in_and_holds_the_cohort_and_make_up_sessions(
    client, subscribed, cohort, other_cohort
):
    events = feed_events(client, feed_url(subscribed))  # no session cookie
    expected = [*cohort.sessions.all(), other_cohort.sessions.get(module__order=2)]
    assert set(events) == {session_uid(s) for s in expected}
    assert "sessionid" not in client.cookies


def test_the_feed_shows_the_moved_time_and_the_higher_sequence(client, subscribed, cohort):
    session = cohort.sessions.get(module__order=2)
    session.starts_at, session.ends_at = local(2016, 2, 10, 12), local(2016, 2, 10, 16)
    booking.save_session(session=session)
    event = feed_events(client, feed_url(subscribed))[session_uid(session)]
    assert event.decoded("dtstart") == dt.datetime(2016, 2, 10, 12, tzinfo=COPENHAGEN)
    assert int(event["sequence"]) == 1


def test_a_cancelled_place_leaves_the_feed(client, subscribed, cohort, other_cohort):
    booking.cancel(enrolment=subscribed.enrolments.get(), now=local(2016, 1, 20))
    events = feed_events(client, feed_url(subscribed))
    assert set(events) == {session_uid(other_cohort.sessions.get(module__order=2))}


def test_a_renewed_address_makes_the_old_one_answer_404(client, subscribed):
    old = feed_url(subscribed)
    client.force_login(subscribed.user)
    response = client.post(reverse("dashboard:renew_calendar_feed"), follow=True)
    assert "Din kalender har fået en ny adresse" in response.text
    client.logout()
    subscribed.refresh_from_db()
    new = feed_url(subscribed)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_another_leaders_address_never_shows_your_sessions(
    client, subscribed, colleague, cohort, other_cohort
):
    booking.enrol(leader=colleague, cohort=other_cohort, now=local(2016, 1, 5))
    token = colleague.renew_calendar_token()
    events = feed_events(client, reverse("dashboard:calendar_feed", args=[token]))
    assert set(events) == {session_uid(s) for s in other_cohort.sessions.all()}
    assert not set(events) & {session_uid(s) for s in cohort.sessions.all()}
    # An address nobody has, or of the wrong shape, is a 404.
    for wrong in ("x" * 43, subscribed.calendar_token[:-1], "a" * 200):
        assert client.get(reverse("dashboard:calendar_feed", args=[wrong])).status_code == 404


def test_a_leader_who_has_left_has_no_feed(client, subscribed):
    Leader.objects.filter(pk=subscribed.pk).update(left_on=dt.date(2016, 1, 10))
    assert client.get(feed_url(subscribed)).status_code == 404


def test_the_address_is_kept_out_of_the_history(subscribed):
    assert "calendar_token" not in {f.name for f in subscribed.history.model._meta.fields}
