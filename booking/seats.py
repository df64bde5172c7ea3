"""What every change of seats shares: the errors and results, reading seats (always under
the cohort's lock when a decision follows), the locks, and the steps every change takes
(ending a place, seating one, filling a cohort from its waitlist, queueing the e-mail)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from programme.models import Cohort, Enrolment, Leader, MakeUpBooking, Reservation, Session
from programme.models.reservations import release_day


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
    reservations_released: list[Reservation] = field(default_factory=list)


# --- Reading seats (always under the cohort's lock when a decision follows) ---------


def seats_taken(cohort: Cohort | int, now: dt.datetime | None = None) -> int:
    """Enrolled, make-up guests at the busiest session, and open reserved seats at ``now``."""
    cohort_id = cohort if isinstance(cohort, int) else cohort.pk
    seats = Cohort.objects.with_seats(now).values_list("seats_taken", flat=True)
    return seats.get(pk=cohort_id)


def seats_free(cohort: Cohort, now: dt.datetime | None = None) -> int:
    return cohort.capacity - seats_taken(cohort, now)


def free_makeup_seats(session: Session, now: dt.datetime | None = None) -> int:
    """Seats left at one session: the capacity less the enrolled, the open reserved seats
    and its make-up guests."""
    seats = Session.objects.with_free_seats(now).values_list("free_seats", flat=True)
    return seats.get(pk=session.pk)


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


def _notify(
    kind: str, obj: Enrolment | MakeUpBooking, *, seat_ended: Enrolment | None = None
) -> None:
    # Queued in the outbox inside the booking's transaction: the e-mail is written with
    # the change, and rolls back with it. The outbox's worker sends it. ``seat_ended``:
    # a seat this change ended, whose sessions the e-mail cancels in the calendar.
    from mail import notifications

    notifications.queue_booking_email(kind, obj, seat_ended=seat_ended)


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
    _release_due_in(cohort, now)
    if cohort.has_started(now):
        return promoted
    while cohort.capacity - seats_taken(cohort, now) > 0:
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


def _release_due_in(cohort: Cohort, now: dt.datetime) -> list[Reservation]:
    """Mark the cohort's reservations whose release day has begun (the cohort is locked).

    Their seats were free to every read already; the caller fills the waitlist. A first
    session moved to an earlier day brings the release day forward first (never back).
    Writes only what changes (a write replaces every kept page): one read without
    reservations.
    """
    held = list(Reservation.objects.filter(cohort=cohort, released_at__isnull=True))
    if not held:
        return []
    first = cohort.sessions.order_by("starts_at").values_list("starts_at", flat=True).first()
    day = release_day(first)
    today = timezone.localdate(now)
    due = []
    for reservation in held:
        if day is not None and reservation.release_on > day:
            reservation.release_on = day
            reservation.save(update_fields=["release_on"])
        if reservation.release_on <= today:
            _mark_released(reservation, Reservation.Release.RELEASE_DAY, now)
            due.append(reservation)
    return due


def _mark_released(reservation: Reservation, reason: str, now: dt.datetime) -> None:
    reservation.released_at, reservation.release_reason = now, reason
    reservation.save(update_fields=["released_at", "release_reason"])


def _active_place(leader: Leader, programme_id: int) -> Enrolment | None:
    return (
        Enrolment.objects.filter(
            leader=leader, programme_id=programme_id, status__in=Enrolment.ACTIVE
        )
        .select_related("cohort")
        .first()
    )
