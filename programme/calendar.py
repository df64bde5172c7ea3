"""Sessions as iCalendar (RFC 5545) files that Outlook opens.

Times are written in Europe/Copenhagen with its VTIMEZONE, so a 09:00 session
stays at 09:00 on either side of the change to summer time.

Each session is one entry in a calendar: the same ``UID`` in every file, and its
``SEQUENCE`` (``Session.sequence``) raised with every change of its time or room. A file
is one of three kinds (``METHOD``): ``PUBLISH`` (a download, a feed, the file sent with a
seat), ``REQUEST`` (the update sent when HR moves a session or changes its room: it
replaces the entry of the same UID), or ``CANCEL`` (a place or session cancelled: it
removes the entry). REQUEST and CANCEL are scheduling messages (RFC 5546), which name
an organizer (the facilitator, else HR) and the leader they are sent to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
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

from programme.models import Enrolment, Leader, Programme, Session

PRODID = "-//Albertslund Kommune//Digital ledelse//DA"
UID_DOMAIN = "digital-ledelse.albertslund.dk"


def feed_addresses(leader: Leader | None) -> dict[str, str] | None:
    """A leader's calendar feed's https and webcal addresses (``dashboard/feeds.py``), or
    None while the leader has none."""
    if leader is None or not leader.calendar_token:
        return None
    https = settings.PORTAL_URL + reverse("dashboard:calendar_feed", args=[leader.calendar_token])
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[1]}


def session_uid(session: Session) -> str:
    """Stable across downloads so a calendar updates the event instead of adding one."""
    return f"session-{session.pk}@{UID_DOMAIN}"


def schedule(leader: Leader, programme: Programme):
    """The leader's sessions in the programme: their cohort's (with a seat) and their
    make-ups, in order, ready for :func:`build_calendar`."""
    sessions = Session.objects.filter(
        Q(
            cohort__enrolments__leader=leader,
            cohort__enrolments__status=Enrolment.Status.ENROLLED,
        )
        | Q(makeups__leader=leader),
        cohort__programme=programme,
    )
    return (
        sessions.distinct()
        .select_related("module", "cohort", "location", "facilitator")
        .order_by("starts_at")
    )


def _address(email: str, name: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["cn"] = vText(name)
    return address


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


PUBLISH, REQUEST, CANCEL = "PUBLISH", "REQUEST", "CANCEL"


def build_calendar(
    sessions: Iterable[Session],
    *,
    name: str,
    cancelled: bool = False,
    method: str | None = None,
    attendee: tuple[str, str] | None = None,
) -> bytes:
    """Sessions need ``module``, ``cohort``, ``location`` and ``facilitator`` fetched
    (select_related) by the caller.

    ``cancelled`` (or ``method=CANCEL``) writes a cancellation (METHOD:CANCEL,
    STATUS:CANCELLED) of the same events, which removes them from a calendar that holds
    them; ``method=REQUEST`` an update that replaces them. ``attendee`` (name, e-mail)
    is the leader a REQUEST or CANCEL is sent to.
    """
    method = method or (CANCEL if cancelled else PUBLISH)
    scheduling = method in (REQUEST, CANCEL)
    tz = timezone.get_default_timezone()
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    if settings.TIME_ZONE == "Europe/Copenhagen":
        cal.add_component(copenhagen_vtimezone())
    for session in sessions:
        event = Event()
        event.add("uid", session_uid(session))
        event.add("sequence", session.sequence)
        event.add("dtstamp", timezone.now())
        event.add("dtstart", timezone.localtime(session.starts_at, tz))
        event.add("dtend", timezone.localtime(session.ends_at, tz))
        event.add("summary", f"{session.module.title} – {session.cohort.name}")
        event["location"] = vText(session.location.full_address)
        if method == CANCEL:
            event.add("status", "CANCELLED")
        elif scheduling:
            event.add("status", "CONFIRMED")
        facilitator = session.facilitator
        if facilitator and facilitator.email:
            event["organizer"] = _address(facilitator.email, facilitator.name)
        elif scheduling:
            # A scheduling message must name its organizer: HR, who plans the sessions.
            event["organizer"] = _address(settings.HR_CONTACT_EMAIL, settings.HR_CONTACT_NAME)
        if scheduling and attendee:
            person = _address(attendee[1], attendee[0])
            person.params["role"] = vText("REQ-PARTICIPANT")
            person.params["rsvp"] = vText("FALSE")
            event["attendee"] = person
        if facilitator:
            event.add(
                "description", gettext("Facilitator: %(name)s") % {"name": facilitator.display}
            )
        cal.add_component(event)
    # Only adds a VTIMEZONE for a zone not already written above.
    cal.add_missing_timezones()
    return cal.to_ical()
