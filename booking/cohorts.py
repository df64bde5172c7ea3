"""Changes to cohorts and sessions that move seats: a cohort's capacity, a session moved
to another cohort or room, a room's capacity, a session saved or deleted, and filling a
cohort's waitlist."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from booking.seats import BookingError, BookingResult, _fill, _lock, _lock_one, seats_taken
from programme import clock
from programme.models import Cohort, Enrolment, Facilitator, Location, Session

# --- Cohorts and sessions ------------------------------------------------------------


@transaction.atomic
def check_capacity(*, cohort: Cohort, capacity: int) -> Cohort:
    """Lock the cohort and refuse fewer seats than are taken (the message says how many),
    or more than the smallest room it meets in holds."""
    locked = _lock_one(cohort.pk)
    small = (
        Location.objects.filter(sessions__cohort=locked, capacity__lt=capacity)
        .order_by("capacity", "name")
        .first()
    )
    if small is not None:
        raise BookingError(
            _("%(room)s, where %(cohort)s meets, has only %(seats)s seats.")
            % {"room": small.name, "cohort": locked.name, "seats": small.capacity}
        )
    taken = seats_taken(locked)
    if capacity < taken:
        raise BookingError(
            ngettext(
                "%(cohort)s has %(taken)s seat taken, so it cannot have fewer seats than that.",
                "%(cohort)s has %(taken)s seats taken, so it cannot have fewer seats than that.",
                taken,
            )
            % {"cohort": locked.name, "taken": taken}
        )
    return locked


@transaction.atomic
def set_capacity(*, cohort: Cohort, capacity: int, now: dt.datetime | None = None) -> BookingResult:
    """Change a cohort's seats: never below the seats taken; more seats go to the waitlist."""
    now = now or clock.now()
    locked = check_capacity(cohort=cohort, capacity=capacity)
    locked.capacity = capacity
    locked.save(update_fields=["capacity"])
    cohort.capacity = capacity
    return BookingResult(promoted=_fill(locked, now))


@transaction.atomic
def check_session_move(*, session: Session, to_cohort: Cohort) -> None:
    """Lock both cohorts and refuse moving a session to a cohort whose seats cannot
    take its make-up guests (guests seated in that cohort no longer need theirs; its
    reserved seats not yet named count as enrolled)."""
    _lock(session.cohort_id, to_cohort.pk)
    guests = (
        session.makeups.exclude(
            leader__enrolments__cohort=to_cohort,
            leader__enrolments__status=Enrolment.Status.ENROLLED,
        ).count()
        if session.pk
        else 0
    )
    enrolled = to_cohort.enrolments.filter(status=Enrolment.Status.ENROLLED).count()
    # Seats reserved and not yet named are taken at every session of the cohort too.
    reserved = Cohort.objects.with_seats().values_list("seats_reserved", flat=True)
    enrolled += reserved.get(pk=to_cohort.pk)
    if enrolled + guests > to_cohort.capacity:
        raise BookingError(
            _(
                "%(cohort)s has %(enrolled)s enrolled and %(seats)s seats, so it cannot take "
                "this session's %(guests)s make-up guests."
            )
            % {
                "cohort": to_cohort.name,
                "enrolled": enrolled,
                "seats": to_cohort.capacity,
                "guests": guests,
            }
        )


def _overlapping(session: Session):
    return Session.objects.filter(
        starts_at__lt=session.ends_at, ends_at__gt=session.starts_at
    ).exclude(pk=session.pk)


@transaction.atomic
def check_session_place(*, session: Session) -> None:
    """Refuse a room that is too small for the cohort or already booked at an
    overlapping time, and a facilitator already booked then; the message names the clash.

    Locks the session's cohort, room and facilitator rows, so two sessions saved at
    once in different cohorts cannot both take the same room or person: the second
    waits, then sees the first. ``session`` may be unsaved (a form checks it first).
    Raises :class:`BookingError` with ``field`` set to "location" or "facilitator".
    """
    _lock_one(session.cohort_id)
    room = Location.objects.select_for_update().get(pk=session.location_id)
    cohort = Cohort.objects.get(pk=session.cohort_id)
    if room.capacity < cohort.capacity:
        raise _place_error(
            "location",
            _("%(room)s has %(seats)s seats, fewer than the %(capacity)s of %(cohort)s.")
            % {
                "room": room.name,
                "seats": room.capacity,
                "capacity": cohort.capacity,
                "cohort": cohort.name,
            },
        )
    if session.starts_at is None or session.ends_at is None:
        return
    clash = (
        _overlapping(session)
        .filter(location=room)
        .select_related("module", "cohort")
        .order_by("starts_at")
        .first()
    )
    if clash is not None:
        raise _place_error(
            "location",
            _("%(room)s is already booked then: %(session)s.")
            % {"room": room.name, "session": clash},
        )
    if session.facilitator_id is None:
        return
    person = Facilitator.objects.select_for_update().get(pk=session.facilitator_id)
    clash = (
        _overlapping(session)
        .filter(facilitator=person)
        .select_related("module", "cohort")
        .order_by("starts_at")
        .first()
    )
    if clash is not None:
        raise _place_error(
            "facilitator",
            _("%(facilitator)s is already running a session then: %(session)s.")
            % {"facilitator": person.name, "session": clash},
        )


def _place_error(field_name: str, message: str) -> BookingError:
    error = BookingError(message)
    error.field = field_name
    return error


@transaction.atomic
def check_location_capacity(*, location: Location, capacity: int) -> None:
    """Refuse shrinking a room below a cohort that meets in it."""
    room = Location.objects.select_for_update().get(pk=location.pk)
    cohort = (
        Cohort.objects.filter(sessions__location=room, capacity__gt=capacity)
        .order_by("-capacity", "name")
        .first()
    )
    if cohort is not None:
        raise BookingError(
            _("%(cohort)s meets in %(room)s and has %(capacity)s seats.")
            % {"cohort": cohort.name, "room": room.name, "capacity": cohort.capacity}
        )


@transaction.atomic
def save_session(
    *, session: Session, previous_cohort_id: int | None = None, now: dt.datetime | None = None
) -> BookingResult:
    """Save a new or changed session; a move to another cohort takes its guests along.

    Make-up guests who have a seat in the new cohort no longer need theirs. The
    old cohort may have seats free now (fewer guests), and a session moved in time
    may reopen a cohort's waitlist: both are filled.
    """
    now = now or clock.now()
    ids = [session.cohort_id] + ([previous_cohort_id] if previous_cohort_id else [])
    locked = _lock(*ids)
    moved = previous_cohort_id and previous_cohort_id != session.cohort_id
    if moved:
        check_session_move(session=session, to_cohort=locked[session.cohort_id])
    check_session_place(session=session)
    session.save()
    if moved:
        for makeup in session.makeups.filter(
            leader__enrolments__cohort=session.cohort_id,
            leader__enrolments__status=Enrolment.Status.ENROLLED,
        ):
            makeup.delete()
    promoted = []
    for cohort in locked.values():
        promoted += _fill(cohort, now)
    return BookingResult(promoted=promoted)


@transaction.atomic
def delete_session(*, session: Session, now: dt.datetime | None = None) -> BookingResult:
    """Delete a session without records (the database refuses one with make-ups or attendance)."""
    now = now or clock.now()
    cohort = _lock_one(session.cohort_id)
    session.delete()
    return BookingResult(promoted=_fill(cohort, now))


@transaction.atomic
def fill_waitlist(*, cohort: Cohort, now: dt.datetime | None = None) -> list[Enrolment]:
    """After sessions were changed in bulk (the cohort page): give free seats to the waitlist."""
    now = now or clock.now()
    return _fill(_lock_one(cohort.pk), now)
