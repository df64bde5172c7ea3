"""E-mails to leaders about their bookings.

Called through ``transaction.on_commit`` by :mod:`programme.booking`, so a
failure to send is logged and never undoes a booking.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from .calendar import build_calendar
from .models import Enrolment

logger = logging.getLogger(__name__)

SUBJECTS = {
    "enrolled": lambda e: _("You are enrolled in %(cohort)s") % {"cohort": e.cohort.name},
    "waitlisted": lambda e: _("You are on the waitlist for %(cohort)s") % {"cohort": e.cohort.name},
    "promoted": lambda e: _("You have a seat in %(cohort)s") % {"cohort": e.cohort.name},
    "cancelled": lambda e: _("Your place in %(cohort)s is cancelled") % {"cohort": e.cohort.name},
}
# Only a seat comes with the sessions for the calendar.
WITH_CALENDAR = {"enrolled", "promoted"}


def send_booking_email(kind: str, enrolment_id: int) -> None:
    # In the portal's language, not the language of whoever's request caused it: a
    # promotion is set off by another leader's cancellation. No per-user language is kept.
    with translation.override(settings.LANGUAGE_CODE):
        _send_booking_email(kind, enrolment_id)


def _send_booking_email(kind: str, enrolment_id: int) -> None:
    enrolment = Enrolment.objects.select_related("leader__user", "cohort__programme").get(
        pk=enrolment_id
    )
    sessions = list(enrolment.cohort.sessions.select_related("module", "cohort"))
    body = render_to_string(
        f"emails/{kind}.txt",
        {"enrolment": enrolment, "leader": enrolment.leader, "sessions": sessions},
    )
    message = EmailMessage(
        subject=SUBJECTS[kind](enrolment),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[enrolment.leader.user.email],
    )
    if kind in WITH_CALENDAR and sessions:
        message.attach(
            "digital-ledelse.ics",
            build_calendar(sessions, name=enrolment.cohort.programme.name),
            "text/calendar",
        )
    try:
        message.send()
    except Exception:
        # The booking stands; the leader sees it on the dashboard either way.
        logger.exception("Could not send %s e-mail for enrolment %s", kind, enrolment_id)
