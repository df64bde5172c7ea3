"""A manager's hand in their leaders' places: the leader in scope, the cohorts they may be
enrolled into or moved to, and the three changes, each through :mod:`booking`.

A manager acts as the leader would, on the leader's behalf: the same seat rule, the same
waitlist, the same e-mail to the leader with the calendar file (booking queues it), and
the same deadline (self-service closes at a cohort's deadline). HR acts as HR does in
the admin (``by_staff``): after the deadline too. Nothing here changes a seat itself.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

import booking
from programme.models import Cohort, Enrolment, Leader, Programme
from reports.rules import Scope


def leader_in_scope(scope: Scope, pk: int) -> Leader:
    """A leader of the scope's departments, or 404: a manager learns nothing of the others."""
    return get_object_or_404(
        Leader.objects.select_related("user", "department"),
        pk=pk,
        department__in=scope.departments,
    )


def current_place(leader: Leader, programme: Programme | None) -> Enrolment | None:
    """The leader's active place (a seat or a waiting place) in the programme, if any."""
    if programme is None:
        return None
    return (
        Enrolment.objects.filter(leader=leader, programme=programme, status__in=Enrolment.ACTIVE)
        .select_related("cohort")
        .first()
    )


def open_cohorts(programme: Programme | None, now: dt.datetime) -> QuerySet[Cohort]:
    """The programme's cohorts that still take enrolments (the deadline day not over),
    soonest deadline first, with ``seats_free``."""
    if programme is None:
        return Cohort.objects.none()
    return (
        Cohort.objects.filter(programme=programme, enrolment_deadline__gte=timezone.localdate(now))
        .with_seats()
        .annotate(seats_free=F("capacity") - F("seats_taken"))
        .order_by("enrolment_deadline", "name", "pk")
    )


def may_cancel(place: Enrolment | None, *, by_staff: bool, now: dt.datetime) -> bool:
    """Whether to offer the cancel button: booking's own rule (a seat until the deadline,
    a waiting place always, HR always); booking decides again when it is pressed."""
    if place is None:
        return False
    if by_staff or place.status == Enrolment.Status.WAITLISTED:
        return True
    return not place.cohort.deadline_passed(now)


def _check_deadline(cohort: Cohort, now: dt.datetime) -> None:
    # Booking's own words for a deadline that has passed (booking.seats).
    if cohort.deadline_passed(now):
        raise booking.BookingError(
            _(
                "The enrolment deadline for %(cohort)s has passed. Please contact %(hr)s "
                "(%(email)s, %(phone)s)."
            )
            % {
                "cohort": cohort.name,
                "hr": settings.HR_CONTACT_NAME,
                "email": settings.HR_CONTACT_EMAIL,
                "phone": settings.HR_CONTACT_PHONE,
            }
        )


def enrol(*, leader: Leader, cohort: Cohort, by_staff: bool, now: dt.datetime) -> Enrolment:
    """A seat for the leader, or a place on the waitlist when the cohort is full."""
    return booking.enrol(leader=leader, cohort=cohort, by_staff=by_staff, now=now)


@transaction.atomic
def move(
    *, place: Enrolment, to_cohort: Cohort, by_staff: bool, now: dt.datetime
) -> booking.BookingResult:
    """The leader's place moved to a seat in another cohort (refused when it is full).

    :func:`booking.move` is HR's and knows no deadline. A manager moves as the leader
    could by cancelling and enrolling: the new cohort must still take enrolments, and a
    seat is given up only before its cohort's deadline (a waiting place always).
    """
    if not by_staff:
        _check_deadline(to_cohort, now)
        if place.status == Enrolment.Status.ENROLLED:
            _check_deadline(place.cohort, now)
    return booking.move(enrolment=place, to_cohort=to_cohort, now=now)


def cancel(*, place: Enrolment, by_staff: bool, now: dt.datetime) -> booking.BookingResult:
    """The leader's seat cancelled, or their waiting place left; the waitlist fills it.
    Recorded as the manager's doing (HR's, when HR acts on the page)."""
    reason = None if by_staff else Enrolment.EndReason.BY_MANAGER
    return booking.cancel(enrolment=place, by_staff=by_staff, now=now, reason=reason)
