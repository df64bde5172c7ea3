"""Seats: enrol, waitlist, cancel, promote, move and make-up bookings.

This is the only code that changes who holds a seat. A leader's button, an
admin action and an import all call these functions, so the rules hold
wherever a change comes from:

- every function runs in one transaction and locks the cohort row first
  (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the transaction is opened
  ``IMMEDIATE`` so writers queue), so no cohort is ever overbooked;
- a full cohort puts the leader on its waitlist, in order of arrival;
- a cancellation promotes the first on the waitlist in the same transaction;
- self-service closes at the cohort's deadline; HR (``by_staff=True``) can still act.

E-mails go out after the transaction commits, so sending never breaks a booking.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from . import clock
from .models import Attendance, Cohort, Enrolment, Leader, MakeUpBooking, Session


class BookingError(Exception):
    """A booking the rules refuse; the message is shown to the person who asked."""


@dataclass
class BookingResult:
    enrolment: Enrolment | None = None
    promoted: list[Enrolment] = field(default_factory=list)


def _lock_cohort(cohort_id: int) -> Cohort:
    return Cohort.objects.select_for_update().select_related("programme").get(pk=cohort_id)


def _seats_taken(cohort: Cohort) -> int:
    return cohort.enrolments.filter(status=Enrolment.Status.ENROLLED).count()


def _check_deadline(cohort: Cohort, *, by_staff: bool, now: dt.datetime | None) -> None:
    if not by_staff and cohort.deadline_passed(now):
        raise BookingError(
            _("The enrolment deadline for %(cohort)s has passed. Please contact HR.")
            % {"cohort": cohort.name}
        )


def _notify(kind: str, obj: Enrolment | MakeUpBooking) -> None:
    # Queued in the outbox inside the booking's transaction: the e-mail is written with
    # the change, and rolls back with it. The outbox's worker sends it.
    from . import notifications

    notifications.queue_booking_email(kind, obj)


def _promote_waitlist(cohort: Cohort, now: dt.datetime) -> list[Enrolment]:
    """Fill free seats from the waitlist, first come first served. Cohort is locked."""
    free = cohort.capacity - _seats_taken(cohort)
    if free <= 0:
        return []
    waiting = list(
        cohort.enrolments.select_for_update()
        .filter(status=Enrolment.Status.WAITLISTED)
        .order_by("requested_at", "pk")[:free]
    )
    for enrolment in waiting:
        enrolment.status = Enrolment.Status.ENROLLED
        enrolment.save(update_fields=["status"])
        _notify("promoted", enrolment)
    return waiting


@transaction.atomic
def enrol(
    *, leader: Leader, cohort: Cohort, by_staff: bool = False, now: dt.datetime | None = None
) -> Enrolment:
    """Give the leader a seat in the cohort, or a place on its waitlist when it is full."""
    now = now or clock.now()
    cohort = _lock_cohort(cohort.pk)
    _check_deadline(cohort, by_staff=by_staff, now=now)
    existing = (
        Enrolment.objects.filter(
            leader=leader, programme=cohort.programme, status__in=Enrolment.ACTIVE
        )
        .select_related("cohort")
        .first()
    )
    if existing:
        raise BookingError(
            _("You already have a place in %(cohort)s. Cancel it first to change cohort.")
            % {"cohort": existing.cohort.name}
        )
    status = (
        Enrolment.Status.ENROLLED
        if _seats_taken(cohort) < cohort.capacity
        else Enrolment.Status.WAITLISTED
    )
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(
                leader=leader, cohort=cohort, status=status, requested_at=now
            )
    except IntegrityError as exc:
        # The same leader enrolling twice at once in two cohorts: the database's
        # one-active-enrolment constraint refuses the second.
        raise BookingError(_("You already have a place in this programme.")) from exc
    _notify("enrolled" if status == Enrolment.Status.ENROLLED else "waitlisted", enrolment)
    return enrolment


@transaction.atomic
def cancel(
    *, enrolment: Enrolment, by_staff: bool = False, now: dt.datetime | None = None
) -> BookingResult:
    """Cancel a seat or waitlist place; the first on the waitlist takes a freed seat."""
    now = now or clock.now()
    cohort = _lock_cohort(enrolment.cohort_id)
    _check_deadline(cohort, by_staff=by_staff, now=now)
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if not enrolment.is_active:
        raise BookingError(_("This place has already been cancelled."))
    enrolment.status = Enrolment.Status.CANCELLED
    enrolment.cancelled_at = now
    enrolment.save(update_fields=["status", "cancelled_at"])
    _notify("cancelled", enrolment)
    return BookingResult(enrolment=enrolment, promoted=_promote_waitlist(cohort, now))


@transaction.atomic
def promote(*, enrolment: Enrolment, now: dt.datetime | None = None) -> Enrolment:
    """HR gives a waitlisted leader a seat ahead of the queue, if one is free."""
    now = now or clock.now()
    cohort = _lock_cohort(enrolment.cohort_id)
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if enrolment.status != Enrolment.Status.WAITLISTED:
        raise BookingError(_("%(leader)s is not on the waitlist.") % {"leader": enrolment.leader})
    if _seats_taken(cohort) >= cohort.capacity:
        raise BookingError(_("%(cohort)s has no free seat.") % {"cohort": cohort.name})
    enrolment.status = Enrolment.Status.ENROLLED
    enrolment.save(update_fields=["status"])
    _notify("promoted", enrolment)
    return enrolment


@transaction.atomic
def move(
    *, enrolment: Enrolment, to_cohort: Cohort, now: dt.datetime | None = None
) -> BookingResult:
    """HR moves a leader to a seat in another cohort; refused when that cohort is full.

    The old place is cancelled and its seat goes to the old cohort's waitlist.
    Both cohorts are locked in id order, so two moves in opposite directions
    cannot deadlock.
    """
    now = now or clock.now()
    if enrolment.cohort_id == to_cohort.pk:
        raise BookingError(
            _("%(leader)s is already in %(cohort)s.")
            % {"leader": enrolment.leader, "cohort": to_cohort.name}
        )
    locked = {c: _lock_cohort(c) for c in sorted([enrolment.cohort_id, to_cohort.pk])}
    source, target = locked[enrolment.cohort_id], locked[to_cohort.pk]
    if source.programme_id != target.programme_id:
        raise BookingError(_("Leaders can only be moved between cohorts of the same programme."))
    enrolment = Enrolment.objects.select_for_update().select_related("leader").get(pk=enrolment.pk)
    if not enrolment.is_active:
        raise BookingError(
            _("%(leader)s has no active place to move.") % {"leader": enrolment.leader}
        )
    if _seats_taken(target) >= target.capacity:
        raise BookingError(
            _("%(cohort)s is full: %(leader)s was not moved.")
            % {"cohort": target.name, "leader": enrolment.leader}
        )
    enrolment.status = Enrolment.Status.CANCELLED
    enrolment.cancelled_at = now
    enrolment.save(update_fields=["status", "cancelled_at"])
    moved = Enrolment.objects.create(
        leader=enrolment.leader, cohort=target, status=Enrolment.Status.ENROLLED, requested_at=now
    )
    _notify("enrolled", moved)
    return BookingResult(enrolment=moved, promoted=_promote_waitlist(source, now))


def free_makeup_seats(session: Session) -> int:
    """Seats left at one session: the cohort's capacity less its enrolled and make-ups."""
    return Session.objects.with_free_seats().values_list("free_seats", flat=True).get(pk=session.pk)


@transaction.atomic
def book_makeup(
    *, leader: Leader, session: Session, now: dt.datetime | None = None
) -> MakeUpBooking:
    """A seat at another cohort's session of a module the leader missed."""
    now = now or clock.now()
    cohort = _lock_cohort(session.cohort_id)
    session = Session.objects.select_related("module", "cohort").get(pk=session.pk)
    if session.starts_at <= now:
        raise BookingError(_("This session has already started."))
    if not session.module.required:
        raise BookingError(_("Make-up sessions are for required modules."))
    if Attendance.objects.filter(
        leader=leader, session__module=session.module, status__in=Attendance.COMPLETING
    ).exists():
        raise BookingError(_("You have already completed this module."))
    if Enrolment.objects.filter(
        leader=leader, cohort=cohort, status=Enrolment.Status.ENROLLED
    ).exists():
        raise BookingError(_("This session is in your own cohort."))
    if MakeUpBooking.objects.filter(
        leader=leader, session__module=session.module, session__starts_at__gt=now
    ).exists():
        raise BookingError(_("You already have a make-up seat for this module."))
    if free_makeup_seats(session) <= 0:
        raise BookingError(_("This session has no free seat."))
    try:
        with transaction.atomic():
            booking = MakeUpBooking.objects.create(leader=leader, session=session, booked_at=now)
    except IntegrityError as exc:
        raise BookingError(_("You already have a seat at this session.")) from exc
    _notify("makeup_booked", booking)
    return booking


@transaction.atomic
def cancel_makeup(*, booking: MakeUpBooking, now: dt.datetime | None = None) -> None:
    now = now or clock.now()
    _lock_cohort(booking.session.cohort_id)
    if booking.session.starts_at <= now:
        raise BookingError(_("This session has already started."))
    _notify("makeup_cancelled", booking)
    booking.delete()
