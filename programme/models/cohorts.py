"""The programme's core: the programme, its modules, cohorts and their sessions, and the
seats in them (places and make-up seats). The one definition of a cohort's taken seats
and a session's free seats is here (``with_seats``, ``with_free_seats``).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from programme.models.people import Leader
from programme.models.rooms import Facilitator, Location
from programme.page_versions import KeptQuerySet


class Programme(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="programme_ends_after_start",
                violation_error_message=_("The programme must end on or after its start date."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def window(self) -> tuple[dt.datetime, dt.datetime]:
        """The programme's first and last moment, in the portal's time zone."""
        tz = timezone.get_default_timezone()
        start = dt.datetime.combine(self.starts_on, dt.time.min, tzinfo=tz)
        end = dt.datetime.combine(self.ends_on + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        return start, end

    @classmethod
    def current(cls) -> Programme | None:
        """The programme the portal shows: the most recent one."""
        return cls.objects.order_by("-starts_on").first()

    @classmethod
    def current_name(cls) -> str:
        name = cls.objects.order_by("-starts_on").values_list("name", flat=True).first()
        return name or gettext("Digital leadership")


def current_programme(request) -> Programme | None:
    """The current programme, asked once per request (views and the header share it)."""
    if not hasattr(request, "_current_programme"):
        request._current_programme = Programme.current()
    return request._current_programme


class Module(models.Model):
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="modules", verbose_name=_("programme")
    )
    order = models.PositiveSmallIntegerField(_("order"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    required = models.BooleanField(_("required"), default=True)

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "order"]
        verbose_name = _("module")
        verbose_name_plural = _("modules")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "order"],
                name="module_order_unique_in_programme",
                violation_error_message=_("Another module of this programme has that number."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"


def seats_taken(enrolled: int, most_guests: int, reserved: int) -> int:
    """A cohort's taken seats from its counts read in bulk (:mod:`reports.chances`): the
    rule of :meth:`CohortQuerySet.with_seats`, which states it for the database."""
    return enrolled + most_guests + reserved


def free_seats(capacity: int, enrolled: int, guests: int, reserved: int) -> int:
    """A session's free seats from its counts read in bulk: the rule of
    :meth:`SessionQuerySet.with_free_seats`, which states it for the database."""
    return capacity - enrolled - guests - reserved


class CohortQuerySet(KeptQuerySet):
    def with_seats(self, now: dt.datetime | None = None) -> CohortQuerySet:
        """Annotate ``seats_taken``, ``seats_reserved``, ``waitlist_length`` and ``starts_at``.

        The one definition of a cohort's taken seats (see :mod:`booking`):
        its enrolled leaders, who are expected at every session, plus the largest
        number of make-up guests at any one of its sessions, plus the reserved seats
        not yet named of its open reservations (:mod:`.reservations`, at ``now``, the
        portal's clock by default). Correlated subqueries rather than joins and GROUP
        BY, so a page of cohorts counts only its own rows. :func:`seats_taken` states the
        same sum for counts read in bulk.
        """
        from programme import clock
        from programme.models.reservations import open_reserved_seats

        reserved = open_reserved_seats("pk", now or clock.now())

        def count(status: str) -> Coalesce:
            rows = (
                Enrolment.objects.filter(cohort=OuterRef("pk"), status=status)
                .order_by()
                .values("cohort")
                .annotate(n=models.Count("*"))
                .values("n")
            )
            return Coalesce(Subquery(rows, output_field=models.IntegerField()), 0)

        most_guests = (
            MakeUpBooking.objects.filter(session__cohort=OuterRef("pk"))
            .order_by()
            .values("session")
            .annotate(n=models.Count("*"))
            .order_by("-n")
            .values("n")[:1]
        )
        first = Session.objects.filter(cohort=OuterRef("pk")).order_by("starts_at")
        return self.annotate(
            seats_taken=count(Enrolment.Status.ENROLLED)
            + Coalesce(Subquery(most_guests, output_field=models.IntegerField()), 0)
            + reserved,
            seats_reserved=reserved,
            waitlist_length=count(Enrolment.Status.WAITLISTED),
            starts_at=Subquery(first.values("starts_at")[:1]),
        )


class Cohort(models.Model):
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="cohorts", verbose_name=_("programme")
    )
    name = models.CharField(_("name"), max_length=100)
    capacity = models.PositiveSmallIntegerField(_("seats"))
    enrolment_deadline = models.DateField(
        _("enrolment deadline"),
        help_text=_("Leaders can enrol and cancel themselves until the end of this day."),
    )

    objects = CohortQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "name"]
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "name"],
                name="cohort_name_unique_in_programme",
                violation_error_message=_("This programme already has a cohort with that name."),
            ),
            models.CheckConstraint(
                condition=Q(capacity__gt=0),
                name="cohort_capacity_positive",
                violation_error_message=_("A cohort needs at least one seat."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("dashboard:cohort_detail", args=[self.pk])

    def deadline_passed(self, now: dt.datetime | None = None) -> bool:
        """Self-service closes when the deadline day is over, Copenhagen time."""
        from programme import clock

        now = now or clock.now()
        return timezone.localdate(now) > self.enrolment_deadline

    def has_started(self, now: dt.datetime | None = None) -> bool:
        """Its first session has begun: the waitlist is closed (see :mod:`booking`).

        Reads ``starts_at`` when ``with_seats()`` annotated it, else asks the database.
        """
        from programme import clock

        now = now or clock.now()
        if "starts_at" in self.__dict__:
            return self.starts_at is not None and self.starts_at <= now
        return self.sessions.filter(starts_at__lte=now).exists()


# What a leader's calendar shows of a session: a change of any of these is sent to the
# leaders who hold it as an update of the entry (mail.calendar_updates), with a higher
# ``Session.sequence``.
CALENDAR_FIELDS = ("starts_at", "ends_at", "location_id")

# Sent inside the writing transaction after a session's time or room changed, or after
# it moved to another cohort: ``sessions`` the changed sessions as saved, ``previous``
# {session id: the stored values before (CALENDAR_FIELDS and ``cohort_id``)}. The e-mails
# to the leaders who hold them are queued by mail.calendar_updates (above the models).
session_rescheduled = Signal()


def _calendar_values(row: dict) -> tuple:
    return tuple(row[name] for name in CALENDAR_FIELDS)


class SessionQuerySet(KeptQuerySet):
    def update(self, **kwargs):
        """A bulk change of a session's time or room raises each one's ``sequence`` and
        sends :data:`session_rescheduled`, in the same transaction, as a save does."""
        changing = {name.removesuffix("_id") for name in kwargs} & {
            name.removesuffix("_id") for name in (*CALENDAR_FIELDS, "cohort_id")
        }
        if not changing or "sequence" in kwargs:
            return super().update(**kwargs)
        with transaction.atomic(using=self._write_db()):
            previous = {
                row["pk"]: row
                for row in self.select_for_update()
                .order_by("pk")
                .values("pk", "cohort_id", "sequence", *CALENDAR_FIELDS)
            }
            updated = super().update(**kwargs, sequence=F("sequence") + 1)
            sessions = list(Session._base_manager.filter(pk__in=previous).order_by("pk"))
            changed = [
                session
                for session in sessions
                if _calendar_values(previous[session.pk]) != _calendar_values(vars(session))
                or previous[session.pk]["cohort_id"] != session.cohort_id
            ]
            if changed:
                session_rescheduled.send(Session, sessions=changed, previous=previous)
        return updated

    update.alters_data = True

    def with_free_seats(self, now: dt.datetime | None = None) -> SessionQuerySet:
        """Annotate ``free_seats``: the cohort's seats less its enrolled, its reserved
        seats not yet named (at ``now``; also annotated, ``seats_reserved``) and the
        session's make-ups.

        The one definition of a session's free seats, used by booking and the pages
        (:func:`free_seats` states it for counts read in bulk).
        """
        from programme import clock
        from programme.models.reservations import open_reserved_seats

        enrolled = (
            Enrolment.objects.filter(cohort=OuterRef("cohort"), status=Enrolment.Status.ENROLLED)
            .order_by()
            .values("cohort")
            .annotate(n=models.Count("*"))
            .values("n")
        )
        makeups = (
            MakeUpBooking.objects.filter(session=OuterRef("pk"))
            .order_by()
            .values("session")
            .annotate(n=models.Count("*"))
            .values("n")
        )
        return self.annotate(
            free_seats=F("cohort__capacity")
            - Coalesce(Subquery(enrolled, output_field=models.IntegerField()), 0)
            - Coalesce(Subquery(makeups, output_field=models.IntegerField()), 0)
            - open_reserved_seats("cohort", now or clock.now()),
            # Held for a manager's leaders, not yet named: no one is expected in them yet.
            seats_reserved=open_reserved_seats("cohort", now or clock.now()),
        )


class Session(models.Model):
    cohort = models.ForeignKey(
        Cohort, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("cohort")
    )
    module = models.ForeignKey(
        Module, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("module")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    # PROTECT: a room or facilitator with sessions is not deleted from under them.
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("location")
    )
    facilitator = models.ForeignKey(
        Facilitator,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("facilitator"),
    )
    # Set when the facilitator closes the session: the ones not there are recorded absent.
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The iCalendar SEQUENCE of the session's entry in the leaders' calendars: raised in
    # the same transaction as every change of its time or room (save, or a bulk update),
    # so the update sent for it replaces what a calendar holds (programme/calendar.py).
    sequence = models.PositiveIntegerField(_("calendar version"), default=0, editable=False)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="session_ends_after_start",
                violation_error_message=_("A session must end after it starts."),
            ),
        ]

    def __str__(self) -> str:
        local = timezone.localtime(self.starts_at)
        return f"{self.module.title} ({self.cohort.name}, {local:%d.%m.%Y %H:%M})"

    def save(self, *args, **kwargs):
        # The programme window spans two tables, which a CHECK cannot see; every
        # write goes through clean() so no path stores a session outside it.
        self.clean()
        update_fields = kwargs.get("update_fields")
        calendar_fields = {*CALENDAR_FIELDS, "location", "cohort", "cohort_id"}
        if (
            self.pk is None
            or self._state.adding
            or (update_fields is not None and not calendar_fields & set(update_fields))
        ):
            super().save(*args, **kwargs)
            return
        with transaction.atomic(using=kwargs.get("using")):
            # The stored row, locked: two changes at once each raise the sequence.
            stored = (
                Session._base_manager.select_for_update()
                .filter(pk=self.pk)
                .values("pk", "cohort_id", "sequence", *CALENDAR_FIELDS)
                .first()
            )
            changed = stored is not None and (
                _calendar_values(stored) != _calendar_values(vars(self))
                or stored["cohort_id"] != self.cohort_id
            )
            if changed:
                self.sequence = stored["sequence"] + 1
                if update_fields is not None:
                    kwargs["update_fields"] = {*update_fields, "sequence"}
            super().save(*args, **kwargs)
            if changed:
                session_rescheduled.send(Session, sessions=[self], previous={self.pk: stored})

    def get_absolute_url(self) -> str:
        return reverse("dashboard:cohort_detail", args=[self.cohort_id])

    def clean(self) -> None:
        super().clean()
        if self.cohort_id and self.module_id:
            programme = self.cohort.programme
            if self.module.programme_id != programme.pk:
                raise ValidationError(
                    {"module": _("The module belongs to another programme than the cohort.")}
                )
            if self.starts_at and self.ends_at:
                start, end = programme.window()
                if self.starts_at < start or self.ends_at > end:
                    raise ValidationError(
                        _("The session must lie inside the programme (%(start)s – %(end)s).")
                        % {
                            "start": programme.starts_on.strftime("%d.%m.%Y"),
                            "end": programme.ends_on.strftime("%d.%m.%Y"),
                        }
                    )


class Enrolment(models.Model):
    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("Enrolled")
        WAITLISTED = "waitlisted", _("Waitlisted")
        CANCELLED = "cancelled", _("Cancelled")

    class EndReason(models.TextChoices):
        BY_LEADER = "leader", _("Cancelled by the leader")
        BY_HR = "hr", _("Cancelled by HR")
        BY_MANAGER = "manager", _("Cancelled by the leader's manager")
        MOVED = "moved", _("Moved to another cohort")
        LEFT = "left", _("The leader left the municipality")
        WAITLIST_CLOSED = "waitlist_closed", _("The waitlist closed when the cohort started")

    ACTIVE = (Status.ENROLLED, Status.WAITLISTED)

    # PROTECT: a leader with a history leaves (booking.leave) and is anonymised;
    # deleting them would free seats behind booking's back.
    leader = models.ForeignKey(
        Leader, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("leader")
    )
    cohort = models.ForeignKey(
        Cohort, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("cohort")
    )
    # Copied from the cohort so the database can enforce one active enrolment
    # per leader per programme with a conditional unique constraint.
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="+", editable=False
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    end_reason = models.CharField(
        _("why the place ended"), max_length=20, choices=EndReason.choices, blank=True
    )

    history = HistoricalRecords()

    objects = KeptQuerySet.as_manager()

    class Meta:
        # The waitlist's order of arrival: rows are inserted under the cohort's lock,
        # so their ids are the order in which places were taken (see booking).
        ordering = ["pk"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(
                fields=["leader", "programme"],
                condition=Q(status__in=["enrolled", "waitlisted"]),
                name="one_active_enrolment_per_programme",
                violation_error_message=_("The leader already has a place in this programme."),
            ),
            models.CheckConstraint(
                condition=Q(status="cancelled", cancelled_at__isnull=False)
                | Q(~Q(status="cancelled"), cancelled_at__isnull=True),
                name="enrolment_cancelled_has_time",
            ),
            models.CheckConstraint(
                condition=Q(status="cancelled") | Q(end_reason=""),
                name="enrolment_only_an_ended_place_has_a_reason",
            ),
        ]
        indexes = [models.Index(fields=["cohort", "status"])]

    def __str__(self) -> str:
        return f"{self.leader} – {self.cohort} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        self.programme_id = self.cohort.programme_id
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class MakeUpBooking(models.Model):
    """A leader's seat at one session of another cohort, to make up a missed module."""

    # PROTECT: a make-up seat ends only through booking.cancel_makeup, which
    # gives it to the waitlist; deleting its leader or session would not.
    leader = models.ForeignKey(
        Leader, on_delete=models.PROTECT, related_name="makeups", verbose_name=_("leader")
    )
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="makeups", verbose_name=_("session")
    )
    booked_at = models.DateTimeField(_("booked at"), default=timezone.now)

    history = HistoricalRecords()

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["booked_at"]
        verbose_name = _("make-up booking")
        verbose_name_plural = _("make-up bookings")
        constraints = [
            models.UniqueConstraint(
                fields=["leader", "session"],
                name="one_makeup_per_leader_and_session",
                violation_error_message=_("The leader already has a seat at this session."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.leader} – {self.session}"
