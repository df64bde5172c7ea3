"""Places in a cohort: enrol (a seat, or the waitlist when the cohort is full), cancel,
promote from the waitlist, and move to another cohort."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from booking.seats import (
    BookingError,
    BookingResult,
    _active_place,
    _check_deadline,
    _check_still_here,
    _drop_makeups_in_own_cohort,
    _end,
    _fill,
    _lock,
    _lock_one,
    _locked_place,
    _notify,
    _present,
    _seat,
    seats_free,
    waitlist_position,
)
from programme import clock
from programme.models import Cohort, Enrolment, Leader

# --- Places in a cohort --------------------------------------------------------------


@transaction.atomic
def enrol(
    *, leader: Leader, cohort: Cohort, by_staff: bool = False, now: dt.datetime | None = None
) -> Enrolment:
    """Give the leader a seat in the cohort, or a place on its waitlist when it is full.

    A waiting place in a cohort that has begun is closed, so it does not stand in
    the way. The returned enrolment carries ``position`` on the waitlist (or None).
    """
    now = now or clock.now()
    existing = _active_place(leader, cohort.programme_id)
    locked = _lock(cohort.pk, *([existing.cohort_id] if existing else []))
    cohort = _present(locked, cohort.pk)
    _check_deadline(cohort, by_staff=by_staff, now=now)
    _check_still_here(leader, now)
    existing = _active_place(leader, cohort.programme_id)
    closed = (
        existing is not None
        and existing.status == Enrolment.Status.WAITLISTED
        and existing.cohort_id in locked
        and locked[existing.cohort_id].has_started(now)
    )
    if closed:
        _end(existing, Enrolment.EndReason.WAITLIST_CLOSED, now)
        existing = None
    if existing:
        raise BookingError(
            _("You already have a place in %(cohort)s. Cancel it first to change cohort.")
            % {"cohort": existing.cohort.name}
        )
    # Seats of reservations whose release day has begun go to the waitlist first.
    _fill(cohort, now)
    if seats_free(cohort, now) > 0:
        status = Enrolment.Status.ENROLLED
    elif cohort.has_started(now):
        raise BookingError(
            _(
                "%(cohort)s has started and is full, so its waitlist is closed. "
                "Choose another cohort."
            )
            % {"cohort": cohort.name}
        )
    else:
        status = Enrolment.Status.WAITLISTED
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(
                leader=leader, cohort=cohort, status=status, requested_at=now
            )
    except IntegrityError as exc:
        # The same leader enrolling twice at once in two cohorts: the database's
        # one-active-enrolment constraint refuses the second.
        raise BookingError(_("You already have a place in this programme.")) from exc
    if status == Enrolment.Status.ENROLLED:
        _drop_makeups_in_own_cohort(leader.pk, cohort.pk, now)
    enrolment.position = waitlist_position(enrolment)
    _notify("enrolled" if status == Enrolment.Status.ENROLLED else "waitlisted", enrolment)
    return enrolment


@transaction.atomic
def cancel(
    *,
    enrolment: Enrolment,
    by_staff: bool = False,
    now: dt.datetime | None = None,
    reason: str | None = None,
) -> BookingResult:
    """Cancel a seat or leave a waitlist; the first on the waitlist takes a freed seat."""
    now = now or clock.now()
    cohort = _lock_one(enrolment.cohort_id)
    enrolment = _locked_place(enrolment)
    if not enrolment.is_active:
        raise BookingError(_("This place has already been cancelled."))
    if enrolment.status == Enrolment.Status.ENROLLED:
        _check_deadline(cohort, by_staff=by_staff, now=now)
    default = Enrolment.EndReason.BY_HR if by_staff else Enrolment.EndReason.BY_LEADER
    held_seat = enrolment.status == Enrolment.Status.ENROLLED
    _end(enrolment, reason or default, now)
    if enrolment.end_reason != Enrolment.EndReason.LEFT:
        # A seat's sessions are in the leader's calendar: the e-mail cancels them.
        _notify("cancelled", enrolment, seat_ended=enrolment if held_seat else None)
    return BookingResult(enrolment=enrolment, promoted=_fill(cohort, now))


@transaction.atomic
def promote(*, enrolment: Enrolment, now: dt.datetime | None = None) -> Enrolment:
    """HR gives a waitlisted leader a seat ahead of the queue, if one is free."""
    now = now or clock.now()
    cohort = _lock_one(enrolment.cohort_id)
    enrolment = _locked_place(enrolment)
    if enrolment.status != Enrolment.Status.WAITLISTED:
        raise BookingError(_("%(leader)s is not on the waitlist.") % {"leader": enrolment.leader})
    if seats_free(cohort, now) <= 0:
        raise BookingError(_("%(cohort)s has no free seat.") % {"cohort": cohort.name})
    _seat(enrolment, now)
    _notify("promoted", enrolment)
    return enrolment


@transaction.atomic
def move(
    *, enrolment: Enrolment, to_cohort: Cohort, now: dt.datetime | None = None
) -> BookingResult:
    """HR moves a leader to a seat in another cohort; refused when that cohort is full.

    The old place is cancelled and its seat goes to the old cohort's waitlist.
    """
    now = now or clock.now()
    if enrolment.cohort_id == to_cohort.pk:
        raise BookingError(
            _("%(leader)s is already in %(cohort)s.")
            % {"leader": enrolment.leader, "cohort": to_cohort.name}
        )
    locked = _lock(enrolment.cohort_id, to_cohort.pk)
    source, target = locked[enrolment.cohort_id], _present(locked, to_cohort.pk)
    if source.programme_id != target.programme_id:
        raise BookingError(_("Leaders can only be moved between cohorts of the same programme."))
    enrolment = _locked_place(enrolment)
    if not enrolment.is_active:
        raise BookingError(
            _("%(leader)s has no active place to move.") % {"leader": enrolment.leader}
        )
    _check_still_here(enrolment.leader, now)
    if seats_free(target, now) <= 0:
        raise BookingError(
            _("%(cohort)s is full: %(leader)s was not moved.")
            % {"cohort": target.name, "leader": enrolment.leader}
        )
    held_seat = enrolment.status == Enrolment.Status.ENROLLED
    _end(enrolment, Enrolment.EndReason.MOVED, now)
    moved = Enrolment.objects.create(
        leader=enrolment.leader, cohort=target, status=Enrolment.Status.ENROLLED, requested_at=now
    )
    _drop_makeups_in_own_cohort(moved.leader_id, target.pk, now)
    # The new cohort's sessions, and the old seat's cancelled in the calendar.
    _notify("enrolled", moved, seat_ended=enrolment if held_seat else None)
    return BookingResult(enrolment=moved, promoted=_fill(source, now))
