"""Make-up seats: a leader who missed a module books one session of another cohort
where a seat is free at that session; checked, booked and cancelled here."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from booking.seats import (
    BookingError,
    _check_still_here,
    _fill,
    _lock_one,
    _notify,
    free_makeup_seats,
)
from programme import clock, progress
from programme.models import Attendance, Enrolment, Leader, MakeUpBooking, Session

# --- Make-up seats -------------------------------------------------------------------


def _check_makeup_allowed(leader: Leader, session: Session, now: dt.datetime) -> None:
    """A make-up is for a required module the leader missed, or is excused from ahead;
    not for one whose attendance is still awaiting registration."""
    module = session.module
    if not module.required:
        raise BookingError(_("Make-up sessions are for required modules."))
    if Attendance.objects.filter(
        leader=leader, session__module=module, status__in=Attendance.COMPLETING
    ).exists():
        raise BookingError(_("You have already completed this module."))
    own = Session.objects.filter(
        module=module,
        cohort__enrolments__leader=leader,
        cohort__enrolments__status=Enrolment.Status.ENROLLED,
    )
    if session.pk in {s.pk for s in own}:
        raise BookingError(_("This session is in your own cohort."))
    # Missed as progress says it (programme/progress/): a session whose attendance is
    # not recorded yet may have been attended.
    state = progress.own_cohort_state(leader, module, now)
    if state == progress.ModuleState.AWAITING:
        raise BookingError(
            _(
                "Your attendance at this module in your own cohort has not been recorded yet. "
                "A make-up seat is for a module you have missed: wait until HR has recorded "
                "your attendance, or contact HR."
            )
        )
    if state != progress.ModuleState.MISSED:
        raise BookingError(
            _("A make-up seat is for a module you have missed or are excused from in your cohort.")
        )
    if MakeUpBooking.objects.filter(
        leader=leader, session__module=module, session__starts_at__gt=now
    ).exists():
        raise BookingError(_("You already have a make-up seat for this module."))


@transaction.atomic
def check_makeup(*, leader: Leader, session: Session, now: dt.datetime | None = None) -> Session:
    """Lock the session's cohort and refuse a make-up seat the rules do not allow.

    The lock lasts until the surrounding transaction ends, so a form can check
    here and book with :func:`book_makeup` later in the same request.
    """
    now = now or clock.now()
    _lock_one(session.cohort_id)
    session = Session.objects.select_related("module", "cohort").filter(pk=session.pk).first()
    if session is None:
        raise BookingError(_("This session no longer exists."))
    if session.starts_at <= now:
        raise BookingError(_("This session has already started."))
    _check_still_here(leader, now)
    _check_makeup_allowed(leader, session, now)
    if free_makeup_seats(session, now) <= 0:
        raise BookingError(_("This session has no free seat."))
    return session


@transaction.atomic
def book_makeup(
    *, leader: Leader, session: Session, by_staff: bool = False, now: dt.datetime | None = None
) -> MakeUpBooking:
    """A seat at another cohort's session of a module the leader missed.

    HR books through the same rules as the leader's button (``by_staff`` only
    says who asked).
    """
    now = now or clock.now()
    session = check_makeup(leader=leader, session=session, now=now)
    try:
        with transaction.atomic():
            makeup = MakeUpBooking.objects.create(leader=leader, session=session, booked_at=now)
    except IntegrityError as exc:
        raise BookingError(_("You already have a seat at this session.")) from exc
    _notify("makeup_booked", makeup)
    return makeup


@transaction.atomic
def cancel_makeup(
    *, booking: MakeUpBooking, now: dt.datetime | None = None, notify: bool = True
) -> list[Enrolment]:
    """Give up a make-up seat before its session; the cohort's waitlist may gain a seat."""
    now = now or clock.now()
    gone = BookingError(_("This make-up seat has already been cancelled."))
    cohort_id = Session.objects.filter(pk=booking.session_id).values_list("cohort", flat=True)
    if not cohort_id:
        raise gone
    cohort = _lock_one(cohort_id[0])
    booking = (
        MakeUpBooking.objects.select_related("session__module", "session__cohort")
        .filter(pk=booking.pk)
        .first()
    )
    if booking is None:
        raise gone
    if booking.session.starts_at <= now:
        raise BookingError(_("This session has already started."))
    if notify:
        _notify("makeup_cancelled", booking)
    booking.delete()
    return _fill(cohort, now)
