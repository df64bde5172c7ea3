"""A module's state at a moment: the working days, when a session's attendance is due
(*awaiting registration* until then), when a leader has *missed* it, and the state that
follows from the moments a module's progress keeps (:func:`module_state`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import suppress
from functools import lru_cache, partial

import holidays
from django.conf import settings
from django.db.models import (
    OuterRef,
    Subquery,
)
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import get_text_list
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from programme.models import Attendance, Enrolment, Leader, Module, Session


class ModuleState:
    COMPLETED = "completed"
    UPCOMING = "upcoming"
    AWAITING = "awaiting"
    MISSED = "missed"
    NOT_BOOKED = "not_booked"

    LABELS = {
        COMPLETED: _("Completed"),
        UPCOMING: _("Upcoming"),
        AWAITING: _("Awaiting registration"),
        MISSED: _("Missed"),
        NOT_BOOKED: _("Not booked"),
    }


@lru_cache(maxsize=32)
def _closed_days(year: int, closed: tuple[tuple[int, int], ...]) -> frozenset[dt.date]:
    """The days of ``year`` on which the municipality is closed: Denmark's public holidays
    (the ``holidays`` library knows them per year: Store Bededag until 2023) and the days
    of ``CLOSED_DAYS`` (24 and 31 December and Grundlovsdag, 5 June)."""
    days = set(holidays.country_holidays("DK", years=year))
    for month, day in closed:
        with suppress(ValueError):  # 29 February, in a year without one
            days.add(dt.date(year, month, day))
    return frozenset(days)


def closed_days_in_words() -> str:
    """``CLOSED_DAYS`` as HR reads them: "24. december (juleaftensdag), … og 5. juni
    (grundlovsdag)", named by the ``holidays`` library's optional category where it can."""
    danish = not get_language().startswith("en")
    # A leap year, so that 29 February can be written too; these days keep their date.
    names = holidays.country_holidays(
        "DK", years=2016, categories=(holidays.OPTIONAL,), language="da" if danish else "en_US"
    )
    words = []
    for month, day in settings.CLOSED_DAYS:
        date = dt.date(2016, month, day)
        text = date_format(date, "j. F" if danish else "j F")
        if name := names.get(date):
            text += f" ({name.lower() if danish else name})"
        words.append(text)
    return str(get_text_list(words, gettext("and")))


def registration_due(ends_at: dt.datetime) -> dt.datetime:
    """When a session with no attendance recorded counts as missed: at the same time of
    day, ``ATTENDANCE_GRACE_WORKING_DAYS`` working days after the day it ended."""
    return registration_due_now()(ends_at)


def registration_due_now() -> Callable[[dt.datetime], dt.datetime]:
    """:func:`registration_due` under the settings as they are now, for many sessions:
    asked for every session of a national programme (``refresh_standings``), each end
    counted once per setting."""
    return partial(
        _registration_due,
        zone=timezone.get_current_timezone_name(),
        grace=settings.ATTENDANCE_GRACE_WORKING_DAYS,
        closed=tuple(settings.CLOSED_DAYS),
    )


@lru_cache(maxsize=100_000)
def _registration_due(
    ends_at: dt.datetime, zone: str, grace: int, closed: tuple[tuple[int, int], ...]
) -> dt.datetime:
    local = timezone.localtime(ends_at)
    day, left = local.date(), grace
    while left > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in _closed_days(day.year, closed):
            left -= 1
    return timezone.make_aware(dt.datetime.combine(day, local.time().replace(tzinfo=None)))


def missed_from(
    ends_at: dt.datetime, status: str | None, *, due: dt.datetime | None = None
) -> dt.datetime | None:
    """The one definition of "missed": from when a session the leader is expected at
    counts as missed. Never when they were present or late; at its end when recorded
    absent or excused; when its registration is due (:func:`registration_due`, or
    ``due`` when the caller knows it) when nothing is recorded: until then it is
    *awaiting registration*, not missed."""
    if status in Attendance.COMPLETING:
        return None
    if status is not None:
        return ends_at
    return due if due is not None else registration_due(ends_at)


def own_cohort_state(leader: Leader, module: Module, now: dt.datetime) -> str | None:
    """Where the leader stands at ``now`` with ``module``'s sessions in their own cohort,
    by :func:`missed_from`: what a make-up seat asks (booking/).

    ``ModuleState.MISSED`` when one is missed, or recorded excused ahead of it (a make-up
    may come first); else ``ModuleState.AWAITING`` when one has ended and its attendance
    is not recorded yet; else None.
    """
    recorded = Attendance.objects.filter(leader=leader, session=OuterRef("pk"))
    own = Session.objects.filter(
        module=module,
        cohort__enrolments__leader=leader,
        cohort__enrolments__status=Enrolment.Status.ENROLLED,
    ).annotate(status=Subquery(recorded.values("status")[:1]))
    state = None
    for ends_at, status in own.values_list("ends_at", "status"):
        missed = missed_from(ends_at, status)
        if missed is not None and (missed <= now or status == Attendance.Status.EXCUSED):
            return ModuleState.MISSED
        if missed is not None and ends_at <= now:
            state = ModuleState.AWAITING
    return state


def module_state(
    completed_at: dt.datetime | None,
    expected_until: dt.datetime | None,
    missed_from: dt.datetime | None,
    now: dt.datetime,
) -> str:
    """A module's state at ``now`` from the three moments stored for it.

    Completed beats everything; a session still to come (or under way) makes it
    upcoming; then missed; a session over but not yet recorded, awaiting.
    """
    if completed_at is not None:
        return ModuleState.COMPLETED
    if expected_until is not None and now < expected_until:
        return ModuleState.UPCOMING
    if missed_from is not None and missed_from <= now:
        return ModuleState.MISSED
    if expected_until is not None:
        return ModuleState.AWAITING
    return ModuleState.NOT_BOOKED
