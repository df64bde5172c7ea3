"""Seats a manager reserves in a cohort for the leaders of their departments.

A reservation holds ``seats`` of a cohort's capacity for one manager: they count as taken
for everyone else (``Cohort.objects.with_seats()``, ``Session.objects.with_free_seats()``)
until the manager names a leader into one (the seat becomes that leader's place: ``named``
counts them), the manager or HR releases the rest, or the release day begins
(``RESERVATION_RELEASE_DAYS`` before the cohort's first session), whichever is first. A
read treats a reservation whose release day (``release_on``, set when reserving) has
begun as released, whether or not ``close_places`` has marked it yet. Only
:mod:`booking` changes these rows.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programme.page_versions import KeptQuerySet


def release_day(first_session_at: dt.datetime | None) -> dt.date | None:
    """The day a reservation's unnamed seats go back to everyone (from its first moment):
    ``RESERVATION_RELEASE_DAYS`` before the day of the cohort's first session."""
    if first_session_at is None:
        return None
    first = timezone.localdate(first_session_at)
    return first - dt.timedelta(days=settings.RESERVATION_RELEASE_DAYS)


class ReservationQuerySet(KeptQuerySet):
    def open(self, now: dt.datetime) -> ReservationQuerySet:
        """Not released, and the release day not begun (whether or not it was marked)."""
        return self.filter(released_at__isnull=True, release_on__gt=timezone.localdate(now))

    def due(self, now: dt.datetime) -> ReservationQuerySet:
        """Not released yet, though the release day has begun: ``close_places`` marks them."""
        return self.filter(released_at__isnull=True, release_on__lte=timezone.localdate(now))


def _unnamed_seats(now: dt.datetime):
    """Open reservations' seats not yet named, per cohort: the one definition."""
    return (
        Reservation.objects.open(now)
        .order_by()
        .values("cohort")
        .annotate(n=Sum(F("seats") - F("named")))
    )


def open_reserved_seats(cohort_ref: str, now: dt.datetime) -> Coalesce:
    """The seats held by open reservations of the cohort ``OuterRef(cohort_ref)`` names and
    not yet named, for both annotations in :mod:`.cohorts`."""
    rows = _unnamed_seats(now).filter(cohort=OuterRef(cohort_ref)).values("n")
    return Coalesce(Subquery(rows, output_field=models.IntegerField()), 0)


def open_reserved_by_cohort(cohorts, now: dt.datetime) -> dict[int, int]:
    """The same seats for every cohort of ``cohorts`` (a queryset) that has any, in one
    query (:mod:`reports.chances`)."""
    return dict(_unnamed_seats(now).filter(cohort__in=cohorts).values_list("cohort", "n"))


class Reservation(models.Model):
    class Release(models.TextChoices):
        BY_MANAGER = "manager", _("Released by the manager")
        BY_HR = "hr", _("Cancelled by HR")
        RELEASE_DAY = "day", _("The release day came")

    cohort = models.ForeignKey(
        "programme.Cohort",
        on_delete=models.CASCADE,
        related_name="reservations",
        verbose_name=_("cohort"),
    )
    # The manager the seats are for: they name leaders of their departments into them.
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="reservations",
        verbose_name=_("manager"),
    )
    seats = models.PositiveSmallIntegerField(_("reserved seats"))
    named = models.PositiveSmallIntegerField(_("named seats"), default=0, editable=False)
    reserved_at = models.DateTimeField(_("reserved at"), default=timezone.now)
    # Set when reserving (from the first session), and only ever moved earlier: a session
    # moved to an earlier day brings it forward; nothing takes back seats once released.
    release_on = models.DateField(_("release day"))
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    release_reason = models.CharField(
        _("why the seats were released"), max_length=10, choices=Release.choices, blank=True
    )

    objects = ReservationQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        constraints = [
            models.CheckConstraint(
                condition=Q(seats__gt=0),
                name="reservation_at_least_one_seat",
                violation_error_message=_("A reservation needs at least one seat."),
            ),
            models.CheckConstraint(
                condition=Q(named__lte=F("seats")),
                name="reservation_named_at_most_seats",
                violation_error_message=_("More leaders are named than seats are reserved."),
            ),
            models.CheckConstraint(
                condition=Q(released_at__isnull=True, release_reason="")
                | Q(~Q(release_reason=""), released_at__isnull=False),
                name="reservation_released_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["cohort", "released_at", "release_on"])]

    def __str__(self) -> str:
        return f"{self.cohort} – {self.manager} ({self.seats})"

    @property
    def unnamed(self) -> int:
        return self.seats - self.named


class NamedSeat(models.Model):
    """Who took a reserved seat: the place the naming made."""

    reservation = models.ForeignKey(
        Reservation, on_delete=models.CASCADE, related_name="names", verbose_name=_("reservation")
    )
    enrolment = models.OneToOneField(
        "programme.Enrolment",
        on_delete=models.CASCADE,
        related_name="named_seat",
        verbose_name=_("enrolment"),
    )
    named_at = models.DateTimeField(_("named at"), default=timezone.now)

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("named seat")
        verbose_name_plural = _("named seats")

    def __str__(self) -> str:
        return str(self.enrolment)
