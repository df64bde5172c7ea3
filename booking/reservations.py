"""Seats reserved for a manager: reserve, name a leader into one, release the rest.

A reservation takes seats that are free (under the cohort's lock, like every booking);
its seats not yet named count as taken for everyone else until it is released: by the
manager, by HR, or when its release day begins (``RESERVATION_RELEASE_DAYS`` before the
cohort's first session). Reads treat a reservation whose day has begun as released at
once; :func:`release_due_reservations` (run by ``close_places``, hourly) marks them and
gives the seats to the waitlist, and so does an enrolment in that cohort before it.
Naming turns a reserved seat into the leader's place: same e-mail with the calendar file
as :func:`booking.enrol`; the seat stays counted, so it never waits for a free one.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from booking.seats import (
    BookingError,
    _active_place,
    _check_still_here,
    _drop_makeups_in_own_cohort,
    _fill,
    _lock,
    _lock_one,
    _mark_released,
    _notify,
    _release_due_in,
    seats_free,
)
from programme import clock
from programme.models import Cohort, Enrolment, Leader, NamedSeat, Reservation, User
from programme.models.reservations import release_day


def _open_reservation(reservation: Reservation, now: dt.datetime) -> Reservation:
    """The reservation read again under its cohort's lock; refused when no longer open."""
    fresh = Reservation.objects.select_for_update().filter(pk=reservation.pk).first()
    if fresh is None or fresh.released_at is not None:
        raise BookingError(_("This reservation has already been released."))
    if fresh.release_on <= timezone.localdate(now):
        raise BookingError(
            _("The release day of this reservation has come: its unnamed seats are free again.")
        )
    return fresh


@transaction.atomic
def reserve(
    *, manager: User, cohort: Cohort, seats: int, now: dt.datetime | None = None
) -> Reservation:
    """Hold ``seats`` free seats of the cohort for the manager to name leaders into."""
    now = now or clock.now()
    cohort = _lock_one(cohort.pk)
    if seats < 1:
        raise BookingError(_("Reserve at least one seat."))
    first = cohort.sessions.order_by("starts_at").values_list("starts_at", flat=True).first()
    day = release_day(first)
    if day is None:
        raise BookingError(
            _("%(cohort)s has no sessions yet, so no seats can be reserved in it.")
            % {"cohort": cohort.name}
        )
    if day <= timezone.localdate(now):
        raise BookingError(
            _(
                "The release day of %(cohort)s (%(day)s) has come: seats can no longer be "
                "reserved in it."
            )
            % {"cohort": cohort.name, "day": day.strftime("%d.%m.%Y")}
        )
    _fill(cohort, now)  # marks reservations whose day has come: the waitlist goes first
    free = seats_free(cohort, now)
    if free < seats:
        raise BookingError(
            ngettext(
                "%(cohort)s has only %(free)s free seat.",
                "%(cohort)s has only %(free)s free seats.",
                free,
            )
            % {"cohort": cohort.name, "free": max(free, 0)}
        )
    return Reservation.objects.create(
        cohort=cohort, manager=manager, seats=seats, reserved_at=now, release_on=day
    )


@transaction.atomic
def name_leader(
    *, reservation: Reservation, leader: Leader, now: dt.datetime | None = None
) -> Enrolment:
    """The leader takes one of the reservation's seats: a place in its cohort.

    The caller checks that the leader belongs to the manager's departments
    (:mod:`managers.reservations`). Refused when the leader already has a place in
    the programme (the manager cancels it first), or every seat is named.
    """
    now = now or clock.now()
    existing = _active_place(leader, reservation.cohort.programme_id)
    locked = _lock(reservation.cohort_id, *([existing.cohort_id] if existing else []))
    cohort = locked[reservation.cohort_id]
    reservation = _open_reservation(reservation, now)
    _check_still_here(leader, now)
    existing = _active_place(leader, cohort.programme_id)
    if existing is not None:
        raise BookingError(
            _("%(leader)s already has a place in %(cohort)s. Cancel it first to change cohort.")
            % {"leader": leader.name, "cohort": existing.cohort.name}
        )
    if reservation.named >= reservation.seats:
        raise BookingError(_("Every seat of this reservation is named."))
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(
                leader=leader, cohort=cohort, status=Enrolment.Status.ENROLLED, requested_at=now
            )
    except IntegrityError as exc:
        raise BookingError(_("The leader already has a place in this programme.")) from exc
    reservation.named += 1
    reservation.save(update_fields=["named"])
    NamedSeat.objects.create(reservation=reservation, enrolment=enrolment, named_at=now)
    # A make-up guest in the cohort no longer needs that seat: it may go to the waitlist.
    _drop_makeups_in_own_cohort(leader.pk, cohort.pk, now)
    enrolment.position = None
    _notify("enrolled", enrolment)
    _fill(cohort, now)
    return enrolment


@transaction.atomic
def release_reservation(
    *, reservation: Reservation, by_staff: bool = False, now: dt.datetime | None = None
) -> list[Enrolment]:
    """Give the reservation's unnamed seats back (early, by the manager, or HR cancels
    it); the waitlist takes them. Named leaders keep their places."""
    now = now or clock.now()
    cohort = _lock_one(reservation.cohort_id)
    fresh = Reservation.objects.select_for_update().filter(pk=reservation.pk).first()
    if fresh is None or fresh.released_at is not None:
        raise BookingError(_("This reservation has already been released."))
    if fresh.release_on <= timezone.localdate(now):
        reason = Reservation.Release.RELEASE_DAY
    else:
        reason = Reservation.Release.BY_HR if by_staff else Reservation.Release.BY_MANAGER
    _mark_released(fresh, reason, now)
    reservation.released_at, reservation.release_reason = fresh.released_at, reason
    return _fill(cohort, now)


@transaction.atomic
def release_due_reservations(
    *, now: dt.datetime | None = None
) -> tuple[list[Reservation], list[Enrolment]]:
    """Every reservation whose release day has begun is marked released and its cohort's
    waitlist filled (``close_places``). Running it again changes nothing."""
    now = now or clock.now()
    cohort_ids = set(Reservation.objects.due(now).values_list("cohort_id", flat=True))
    released: list[Reservation] = []
    promoted: list[Enrolment] = []
    for cohort in _lock(*cohort_ids).values():
        released += _release_due_in(cohort, now)
        promoted += _fill(cohort, now)  # (a cohort that has begun promotes nobody)
    return released, promoted
