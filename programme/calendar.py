"""Sessions as iCalendar (RFC 5545) files that Outlook opens.

Times are written in Europe/Copenhagen with its VTIMEZONE, so a 09:00 session
stays at 09:00 on either side of the change to summer time.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vText

from .models import Session

PRODID = "-//Albertslund Kommune//Digital ledelse//DA"


def session_uid(session: Session) -> str:
    """Stable across downloads so a calendar updates the event instead of adding one."""
    return f"session-{session.pk}@digital-ledelse.albertslund.dk"


def build_calendar(sessions: Iterable[Session], *, name: str) -> bytes:
    tz = timezone.get_default_timezone()
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    for session in sessions:
        event = Event()
        event.add("uid", session_uid(session))
        event.add("dtstamp", timezone.now())
        event.add("dtstart", timezone.localtime(session.starts_at, tz))
        event.add("dtend", timezone.localtime(session.ends_at, tz))
        event.add("summary", f"{session.module.title} – {session.cohort.name}")
        event["location"] = vText(session.location)
        if session.facilitator:
            event.add("description", session.facilitator)
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
