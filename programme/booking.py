"""Seats: who holds one, and the only code that changes that.

What a seat is
--------------
A cohort's capacity is how many people its room takes at each of its sessions.
Two kinds of people are expected at a session: the cohort's *enrolled* leaders,
at every one of its sessions, and *make-up guests*, leaders of other cohorts who
booked that one session to make up a module they missed. So

- a session expects the cohort's enrolled leaders plus its own make-up guests
  (``Session.objects.with_free_seats()``);
- a cohort's taken seats are its enrolled leaders plus the largest number of
  make-up guests at any one of its sessions (``Cohort.objects.with_seats()``);
- a leader gets a seat in a cohort only while one is free at every session, and
  a make-up guest only while one is free at that session.

Every check runs under the cohort's row lock, so whatever order bookings arrive
in, **no session ever expects more people than its cohort's capacity**.

The waitlist
------------
A full cohort puts the leader on its waitlist. The queue is the order in which
places were taken: rows are inserted under the cohort's lock, so their ids are
that order, and the position a leader is told is computed under the same lock.
Every change that frees a seat fills it from the waitlist in the same
transaction: a cancellation, a move, a cancelled make-up, a raised capacity, a
session moved to another cohort, a leader who left. The waitlist closes when the
cohort's first session starts: nobody is promoted into a cohort that has begun,
and :func:`close_places` (run by ``manage.py close_places``) ends the waiting
places and tells the leaders, who may then enrol in an open cohort.

Leaving
-------
A leader who leaves the municipality (``left_on``) keeps their place until the
end of that day, so they are still on that day's attendance sheet; from the next
day :func:`close_places` cancels it and the seat goes to the waitlist. Make-up
seats at sessions after the leaving day are given up at once (:func:`leave`).
Anonymisation gives everything up at once.

How
---
- Every function runs in one transaction and first locks the cohort rows it
  touches (``SELECT ... FOR UPDATE``, in id order so that two transactions never
  wait for each other; SQLite's IMMEDIATE transactions queue writers instead).
- Self-service closes at the cohort's deadline; HR (``by_staff=True``) can still
  act. Leaving a waitlist is always possible: it frees nobody's seat.
- E-mails are queued in the outbox by ``_notify`` inside the same transaction, so a
  change that rolls back sends nothing (``programme/outbox.py`` sends them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import clock, progress
from .db import insert_in_bulk
from .models import (
    Attendance,
    Cohort,
    Enrolment,
    Facilitator,
    Leader,
    Location,
    MakeUpBooking,
    Session,
)


class BookingError(Exception):
    """A booking the rules refuse; the message is shown to the person who asked."""


@dataclass
class BookingResult:
    enrolment: Enrolment | None = None
    promoted: list[Enrolment] = field(default_factory=list)


@dataclass
class ClosedPlaces:
    """What :func:`close_places` did."""

    waitlists_closed: list[Enrolment] = field(default_factory=list)
    leavers: list[Leader] = field(default_factory=list)
    promoted: list[Enrolment] = field(default_factory=list)


# --- Reading seats (always under the cohort's lock when a decision follows) ---------


def seats_taken(cohort: Cohort | int) -> int:
    cohort_id = cohort if isinstance(cohort, int) else cohort.pk
    return Cohort.objects.with_seats().values_list("seats_taken", flat=True).get(pk=cohort_id)


def seats_free(cohort: Cohort) -> int:
    return cohort.capacity - seats_taken(cohort)


def free_makeup_seats(session: Session) -> int:
    """Seats left at one session: the capacity less the enrolled and its make-up guests."""
    return Session.objects.with_free_seats().values_list("free_seats", flat=True).get(pk=session.pk)


def waitlist_position(enrolment: Enrolment | None) -> int | None:
    """1 for the first on the waitlist: the order in which :func:`_fill` promotes."""
    if enrolment is None or enrolment.status != Enrolment.Status.WAITLISTED:
        return None
    ahead = Enrolment.objects.filter(
        cohort_id=enrolment.cohort_id, status=Enrolment.Status.WAITLISTED, pk__lt=enrolment.pk
    ).count()
    return ahead + 1


# --- Internals -----------------------------------------------------------------------


def _lock(*cohort_ids: int) -> dict[int, Cohort]:
    """Lock the cohorts' rows in id order (one statement) and return them fresh.

    Only the cohort rows (``of=("self",)``): locking the joined programme row too
    would make every booking in the programme wait for every other.
    """
    cohorts = (
        Cohort.objects.select_for_update(of=("self",))
        .select_related("programme")
        .filter(pk__in=set(cohort_ids))
        .order_by("pk")
    )
    return {cohort.pk: cohort for cohort in cohorts}


def _lock_one(cohort_id: int) -> Cohort:
    return _present(_lock(cohort_id), cohort_id)


# Rows read again under the lock may be gone: deleted (an empty cohort, a session, a
# make-up seat) between the page that showed the button and the lock, by HR or by the
# same person pressing twice. That is a refusal to show, never a crash.


def _present(locked: dict[int, Cohort], cohort_id: int) -> Cohort:
    if cohort_id not in locked:
        raise BookingError(_("This cohort no longer exists."))
    return locked[cohort_id]


def _locked_place(enrolment: Enrolment) -> Enrolment:
    place = (
        Enrolment.objects.select_for_update()
        .select_related("leader")
        .filter(pk=enrolment.pk)
        .first()
    )
    if place is None:
        raise BookingError(_("This place has already been cancelled."))
    return place


def _check_deadline(cohort: Cohort, *, by_staff: bool, now: dt.datetime) -> None:
    if not by_staff and cohort.deadline_passed(now):
        raise BookingError(
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


def _check_still_here(leader: Leader, now: dt.datetime) -> None:
    if leader.has_left(timezone.localdate(now)):
        raise BookingError(
            _("%(leader)s has left the municipality and cannot book seats.")
            % {"leader": leader.name}
        )


def _notify(kind: str, obj: Enrolment | MakeUpBooking) -> None:
    # Queued in the outbox inside the booking's transaction: the e-mail is written with
    # the change, and rolls back with it. The outbox's worker sends it.
    from . import notifications

    notifications.queue_booking_email(kind, obj)


def _end(enrolment: Enrolment, reason: str, now: dt.datetime) -> None:
    enrolment.status = Enrolment.Status.CANCELLED
    enrolment.cancelled_at = now
    enrolment.end_reason = reason
    enrolment.save(update_fields=["status", "cancelled_at", "end_reason"])


def _seat(enrolment: Enrolment, now: dt.datetime) -> None:
    """Give a waiting place its seat; make-up seats in the same cohort are no longer needed."""
    enrolment.status = Enrolment.Status.ENROLLED
    enrolment.save(update_fields=["status"])
    _drop_makeups_in_own_cohort(enrolment.leader_id, enrolment.cohort_id, now)


def _drop_makeups_in_own_cohort(leader_id: int, cohort_id: int, now: dt.datetime) -> None:
    # A leader with a seat in the cohort is expected at its sessions anyway.
    for makeup in MakeUpBooking.objects.filter(
        leader_id=leader_id, session__cohort_id=cohort_id, session__starts_at__gt=now
    ):
        makeup.delete()


def _fill(cohort: Cohort, now: dt.datetime) -> list[Enrolment]:
    """Give free seats to the waitlist, first come first served. The cohort is locked.

    Nobody is promoted into a cohort that has begun: its waitlist is closed.
    """
    promoted: list[Enrolment] = []
    if cohort.has_started(now):
        return promoted
    while cohort.capacity - seats_taken(cohort) > 0:
        first = (
            cohort.enrolments.select_for_update()
            .filter(status=Enrolment.Status.WAITLISTED)
            .order_by("pk")
            .first()
        )
        if first is None:
            break
        _seat(first, now)
        _notify("promoted", first)
        promoted.append(first)
    return promoted


def _active_place(leader: Leader, programme_id: int) -> Enrolment | None:
    return (
        Enrolment.objects.filter(
            leader=leader, programme_id=programme_id, status__in=Enrolment.ACTIVE
        )
        .select_related("cohort")
        .first()
    )


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
    if seats_free(cohort) > 0:
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
    _end(enrolment, reason or default, now)
    if enrolment.end_reason != Enrolment.EndReason.LEFT:
        _notify("cancelled", enrolment)
    return BookingResult(enrolment=enrolment, promoted=_fill(cohort, now))


@transaction.atomic
def promote(*, enrolment: Enrolment, now: dt.datetime | None = None) -> Enrolment:
    """HR gives a waitlisted leader a seat ahead of the queue, if one is free."""
    now = now or clock.now()
    cohort = _lock_one(enrolment.cohort_id)
    enrolment = _locked_place(enrolment)
    if enrolment.status != Enrolment.Status.WAITLISTED:
        raise BookingError(_("%(leader)s is not on the waitlist.") % {"leader": enrolment.leader})
    if seats_free(cohort) <= 0:
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
    if seats_free(target) <= 0:
        raise BookingError(
            _("%(cohort)s is full: %(leader)s was not moved.")
            % {"cohort": target.name, "leader": enrolment.leader}
        )
    _end(enrolment, Enrolment.EndReason.MOVED, now)
    moved = Enrolment.objects.create(
        leader=enrolment.leader, cohort=target, status=Enrolment.Status.ENROLLED, requested_at=now
    )
    _drop_makeups_in_own_cohort(moved.leader_id, target.pk, now)
    _notify("enrolled", moved)
    return BookingResult(enrolment=moved, promoted=_fill(source, now))


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
    # Missed as progress says it (programme/progress.py): a session whose attendance is
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
    if free_makeup_seats(session) <= 0:
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
    take its make-up guests (guests seated in that cohort no longer need theirs)."""
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


# --- Leaving and closing -------------------------------------------------------------


@transaction.atomic
def leave(*, leader: Leader, now: dt.datetime | None = None, at_once: bool = False) -> list:
    """A leader who has left (``left_on``) gives up their seats.

    Make-up seats at sessions after the leaving day go at once; the place in a
    cohort goes from the day after (the leader may be at a session that day),
    or at once when ``at_once`` (anonymisation). Returns the promoted places.
    """
    now = now or clock.now()
    leader = Leader.objects.get(pk=leader.pk)
    if leader.left_on is None and not at_once:
        return []
    promoted: list[Enrolment] = []
    makeups = MakeUpBooking.objects.filter(leader=leader, session__starts_at__gt=now)
    if not at_once:
        tz = timezone.get_default_timezone()
        day_after = dt.datetime.combine(
            leader.left_on + dt.timedelta(days=1), dt.time.min, tzinfo=tz
        )
        makeups = makeups.filter(session__starts_at__gte=day_after)
    for makeup in makeups:
        promoted += cancel_makeup(booking=makeup, now=now, notify=False)
    if at_once or leader.has_left(timezone.localdate(now)):
        for place in Enrolment.objects.filter(leader=leader, status__in=Enrolment.ACTIVE):
            promoted += cancel(
                enrolment=place, by_staff=True, now=now, reason=Enrolment.EndReason.LEFT
            ).promoted
    return promoted


CLOSE_CHUNK = 5000


@transaction.atomic
def close_places(*, now: dt.datetime | None = None, notify: bool = True) -> ClosedPlaces:
    """The time-driven part of the rules, for ``manage.py close_places`` (run hourly).

    Waiting places in cohorts that have begun are closed and the leaders told
    (``notify=False`` when loading historical data); leaders whose leaving day is
    over give up their places.
    """
    now = now or clock.now()
    today = timezone.localdate(now)
    result = ClosedPlaces()
    started = Cohort.objects.filter(sessions__starts_at__lte=now)
    waiting = Enrolment.objects.filter(status=Enrolment.Status.WAITLISTED, cohort__in=started)
    cohort_ids = set(waiting.values_list("cohort_id", flat=True))
    if cohort_ids:
        _lock(*cohort_ids)
        places = list(waiting.select_for_update(of=("self",)).order_by("cohort", "pk"))
        for place in places:
            place.status, place.cancelled_at = Enrolment.Status.CANCELLED, now
            place.end_reason = Enrolment.EndReason.WAITLIST_CLOSED
        # The same values for every place: one plain UPDATE per chunk of ids (a bulk
        # update's CASE per row grew with the square of the places: minutes at a
        # national number), and their history rows in bulk. A waiting place changes
        # nobody's progress. (The UPDATE replaces their kept pages' versions itself.)
        for start in range(0, len(places), CLOSE_CHUNK):
            chunk = places[start : start + CLOSE_CHUNK]
            Enrolment.objects.filter(pk__in=[place.pk for place in chunk]).update(
                status=Enrolment.Status.CANCELLED,
                cancelled_at=now,
                end_reason=Enrolment.EndReason.WAITLIST_CLOSED,
            )
        Enrolment.history.bulk_history_create(
            places, batch_size=CLOSE_CHUNK, update=True, default_date=now
        )
        for place in places:
            if notify:
                _notify("waitlist_closed", place)
            result.waitlists_closed.append(place)
    leavers = Leader.objects.filter(left_on__lt=today).filter(
        pk__in=Enrolment.objects.filter(status__in=Enrolment.ACTIVE).values("leader")
    ) | Leader.objects.filter(left_on__lt=today).filter(
        pk__in=MakeUpBooking.objects.filter(session__starts_at__gt=now).values("leader")
    )
    for leader in leavers.distinct().order_by("pk"):
        result.promoted += leave(leader=leader, now=now)
        result.leavers.append(leader)
    return result


# --- The demo data's bulk seats (same rules, one statement per cohort) ----------------


@transaction.atomic
def enrol_in_bulk(*, places: dict[Cohort, list[tuple[int, dt.datetime]]]) -> list[Enrolment]:
    """Places for many leaders in many cohorts: per cohort, in the given order, seats
    while they last, then the waitlist.

    For loading data into an empty programme (the demo, benchmarks): the same seat
    rule as :func:`enrol`, under the same locks, in a fixed number of statements.
    The leaders must not hold a place in the programme (the database refuses it).
    The places returned are as inserted, without their primary keys.
    """
    locked = _lock(*(cohort.pk for cohort in places))
    taken = dict(Cohort.objects.filter(pk__in=locked).with_seats().values_list("pk", "seats_taken"))
    rows = []
    for cohort, wanted in places.items():
        free = locked[cohort.pk].capacity - taken[cohort.pk]
        for leader_id, moment in wanted:
            status = Enrolment.Status.ENROLLED if free > 0 else Enrolment.Status.WAITLISTED
            free -= 1
            rows.append(
                Enrolment(
                    leader_id=leader_id,
                    cohort_id=cohort.pk,
                    programme_id=cohort.programme_id,
                    status=status,
                    requested_at=moment,
                )
            )
    insert_in_bulk(rows)  # COPY on PostgreSQL: the demo's national numbers
    return rows


@transaction.atomic
def book_makeups_in_bulk(
    *, bookings: Iterable[tuple[int, list[Session], dt.datetime]]
) -> list[MakeUpBooking]:
    """Make-up seats for (leader id, sessions in order of preference, booked at).

    Each leader gets the first of their sessions with a free seat, or none. For
    loading historical data (the demo): only the seat rule is applied, under the
    cohorts' locks, from counts read once.
    """
    wanted = list(bookings)
    sessions = {session.pk: session for _, options, _ in wanted for session in options}
    _lock(*{session.cohort_id for session in sessions.values()})
    free = dict(
        Session.objects.filter(pk__in=sessions).with_free_seats().values_list("pk", "free_seats")
    )
    rows = []
    for leader_id, options, booked_at in wanted:
        session = next((s for s in options if free[s.pk] > 0), None)
        if session is not None:
            free[session.pk] -= 1
            rows.append(MakeUpBooking(leader_id=leader_id, session=session, booked_at=booked_at))
    return MakeUpBooking.objects.bulk_create(rows, batch_size=2000)
