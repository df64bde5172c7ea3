"""E-mails to leaders about their seats.

:mod:`programme.booking` calls :func:`notify` inside its transaction. The message
is rendered there (a cancelled make-up's row is gone once the transaction
commits) and sent only when the transaction commits, so a booking that rolls back
sends nothing and a failure to send never undoes a booking.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import clock
from .calendar import build_calendar
from .context_processors import hr_contact
from .models import Cohort, Enrolment, MakeUpBooking

logger = logging.getLogger(__name__)

SUBJECTS = {
    "enrolled": lambda e: _("You are enrolled in %(cohort)s") % {"cohort": e.cohort.name},
    "waitlisted": lambda e: _("You are on the waitlist for %(cohort)s") % {"cohort": e.cohort.name},
    "promoted": lambda e: _("You have a seat in %(cohort)s") % {"cohort": e.cohort.name},
    "cancelled": lambda e: _("Your place in %(cohort)s is cancelled") % {"cohort": e.cohort.name},
    "waitlist_closed": lambda e: (
        _("The waitlist for %(cohort)s has closed") % {"cohort": e.cohort.name}
    ),
    "makeup_booked": lambda m: (
        _("Your make-up seat: %(module)s") % {"module": m.session.module.title}
    ),
    "makeup_cancelled": lambda m: (
        _("Your make-up seat is cancelled: %(module)s") % {"module": m.session.module.title}
    ),
}
# Only a seat comes with the sessions for the calendar.
WITH_CALENDAR = {"enrolled", "promoted", "makeup_booked"}


def notify(kind: str, obj: Enrolment | MakeUpBooking) -> None:
    # In the portal's language, not the language of whoever's request caused it: a
    # promotion is set off by another leader's cancellation. No per-user language is kept.
    with translation.override(settings.LANGUAGE_CODE):
        message = build_message(kind, obj)
    transaction.on_commit(lambda: _send(message, kind, obj.pk))


def build_message(kind: str, obj: Enrolment | MakeUpBooking) -> EmailMessage:
    if isinstance(obj, MakeUpBooking):
        makeup = MakeUpBooking.objects.select_related(
            "leader__user", "session__module", "session__cohort__programme"
        ).get(pk=obj.pk)
        leader, sessions, name = makeup.leader, [makeup.session], makeup.session.module.title
        context = {"makeup": makeup, "session": makeup.session}
        subject = SUBJECTS[kind](makeup)
    else:
        enrolment = Enrolment.objects.select_related("leader__user", "cohort__programme").get(
            pk=obj.pk
        )
        leader, name = enrolment.leader, enrolment.cohort.programme.name
        sessions = list(enrolment.cohort.sessions.select_related("module", "cohort"))
        context = {"enrolment": enrolment, "sessions": sessions}
        if kind == "waitlist_closed":
            context["cohorts"] = _open_cohorts(enrolment)
        subject = SUBJECTS[kind](enrolment)
    body = render_to_string(
        f"emails/{kind}.txt", {**context, "leader": leader, "hr_contact": hr_contact()}
    )
    message = EmailMessage(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[leader.user.email]
    )
    if kind in WITH_CALENDAR and sessions:
        message.attach("digital-ledelse.ics", build_calendar(sessions, name=name), "text/calendar")
    return message


def _open_cohorts(enrolment: Enrolment) -> list[Cohort]:
    """Cohorts of the programme a leader can still enrol in, with free seats."""
    now = clock.now()
    cohorts = (
        Cohort.objects.filter(
            programme=enrolment.programme_id, enrolment_deadline__gte=timezone.localdate(now)
        )
        .with_seats()
        .order_by("enrolment_deadline", "name")
    )
    open_ = [c for c in cohorts if c.capacity > c.seats_taken and not c.has_started(now)]
    for cohort in open_:
        cohort.free_seats = cohort.capacity - cohort.seats_taken
    return open_


def _send(message: EmailMessage, kind: str, pk: int) -> None:
    try:
        message.send()
    except Exception:
        # The booking stands; the leader sees it on the dashboard either way.
        logger.exception("Could not send %s e-mail for %s", kind, pk)
