"""Sessions as iCalendar (RFC 5545) files that Outlook opens.

Times are written in Europe/Copenhagen with its VTIMEZONE, so a 09:00 session
stays at 09:00 on either side of the change to summer time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vText,
)

from programme.models import Session

PRODID = "-//Albertslund Kommune//Digital ledelse//DA"
UID_DOMAIN = "digital-ledelse.albertslund.dk"


def session_uid(session: Session) -> str:
    """Stable across downloads so a calendar updates the event instead of adding one."""
    return f"session-{session.pk}@{UID_DOMAIN}"


def copenhagen_vtimezone() -> Timezone:
    """Europe/Copenhagen as yearly rules (EU summer time since 1996).

    icalendar can derive a VTIMEZONE from the tz database, but it writes the
    transitions as RDATE lists, which Outlook ignores: it then shifts every
    summer-time event by an hour. Yearly RRULEs are what Outlook itself writes.
    """
    tz = Timezone()
    tz.add("tzid", "Europe/Copenhagen")
    tz.add("x-lic-location", "Europe/Copenhagen")
    summer = TimezoneDaylight()
    summer.add("tzname", "CEST")
    summer.add("dtstart", dt.datetime(1970, 3, 29, 2, 0))
    summer.add("tzoffsetfrom", dt.timedelta(hours=1))
    summer.add("tzoffsetto", dt.timedelta(hours=2))
    summer.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1su"})
    winter = TimezoneStandard()
    winter.add("tzname", "CET")
    winter.add("dtstart", dt.datetime(1970, 10, 25, 3, 0))
    winter.add("tzoffsetfrom", dt.timedelta(hours=2))
    winter.add("tzoffsetto", dt.timedelta(hours=1))
    winter.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1su"})
    tz.add_component(summer)
    tz.add_component(winter)
    return tz


def build_calendar(sessions: Iterable[Session], *, name: str, cancelled: bool = False) -> bytes:
    """Sessions need ``module``, ``cohort``, ``location`` and ``facilitator`` fetched
    (select_related) by the caller.

    ``cancelled`` writes a cancellation (METHOD:CANCEL, STATUS:CANCELLED) of the same
    events, which removes them from a calendar that holds them.
    """
    tz = timezone.get_default_timezone()
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    if settings.TIME_ZONE == "Europe/Copenhagen":
        cal.add_component(copenhagen_vtimezone())
    for session in sessions:
        event = Event()
        event.add("uid", session_uid(session))
        event.add("dtstamp", timezone.now())
        event.add("dtstart", timezone.localtime(session.starts_at, tz))
        event.add("dtend", timezone.localtime(session.ends_at, tz))
        event.add("summary", f"{session.module.title} – {session.cohort.name}")
        event["location"] = vText(session.location.full_address)
        if cancelled:
            event.add("status", "CANCELLED")
        if session.facilitator:
            facilitator = session.facilitator
            if facilitator.email:
                organizer = vCalAddress(f"mailto:{facilitator.email}")
                organizer.params["cn"] = vText(facilitator.name)
                event["organizer"] = organizer
            event.add(
                "description", gettext("Facilitator: %(name)s") % {"name": facilitator.display}
            )
        cal.add_component(event)
    # Only adds a VTIMEZONE for a zone not already written above.
    cal.add_missing_timezones()
    return cal.to_ical()
