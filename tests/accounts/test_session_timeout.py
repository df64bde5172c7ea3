"""Sessions end after SESSION_IDLE_TIMEOUT without a request, and SESSION_ABSOLUTE_TIMEOUT
after signing in however busy the user is (portal/middleware.py)."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from portal.middleware import LAST_SEEN_AT, SIGNED_IN_AT


@pytest.fixture
def signed_in(client, leader):
    client.force_login(leader.user)
    assert client.get(reverse("privacy:my_data")).status_code == 200
    return client


def age(client, **seconds_ago: int) -> None:
    """Move the session's timestamps into the past."""
    session = client.session
    now = int(time.time())
    if "last_seen" in seconds_ago:
        session[LAST_SEEN_AT] = now - seconds_ago["last_seen"]
    if "signed_in" in seconds_ago:
        session[SIGNED_IN_AT] = now - seconds_ago["signed_in"]
    session.save()


def test_the_timeouts_are_half_an_hour_idle_and_eight_hours_in_all(settings):
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60
    assert settings.SESSION_ABSOLUTE_TIMEOUT == 8 * 60 * 60
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_ABSOLUTE_TIMEOUT


def test_29_minutes_idle_keeps_the_user_signed_in(signed_in):
    age(signed_in, last_seen=29 * 60)
    assert signed_in.get(reverse("privacy:my_data")).status_code == 200


def test_31_minutes_idle_signs_the_user_out_and_says_why(signed_in):
    age(signed_in, last_seen=31 * 60)
    response = signed_in.get(reverse("privacy:my_data"), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert "30 minutter uden aktivitet" in response.content.decode()
    assert "_auth_user_id" not in signed_in.session


def test_an_active_user_is_signed_out_eight_hours_after_signing_in(signed_in):
    age(signed_in, last_seen=60, signed_in=8 * 60 * 60 + 1)
    response = signed_in.get(reverse("privacy:my_data"), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert "for mere end 8 timer siden" in response.content.decode()


def test_activity_is_written_at_most_once_a_minute(signed_in):
    age(signed_in, last_seen=10)
    before = signed_in.session[LAST_SEEN_AT]
    signed_in.get(reverse("privacy:my_data"))
    assert signed_in.session[LAST_SEEN_AT] == before
    age(signed_in, last_seen=61)
    signed_in.get(reverse("privacy:my_data"))
    assert signed_in.session[LAST_SEEN_AT] >= int(time.time()) - 1


def test_signing_in_again_starts_a_new_lifetime(client, leader):
    client.force_login(leader.user)
    client.get(reverse("privacy:my_data"))
    age(client, signed_in=8 * 60 * 60 + 1)
    client.get(reverse("privacy:my_data"))  # signed out
    client.force_login(leader.user)
    assert client.get(reverse("privacy:my_data")).status_code == 200
