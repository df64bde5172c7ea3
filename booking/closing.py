"""Leavers and closing: a leader who leaves the municipality gives up make-up seats after
the leaving day, and :func:`close_places` (``manage.py close_places``) ends the places of
leavers and the waitlists of cohorts that have begun."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from booking.makeups import cancel_makeup
from booking.places import cancel
from booking.reservations import release_due_reservations
from booking.seats import ClosedPlaces, _lock, _notify
from programme import clock
from programme.models import Cohort, Enrolment, Leader, MakeUpBooking

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
    (``notify=False`` when loading historical data); reservations whose release day
    has begun give their unnamed seats to the waitlist; leaders whose leaving day is
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
    # Reservations whose release day has begun: their unnamed seats to the waitlists.
    released, promoted = release_due_reservations(now=now)
    result.reservations_released += released
    result.promoted += promoted
    leavers = Leader.objects.filter(left_on__lt=today).filter(
        pk__in=Enrolment.objects.filter(status__in=Enrolment.ACTIVE).values("leader")
    ) | Leader.objects.filter(left_on__lt=today).filter(
        pk__in=MakeUpBooking.objects.filter(session__starts_at__gt=now).values("leader")
    )
    for leader in leavers.distinct().order_by("pk"):
        result.promoted += leave(leader=leader, now=now)
        result.leavers.append(leader)
    return result
