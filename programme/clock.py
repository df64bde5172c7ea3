"""The portal's notion of "now".

Production uses the real clock. The programme ran in 2015–2016, so the demo
(``make run``) sets ``PORTAL_CLOCK`` to a moment inside it, e.g.
``2016-01-18T09:00``: the clock then starts there and runs on at normal speed,
so enrolment deadlines are open and bookings keep their order of arrival.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone


@functools.cache
def _offset(start: str) -> dt.timedelta:
    moment = dt.datetime.fromisoformat(start)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment - timezone.now()


@receiver(setting_changed)
def _start_again(setting: str, **kwargs) -> None:
    """A new PORTAL_CLOCK (a test, override_settings) starts at its moment, not at the
    moment plus however long ago the same value was first read in this process."""
    if setting == "PORTAL_CLOCK":
        _offset.cache_clear()


def now() -> dt.datetime:
    start = settings.PORTAL_CLOCK
    if not start:
        return timezone.now()
    return timezone.now() + _offset(start)


def today() -> dt.date:
    return timezone.localdate(now())
