"""The portal's clock: the demo's moment, running on from when it is set."""

from __future__ import annotations

import datetime as dt
import time

from django.utils import timezone

from programme import clock

MOMENT = "2016-01-18T09:00"


def _moment() -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(MOMENT))


def test_the_clock_starts_at_the_moment_set_and_runs_on(settings):
    settings.PORTAL_CLOCK = MOMENT
    first = clock.now()
    assert abs(first - _moment()) < dt.timedelta(seconds=1)
    time.sleep(0.3)
    assert clock.now() - first >= dt.timedelta(seconds=0.3)


def test_setting_the_same_moment_again_starts_the_clock_there_again(settings):
    """Not at the moment plus the time since the same value was first set in this
    process: a test setting a moment after a long run meets that moment."""
    settings.PORTAL_CLOCK = MOMENT
    clock.now()
    time.sleep(0.5)
    settings.PORTAL_CLOCK = ""
    settings.PORTAL_CLOCK = MOMENT
    assert abs(clock.now() - _moment()) < dt.timedelta(seconds=0.4)
