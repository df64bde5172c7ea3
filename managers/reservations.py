"""Seats a manager reserves for their leaders: which reservations a person sees, the
cohorts they may reserve in, and the leaders they may name into a reserved seat.

The seat rule is :mod:`booking`'s (``booking.reserve``, ``booking.name_leader``,
``booking.release_reservation``); here is only who may do what. A manager sees and acts
on their own reservations, and names leaders of their own departments (the reports'
scope, :func:`reports.rules.scope_for`); HR sees every reservation and acts for the
manager it is for (the leaders named are that manager's). Anyone else's reservation is a
404, as a leader outside the scope is.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from programme.models import Cohort, Enrolment, Leader, Programme, Reservation, User
from programme.models.reservations import release_day
from reports.rules import Scope, scope_for


def reservations(scope: Scope, user: User, programme: Programme | None) -> QuerySet[Reservation]:
    """The reservations of the current programme the person sees, newest first, with
    their cohort and manager (one query)."""
    if programme is None:
        return Reservation.objects.none()
    rows = Reservation.objects.filter(cohort__programme=programme)
    if not scope.is_hr:
        rows = rows.filter(manager=user)
    return rows.select_related("cohort", "manager").order_by("-reserved_at", "-pk")


def reservation_for(scope: Scope, user: User, pk: int) -> Reservation:
    """One reservation the person may act on, or 404."""
    rows = Reservation.objects.select_related("cohort", "manager")
    if not scope.is_hr:
        rows = rows.filter(manager=user)
    return get_object_or_404(rows, pk=pk)


def reservable_cohorts(programme: Programme | None, now: dt.datetime) -> list[Cohort]:
    """The programme's cohorts with a free seat whose release day has not come, soonest
    first, each with ``seats_free`` and ``release_on`` (one query)."""
    if programme is None:
        return []
    today = timezone.localdate(now)
    cohorts = (
        Cohort.objects.filter(programme=programme)
        .with_seats(now)
        .annotate(seats_free=F("capacity") - F("seats_taken"))
        .filter(seats_free__gt=0)
        .order_by("enrolment_deadline", "name", "pk")
    )
    found = []
    for cohort in cohorts:
        cohort.release_on = release_day(cohort.starts_at)
        if cohort.release_on is not None and cohort.release_on > today:
            found.append(cohort)
    return found


def leaders_to_name(reservation: Reservation, now: dt.datetime) -> QuerySet[Leader]:
    """Leaders of the reservation's manager's departments without a place in its
    programme and still here: those who may take one of its seats."""
    try:
        scope = scope_for(reservation.manager)
    except PermissionDenied:  # no longer manages a department: nobody to name
        return Leader.objects.none()
    placed = Enrolment.objects.filter(
        programme=reservation.cohort.programme_id, status__in=Enrolment.ACTIVE
    )
    return (
        Leader.objects.filter(department__in=scope.departments)
        .filter(Leader.here_on(timezone.localdate(now)))
        .exclude(pk__in=placed.values("leader"))
        .order_by("name", "pk")
    )


def is_open(reservation: Reservation, now: dt.datetime) -> bool:
    return reservation.released_at is None and reservation.release_on > timezone.localdate(now)
