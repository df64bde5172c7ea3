"""The programme's domain: who takes part, in which cohort, at which sessions.

Rules that must never be broken are constraints in the database; ``clean()``
turns them into messages a person can act on.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .page_versions import KeptQuerySet, PageWrite  # noqa: F401 - PageWrite: the versions' rows
from .placeholders import EmailKind, placeholder_errors

# -- A row as the database holds it when a save begins --------------------------------
# Receivers that must know a row's old values (its old owner, its old cohort) ask for the
# fields here when the app is ready (:func:`read_before_save`); one receiver, connected
# when this module is imported and so before any receiver that imports a model, reads
# the union of them in one query per save. No receiver depends on another's attributes
# or on the order they were connected in.
_READ_BEFORE_SAVE: dict[type[models.Model], set[str]] = {}


def read_before_save(model: type[models.Model], *fields: str) -> None:
    """Have every save of ``model`` read these fields (lookups allowed) from the database
    first, for :func:`stored_before_save`."""
    _READ_BEFORE_SAVE.setdefault(model, set()).update(fields)


def stored_before_save(instance: models.Model) -> dict:
    """The fields asked for with :func:`read_before_save`, as the database held them when
    this instance's last save began; ``{}`` for a new row (or a model nobody asked for)."""
    return instance.__dict__.get("_stored_before_save", {})


def _read_stored(sender, instance, raw=False, **kwargs) -> None:
    fields = _READ_BEFORE_SAVE.get(sender)
    if not fields:
        return
    stored = (
        sender._base_manager.filter(pk=instance.pk).values(*sorted(fields)).first()
        if instance.pk
        else None
    )
    instance.__dict__["_stored_before_save"] = stored or {}


models.signals.pre_save.connect(_read_stored, dispatch_uid="programme.models.stored_before_save")


class UserManager(DjangoUserManager.from_queryset(KeptQuerySet)):
    """Users sign in with their e-mail address; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractUser):
    username = None
    email = models.EmailField(_("e-mail address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @cached_property
    def is_hr(self) -> bool:
        """HR sees every department: superusers and staff in the HR group."""
        if self.is_superuser:
            return True
        return self.is_staff and self.groups.filter(name=HR_GROUP).exists()

    @cached_property
    def manages_departments(self) -> bool:
        return self.managed_departments.exists()

    @classmethod
    def for_request(cls, pk) -> User | None:
        """The signed-in user as every request loads it: with their leader record and
        whether they are HR or a manager, in one query (the header asks all three)."""
        in_hr = Group.objects.filter(user=OuterRef("pk"), name=HR_GROUP)
        manages = Department.managers.through.objects.filter(user=OuterRef("pk"))
        user = (
            cls._default_manager.select_related("leader")
            .annotate(in_hr_group=Exists(in_hr), manages=Exists(manages))
            .filter(pk=pk)
            .first()
        )
        if user is not None:
            # Fill the cached properties, so neither asks again.
            user.__dict__["is_hr"] = user.is_superuser or (user.is_staff and user.in_hr_group)
            user.__dict__["manages_departments"] = user.manages
        return user


HR_GROUP = "HR"


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


class Department(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    code = models.CharField(_("code"), max_length=20, unique=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="units",
        verbose_name=_("part of"),
        help_text=_(
            "The administration or centre this department belongs to. HR's report shows "
            "one line per administration or centre, and its departments one click further."
        ),
    )
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="managed_departments",
        verbose_name=_("managers"),
        help_text=_("The people who may see this department's completion report."),
    )

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")), name="department_not_its_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # Two levels: an administration or centre, and its departments.
        if self.parent_id is None:
            return
        if self.parent_id == self.pk:
            raise ValidationError({"parent": _("A department cannot be part of itself.")})
        if self.parent.parent_id is not None:
            raise ValidationError(
                {
                    "parent": _("%(parent)s is itself part of %(grandparent)s: choose that.")
                    % {"parent": self.parent, "grandparent": self.parent.parent}
                }
            )
        if self.pk is not None and self.units.exists():
            raise ValidationError(
                {"parent": _("Departments are part of this one: it cannot be part of another.")}
            )


class Leader(models.Model):
    class Level(models.TextChoices):
        DIRECTOR = "director", _("Director")
        HEAD_OF_CENTRE = "centre", _("Head of centre")
        DEPARTMENT = "department", _("Head of department")
        TEAM = "team", _("Team leader")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="leader",
        verbose_name=_("login"),
    )
    employee_number = models.CharField(_("employee number"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    title = models.CharField(_("job title"), max_length=200, blank=True)
    level = models.CharField(_("leadership level"), max_length=20, choices=Level.choices)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="leaders",
        verbose_name=_("department"),
    )
    left_on = models.DateField(
        _("left the municipality on"),
        null=True,
        blank=True,
        help_text=_("Personal data is anonymised a while after this date."),
    )
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    history = HistoricalRecords()

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("leader")
        verbose_name_plural = _("leaders")
        indexes = [models.Index(fields=["department", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def email(self) -> str:
        """A leader's e-mail is their login; it lives on the user."""
        return self.user.email

    def has_left(self, today: dt.date) -> bool:
        """Gone from the programme: from the day after ``left_on`` (on the day itself they
        may still come to a session), or once anonymised. The one rule for signing in,
        booking, invitations, sheets and reports."""
        return self.anonymised_at is not None or (self.left_on is not None and self.left_on < today)

    @staticmethod
    def here_on(day: dt.date, prefix: str = "") -> Q:
        """``has_left`` as a query: leaders still with the municipality on ``day``.

        ``prefix`` reaches the leader through a relation, e.g. ``"leader__"``.
        """
        return Q(**{f"{prefix}anonymised_at__isnull": True}) & (
            Q(**{f"{prefix}left_on__isnull": True}) | Q(**{f"{prefix}left_on__gte": day})
        )


class CohortQuerySet(KeptQuerySet):
    def with_seats(self) -> CohortQuerySet:
        """Annotate ``seats_taken``, ``waitlist_length`` and ``starts_at``.

        The one definition of a cohort's taken seats (see :mod:`programme.booking`):
        its enrolled leaders, who are expected at every session, plus the largest
        number of make-up guests at any one of its sessions. Correlated subqueries
        rather than joins and GROUP BY, so a page of cohorts counts only its own rows.
        """

        def count(status: str) -> Coalesce:
            rows = (
                Enrolment.objects.filter(cohort=OuterRef("pk"), status=status)
                .order_by()
                .values("cohort")
                .annotate(n=models.Count("pk"))
                .values("n")
            )
            return Coalesce(Subquery(rows, output_field=models.IntegerField()), 0)

        most_guests = (
            MakeUpBooking.objects.filter(session__cohort=OuterRef("pk"))
            .order_by()
            .values("session")
            .annotate(n=models.Count("pk"))
            .order_by("-n")
            .values("n")[:1]
        )
        first = Session.objects.filter(cohort=OuterRef("pk")).order_by("starts_at")
        return self.annotate(
            seats_taken=count(Enrolment.Status.ENROLLED)
            + Coalesce(Subquery(most_guests, output_field=models.IntegerField()), 0),
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
        return reverse("programme:cohort_detail", args=[self.pk])

    def deadline_passed(self, now: dt.datetime | None = None) -> bool:
        """Self-service closes when the deadline day is over, Copenhagen time."""
        from . import clock

        now = now or clock.now()
        return timezone.localdate(now) > self.enrolment_deadline

    def has_started(self, now: dt.datetime | None = None) -> bool:
        """Its first session has begun: the waitlist is closed (see :mod:`programme.booking`).

        Reads ``starts_at`` when ``with_seats()`` annotated it, else asks the database.
        """
        from . import clock

        now = now or clock.now()
        if "starts_at" in self.__dict__:
            return self.starts_at is not None and self.starts_at <= now
        return self.sessions.filter(starts_at__lte=now).exists()


class Location(models.Model):
    """A room where sessions are held: its seats bound every cohort that meets there."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    address = models.CharField(
        _("address"), max_length=300, blank=True, help_text=_("Street, postcode and town.")
    )
    capacity = models.PositiveSmallIntegerField(_("seats"))
    accessibility = models.TextField(
        _("accessibility"),
        blank=True,
        help_text=_("Step-free access, hearing loop, lift: what a participant should know."),
    )

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__gt=0),
                name="location_capacity_positive",
                violation_error_message=_("A room needs at least one seat."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def full_address(self) -> str:
        """The room and where it is, as a calendar or an e-mail shows it."""
        return f"{self.name}, {self.address}" if self.address else self.name


class Facilitator(models.Model):
    """Who runs sessions; with a login they see their sessions and run check-in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="facilitator",
        verbose_name=_("login"),
        help_text=_("The login the facilitator signs in with to run the session screen."),
    )
    name = models.CharField(_("name"), max_length=200, unique=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("facilitator")
        verbose_name_plural = _("facilitators")

    def __str__(self) -> str:
        return self.name

    @property
    def display(self) -> str:
        """Name and organisation, as leaders see it."""
        if self.organisation and self.organisation != self.name:
            return f"{self.name} ({self.organisation})"
        return self.name


class SessionQuerySet(KeptQuerySet):
    def with_free_seats(self) -> SessionQuerySet:
        """Annotate ``free_seats``: the cohort's seats less its enrolled and the make-ups.

        The one definition of a session's free seats, used by booking and the pages.
        """
        enrolled = (
            Enrolment.objects.filter(cohort=OuterRef("cohort"), status=Enrolment.Status.ENROLLED)
            .order_by()
            .values("cohort")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        makeups = (
            MakeUpBooking.objects.filter(session=OuterRef("pk"))
            .order_by()
            .values("session")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        return self.annotate(
            free_seats=F("cohort__capacity")
            - Coalesce(Subquery(enrolled, output_field=models.IntegerField()), 0)
            - Coalesce(Subquery(makeups, output_field=models.IntegerField()), 0)
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
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("programme:cohort_detail", args=[self.cohort_id])

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


class Attendance(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        LATE = "late", _("Late")
        EXCUSED = "excused", _("Excused")
        ABSENT = "absent", _("Absent")

    class Source(models.TextChoices):
        SHEET = "sheet", _("Attendance sheet")
        SELF_CHECK_IN = "self", _("Self check-in")
        FACILITATOR = "facilitator", _("Facilitator")
        CLOSED = "closed", _("Session closed")

    # A module is completed by being there, on time or late.
    COMPLETING = (Status.PRESENT, Status.LATE)

    # PROTECT: attendance is the programme's record; it outlives a leader's data
    # (anonymisation keeps it) and a session cannot be deleted from under it.
    leader = models.ForeignKey(
        Leader, on_delete=models.PROTECT, related_name="attendances", verbose_name=_("leader")
    )
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="attendances", verbose_name=_("session")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    source = models.CharField(
        _("source"), max_length=12, choices=Source.choices, default=Source.SHEET
    )

    history = HistoricalRecords()

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["session__starts_at"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(
                fields=["leader", "session"],
                name="one_attendance_per_leader_and_session",
                violation_error_message=_("Attendance for this leader is already recorded."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.leader} – {self.session} ({self.get_status_display()})"

    @property
    def completes_module(self) -> bool:
        return self.status in self.COMPLETING


class Standing(models.Model):
    """A leader's progress in a programme, kept up to date so reports scale.

    Derived data: :func:`programme.progress.refresh_standings` writes it from the
    rows it summarises whenever attendance, a place, a make-up or a session
    changes (see ``programme/signals.py``), and ``manage.py refresh_standings``
    rebuilds it. Every field is independent of the clock: a leader is behind at
    a moment ``now`` when ``behind_from <= now``.
    """

    leader = models.ForeignKey(
        Leader, on_delete=models.CASCADE, related_name="standings", verbose_name=_("leader")
    )
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="+", verbose_name=_("programme")
    )
    modules_done = models.PositiveSmallIntegerField(_("required modules completed"), default=0)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # When the earliest session the leader was expected at, of a required module
    # they have not completed, ends; null when there is none.
    behind_from = models.DateTimeField(_("behind from"), null=True, blank=True)
    # Per module, by module id: [completed_at, expected_until, missed_from] as Unix
    # seconds or null (see progress.ModuleProgress); modules with nothing are left out.
    modules = models.JSONField(_("modules"), default=dict, blank=True)
    refreshed_at = models.DateTimeField(_("refreshed at"), auto_now=True)

    objects = KeptQuerySet.as_manager()

    class Meta:
        verbose_name = _("standing")
        verbose_name_plural = _("standings")
        constraints = [
            models.UniqueConstraint(
                fields=["leader", "programme"], name="one_standing_per_programme"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.leader_id}/{self.programme_id}: {self.modules_done}"


def new_certificate_code() -> str:
    """Random and long enough that a code cannot be guessed; no 0/O or 1/I to misread."""
    import secrets

    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


class Certificate(models.Model):
    """A kursusbevis: issued once per leader and programme when they completed it.

    Its code is random (not an id), so the public verification page cannot be walked.
    """

    leader = models.ForeignKey(
        Leader, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("leader")
    )
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="+", verbose_name=_("programme")
    )
    code = models.CharField(
        _("verification code"), max_length=32, unique=True, default=new_certificate_code
    )
    completed_on = models.DateField(_("completed on"))
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.UniqueConstraint(
                fields=["leader", "programme"], name="one_certificate_per_programme"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("verify_certificate", args=[self.code])


class SentReminder(models.Model):
    """What reminder went to whom, so a rerun of ``send_reminders`` sends nothing twice."""

    class Kind(models.TextChoices):
        UPCOMING_SESSION = "session", _("Upcoming session")
        NOT_ENROLLED = "not_enrolled", _("Not enrolled")
        BEHIND = "behind", _("Behind")

    leader = models.ForeignKey(
        Leader, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("leader")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # The session for session reminders, the programme for enrolment reminders.
    subject_key = models.CharField(_("about"), max_length=50)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    # Who pressed "Send reminder" on the compliance page; empty for the daily job.
    sent_by = models.ForeignKey(
        "User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("sent reminder")
        verbose_name_plural = _("sent reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["leader", "kind", "subject_key"], name="reminder_sent_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.leader}"


# --- E-mail: the texts HR words, invitations, the outbox's attachments --------------


class EmailText(models.Model):
    """The subject and body of one kind of e-mail, in Danish and English, as HR words them.

    Placeholders such as ``{{ name }}`` are filled in when the e-mail is queued; each
    kind offers its own (``programme.placeholders.PLACEHOLDERS``), and a text with any other
    is refused when it is saved, never when it is sent.
    """

    Kind = EmailKind

    kind = models.CharField(_("e-mail"), max_length=30, choices=Kind.choices, unique=True)
    subject_da = models.CharField(_("subject (Danish)"), max_length=200)
    body_da = models.TextField(_("text (Danish)"))
    subject_en = models.CharField(_("subject (English)"), max_length=200)
    body_en = models.TextField(_("text (English)"))
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["kind"]
        verbose_name = _("e-mail text")
        verbose_name_plural = _("e-mail texts")

    def __str__(self) -> str:
        return str(self.get_kind_display())

    def clean(self) -> None:
        errors = {}
        for field in ("subject_da", "body_da", "subject_en", "body_en"):
            problems = placeholder_errors(self.kind, getattr(self, field))
            if problems:
                errors[field] = problems
        if errors:
            raise ValidationError(errors)

    def texts(self, language: str) -> tuple[str, str]:
        """Subject and body in ``language`` (Danish unless it is English)."""
        if language == "en":
            return self.subject_en, self.body_en
        return self.subject_da, self.body_da


class Invitation(models.Model):
    """An invitation e-mail to a leader: when, and by whom. HR sees the count per leader."""

    leader = models.ForeignKey(
        Leader, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("leader")
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    single_sign_on = models.BooleanField(_("sign in with the work account"), default=False)

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.leader} ({timezone.localtime(self.sent_at):%d.%m.%Y %H:%M})"


class OutboxFile(models.Model):
    """An attachment of a queued e-mail, kept in the database (``outbox`` storage)."""

    name = models.CharField(max_length=255, unique=True)
    content = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("e-mail attachment")
        verbose_name_plural = _("e-mail attachments")

    def __str__(self) -> str:
        return self.name


# --- Leader import: the preview waiting to be confirmed ------------------------------


class ImportBatch(models.Model):
    """A validated leader import waiting for HR to confirm it: the preview, kept server-side.

    The upload is read and every row checked once; what each line will do (new,
    changed or unchanged, with the values before and after) is stored here, so the
    confirmation - on whichever web process it lands - writes exactly what HR saw
    without reading the file again. Only the person who uploaded it can see or
    confirm it, and only for ``settings.IMPORT_PREVIEW_MAX_AGE`` seconds; it is
    deleted when confirmed. See :mod:`programme.imports`.
    """

    # Unguessable, so a batch's address reveals nothing and cannot be walked.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"))
    file_name = models.CharField(_("file name"), max_length=255)
    new_count = models.PositiveIntegerField(_("new leaders"))
    update_count = models.PositiveIntegerField(_("updated leaders"))
    unchanged_count = models.PositiveIntegerField(_("unchanged leaders"))
    # One entry per line of the file; see programme.imports.PlannedRow.
    rows = models.JSONField(_("rows"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("leader import")
        verbose_name_plural = _("leader imports")
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return self.file_name

    @property
    def total(self) -> int:
        return self.new_count + self.update_count + self.unchanged_count


# --- What the programme is for: the self-assessment and the leaders' initiatives -------


class Dimension(models.TextChoices):
    """The five dimensions of digital leadership, in the programme's order."""

    LEADERSHIP = "leadership", _("Leadership")
    IT = "it", _("IT")
    PEOPLE = "people", _("People")
    PROCESSES = "processes", _("Processes")
    TASKS = "tasks", _("Tasks")


class QuestionnaireFrozen(ValidationError):
    """A change to a questionnaire that has answers: comparison needs a new version."""


FROZEN_MESSAGE = _(
    "Leaders have answered this questionnaire, so its statements and scale cannot change "
    "(before and after would no longer compare). Make a new version instead."
)


class Questionnaire(models.Model):
    """One version of the self-assessment: its scale and, through ``statements``, its questions.

    Versions are the portal's, not a programme's: a new programme starts on the newest.

    Once a leader has answered it, it is frozen (statements, their dimensions and order,
    the scale's labels): the model refuses, the admin shows it read-only, and database
    triggers (migration 0009) refuse whatever gets past both. Changes go into a new
    version (:meth:`new_version`); a leader's follow-up uses their baseline's version.
    """

    version = models.PositiveSmallIntegerField(_("version"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    low_label = models.CharField(_("label of 1"), max_length=60)
    high_label = models.CharField(_("label of 5"), max_length=60)
    free_text_prompt = models.CharField(_("question for the free-text answer"), max_length=300)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        verbose_name = _("self-assessment questionnaire")
        verbose_name_plural = _("self-assessment questionnaires")

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    def save(self, *args, **kwargs):
        if self.pk is not None and self.is_frozen():
            old = Questionnaire.objects.filter(pk=self.pk).values("low_label", "high_label").first()
            if old and (old["low_label"], old["high_label"]) != (self.low_label, self.high_label):
                raise QuestionnaireFrozen(FROZEN_MESSAGE)
        super().save(*args, **kwargs)

    def is_frozen(self) -> bool:
        return self.pk is not None and self.responses.exists()

    @classmethod
    def current(cls) -> Questionnaire | None:
        """The newest version with statements: the one a new baseline is answered on."""
        return cls.objects.filter(statements__isnull=False).distinct().order_by("-version").first()

    @transaction.atomic
    def new_version(self) -> Questionnaire:
        """A copy with the next free version number and the same statements, to edit."""
        top = Questionnaire.objects.aggregate(top=models.Max("version"))["top"]
        copy = Questionnaire.objects.create(
            version=(top or 0) + 1,
            title=self.title,
            low_label=self.low_label,
            high_label=self.high_label,
            free_text_prompt=self.free_text_prompt,
        )
        Statement.objects.bulk_create(
            Statement(questionnaire=copy, dimension=s.dimension, order=s.order, text=s.text)
            for s in self.statements.all()
        )
        return copy


class Statement(models.Model):
    """One statement of a questionnaire, answered from 1 to 5, in one of the five dimensions."""

    questionnaire = models.ForeignKey(
        Questionnaire,
        on_delete=models.CASCADE,
        related_name="statements",
        verbose_name=_("questionnaire"),
    )
    dimension = models.CharField(_("dimension"), max_length=12, choices=Dimension.choices)
    order = models.PositiveSmallIntegerField(_("order"))
    text = models.CharField(_("statement"), max_length=300)

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["questionnaire", "order"]
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "order"],
                name="statement_order_unique_in_questionnaire",
                violation_error_message=_(
                    "Another statement of this questionnaire has that number."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.text

    FROZEN_FIELDS = ("questionnaire_id", "dimension", "order", "text")

    def save(self, *args, **kwargs):
        questionnaire = Questionnaire(pk=self.questionnaire_id)
        if questionnaire.is_frozen():
            old = (
                Statement.objects.filter(pk=self.pk).values(*self.FROZEN_FIELDS).first()
                if self.pk
                else None
            )
            if old is None or any(old[f] != getattr(self, f) for f in self.FROZEN_FIELDS):
                raise QuestionnaireFrozen(FROZEN_MESSAGE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if Questionnaire(pk=self.questionnaire_id).is_frozen():
            raise QuestionnaireFrozen(FROZEN_MESSAGE)
        return super().delete(*args, **kwargs)


class AssessmentResponse(models.Model):
    """A leader's answers in one round. Never shown to anyone but the leader; others
    see only averages of groups of at least ``ASSESSMENT_MIN_GROUP`` leaders."""

    class Round(models.TextChoices):
        BASELINE = "baseline", _("Before (baseline)")
        FOLLOW_UP = "follow_up", _("After (follow-up)")

    leader = models.ForeignKey(
        Leader,
        on_delete=models.CASCADE,
        related_name="assessments",
        verbose_name=_("leader"),
    )
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="+", verbose_name=_("programme")
    )
    # PROTECT: a questionnaire with answers is the yardstick; it stays.
    questionnaire = models.ForeignKey(
        Questionnaire,
        on_delete=models.PROTECT,
        related_name="responses",
        verbose_name=_("questionnaire"),
    )
    round = models.CharField(_("round"), max_length=10, choices=Round.choices)
    free_text = models.TextField(_("in your own words"), blank=True)
    submitted_at = models.DateTimeField(_("answered at"))

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["leader", "submitted_at"]
        verbose_name = _("self-assessment")
        verbose_name_plural = _("self-assessments")
        constraints = [
            models.UniqueConstraint(
                fields=["leader", "programme", "round"],
                name="one_self_assessment_per_round",
                violation_error_message=_("The leader has already answered this round."),
            ),
        ]
        indexes = [models.Index(fields=["programme", "round", "leader"])]

    def __str__(self) -> str:
        return f"{self.leader_id}/{self.get_round_display()}"


class Answer(models.Model):
    response = models.ForeignKey(
        AssessmentResponse,
        on_delete=models.CASCADE,
        related_name="answers",
        verbose_name=_("self-assessment"),
    )
    # PROTECT: a statement someone answered cannot go away.
    statement = models.ForeignKey(
        Statement, on_delete=models.PROTECT, related_name="answers", verbose_name=_("statement")
    )
    score = models.PositiveSmallIntegerField(_("score"))

    objects = KeptQuerySet.as_manager()

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "statement"], name="one_answer_per_statement"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5),
                name="answer_score_from_1_to_5",
                violation_error_message=_("An answer is a number from 1 to 5."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}: {self.score}"


class Initiative(models.Model):
    """A leader's own digitalisation initiative for their area."""

    class Status(models.TextChoices):
        IDEA = "idea", _("Idea")
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        ABANDONED = "abandoned", _("Abandoned")

    leader = models.ForeignKey(
        Leader, on_delete=models.CASCADE, related_name="initiatives", verbose_name=_("leader")
    )
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="+", verbose_name=_("programme")
    )
    title = models.CharField(_("title"), max_length=200)
    problem = models.TextField(_("the problem it solves for citizens or staff"))
    leadership = models.BooleanField(_("leadership"), default=False)
    it = models.BooleanField(_("IT"), default=False)
    people = models.BooleanField(_("people"), default=False)
    processes = models.BooleanField(_("processes"), default=False)
    tasks = models.BooleanField(_("tasks"), default=False)
    other_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("crosses into department"),
    )
    expected_benefit = models.TextField(_("expected benefit"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.IDEA
    )
    abandoned_reason = models.TextField(_("why it was abandoned"), blank=True)
    next_step_on = models.DateField(_("date of the next step"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    changed_at = models.DateTimeField(_("changed at"))

    # The five dimension flags, in Dimension's order.
    DIMENSION_FIELDS = {
        Dimension.LEADERSHIP: "leadership",
        Dimension.IT: "it",
        Dimension.PEOPLE: "people",
        Dimension.PROCESSES: "processes",
        Dimension.TASKS: "tasks",
    }

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("digitalisation initiative")
        verbose_name_plural = _("digitalisation initiatives")
        constraints = [
            models.CheckConstraint(
                condition=Q(leadership=True)
                | Q(it=True)
                | Q(people=True)
                | Q(processes=True)
                | Q(tasks=True),
                name="initiative_touches_a_dimension",
                violation_error_message=_("Choose at least one dimension the initiative touches."),
            ),
            models.CheckConstraint(
                condition=~Q(status="abandoned") | ~Q(abandoned_reason=""),
                name="initiative_abandoned_has_reason",
                violation_error_message=_("Say why the initiative was abandoned."),
            ),
        ]
        indexes = [models.Index(fields=["programme", "leader"])]

    def __str__(self) -> str:
        return self.title

    @property
    def dimensions(self) -> list[str]:
        return [d for d, field in self.DIMENSION_FIELDS.items() if getattr(self, field)]

    @property
    def dimension_labels(self) -> list[str]:
        return [str(Dimension(d).label) for d in self.dimensions]

    @property
    def crosses_areas(self) -> bool:
        return self.other_department_id is not None


class InitiativeStatusChange(models.Model):
    """The history of an initiative's status, one row per change, with its date."""

    initiative = models.ForeignKey(
        Initiative,
        on_delete=models.CASCADE,
        related_name="status_changes",
        verbose_name=_("initiative"),
    )
    status = models.CharField(_("status"), max_length=12, choices=Initiative.Status.choices)
    reason = models.TextField(_("reason"), blank=True)
    changed_at = models.DateTimeField(_("changed at"))

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["changed_at", "pk"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self) -> str:
        return f"{self.initiative_id}: {self.status}"


# --- Statistics about people: frozen entries, counted only in whole blocks ---------------
# The rule and the code that writes these rows are in programme/disclosure.py; nothing
# else writes them.


class StatisticsScope(models.Model):
    """One kind of statistics over one whole (the self-assessment of one programme, say).

    Its row is what block formation locks, so two answers arriving at once cannot both
    take the same waiting entries; ``closed_at`` is when the answer window had closed and
    the leftovers were combined across units."""

    kind = models.CharField(_("kind"), max_length=30)
    whole = models.CharField(_("whole"), max_length=40)
    closed_at = models.DateTimeField(_("leftovers combined at"), null=True, blank=True)

    objects = KeptQuerySet.as_manager()

    class Meta:
        verbose_name = _("statistics scope")
        verbose_name_plural = _("statistics scopes")
        constraints = [
            models.UniqueConstraint(fields=["kind", "whole"], name="one_statistics_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.whole}"


class StatisticsBlock(models.Model):
    """Exactly ``size`` entries that are only ever counted together.

    ``leaf`` and ``parent`` are the units the block lies under: a block formed in a
    leaf unit has both, one formed from a parent's leftovers only the parent, one formed
    from the whole's leftovers neither."""

    class Level(models.TextChoices):
        LEAF = "leaf", _("unit")
        PARENT = "parent", _("parent unit")
        WHOLE = "whole", _("whole")

    scope = models.ForeignKey(
        StatisticsScope, on_delete=models.PROTECT, related_name="blocks", verbose_name=_("scope")
    )
    level = models.CharField(_("formed at"), max_length=6, choices=Level.choices)
    leaf = models.CharField(_("unit"), max_length=40, blank=True)
    parent = models.CharField(_("parent unit"), max_length=40, blank=True)
    size = models.PositiveSmallIntegerField(_("size"))
    formed_at = models.DateTimeField(_("formed at"))

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["scope", "formed_at", "pk"]
        verbose_name = _("statistics block")
        verbose_name_plural = _("statistics blocks")
        constraints = [
            models.CheckConstraint(condition=Q(size__gte=1), name="statistics_block_not_empty"),
            models.CheckConstraint(
                condition=(
                    Q(level="leaf", leaf__gt="", parent__gt="")
                    | Q(level="parent", leaf="", parent__gt="")
                    | Q(level="whole", leaf="", parent="")
                ),
                name="statistics_block_units_match_level",
            ),
        ]
        indexes = [models.Index(fields=["scope", "leaf", "parent"])]

    def __str__(self) -> str:
        return f"{self.scope}: {self.level} {self.leaf or self.parent or '*'} ({self.size})"


class StatisticsEntry(models.Model):
    """One person's contribution, frozen as it was when it arrived: later revisions,
    moves and anonymisation do not change it. ``subject`` says whose it is (e.g.
    ``leader:17``) so it is counted once; it holds nothing else about the person."""

    scope = models.ForeignKey(
        StatisticsScope, on_delete=models.PROTECT, related_name="entries", verbose_name=_("scope")
    )
    subject = models.CharField(_("counted person"), max_length=60)
    leaf = models.CharField(_("unit"), max_length=40)
    parent = models.CharField(_("parent unit"), max_length=40)
    arrived_at = models.DateTimeField(_("arrived at"))
    block = models.ForeignKey(
        StatisticsBlock,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("block"),
    )

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["scope", "arrived_at", "pk"]
        verbose_name = _("statistics entry")
        verbose_name_plural = _("statistics entries")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "subject"], name="one_statistics_entry_per_subject"
            ),
        ]
        indexes = [models.Index(fields=["scope", "block", "leaf", "arrived_at"])]

    def __str__(self) -> str:
        return f"{self.scope}: {self.subject}"


class StatisticsValue(models.Model):
    """One measure of an entry (e.g. ``baseline:it``): the sum of its scores and how
    many there were, so a group's mean is exact whatever the number of statements."""

    entry = models.ForeignKey(
        StatisticsEntry,
        on_delete=models.CASCADE,
        related_name="measures",
        verbose_name=_("statistics entry"),
    )
    measure = models.CharField(_("measure"), max_length=40)
    total = models.IntegerField(_("sum"))
    count = models.PositiveIntegerField(_("count"))

    objects = KeptQuerySet.as_manager()

    class Meta:
        verbose_name = _("statistics value")
        verbose_name_plural = _("statistics values")
        constraints = [
            models.UniqueConstraint(fields=["entry", "measure"], name="one_value_per_measure"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.measure}: {self.total}/{self.count}"


class ImportJob(models.Model):
    """A step of HR's leader import run in the background by the import worker.

    Two kinds (``kind``): *checking* an uploaded file (its bytes wait in an
    :class:`ImportUpload` beside the job; the worker reads and checks every line and
    keeps the plan as a preview, :class:`ImportBatch`, or the problems here), and
    *writing* a confirmed preview. So no request waits for 50,000 lines, their checks,
    or their invitations. The worker (:mod:`programme.import_jobs`, ``manage.py
    run_imports``) claims a job, does its step all or nothing and records the outcome in
    the same transaction: a worker that dies leaves nothing half-done and the job is
    taken up again. The row holds the outcome only (counts, or why nothing was
    imported; a check's problems for ``IMPORT_PREVIEW_MAX_AGE`` only), never the
    file's lines, and is kept :data:`KEEP_DAYS` days for HR's status page.
    """

    KEEP_DAYS = 30

    class Kind(models.TextChoices):
        CHECK = "check", _("checking the file")
        WRITE = "write", _("importing")

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting to start")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("not imported")

    class Failure(models.TextChoices):
        # The words HR reads on the status page; nothing was imported in every case.
        OUT_OF_DATE = (
            "out_of_date",
            _(
                "Nothing was imported: leaders or logins in the file changed since the preview. "
                "Upload the file again to see what it would do now."
            ),
        )
        GONE = (
            "gone",
            _(
                "This preview no longer exists: it has been imported already, a newer file "
                "replaced it, or the link is wrong. Nothing was imported; upload the file again."
            ),
        )
        STOPPED = (
            "stopped",
            _(
                "Nothing was imported: the import stopped with an error several times. Upload "
                "the file again; if it stops again, contact IT support and give them the time "
                "shown here."
            ),
        )
        FILE = (
            "file",
            _(
                "Nothing was imported: the file cannot be read as a list of leaders. Correct "
                "it as described here and upload it again."
            ),
        )
        ROWS = (
            "rows",
            _(
                "Nothing was imported: some lines must be corrected first. Correct the file "
                "and upload it again; line 1 is the column names."
            ),
        )
        EXPIRED = (
            "expired",
            _(
                "Nothing was imported: the file was not checked in time, so it was deleted. "
                "Upload it again; if this happens again, contact IT support."
            ),
        )

    # Unguessable, like the preview's: the status page's address reveals nothing.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("step"), max_length=5, choices=Kind.choices, default=Kind.WRITE)
    # A write: the preview being written; deleted (so empty here) once the job has finished.
    batch = models.OneToOneField(
        ImportBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="job",
        verbose_name=_("preview"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    created_at = models.DateTimeField(_("confirmed at"))
    file_name = models.CharField(_("file name"), max_length=255)
    send_invitations = models.BooleanField(_("send invitations"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # What the preview showed; once done, what was written (the same, or nothing is).
    new_count = models.PositiveIntegerField(_("new leaders"))
    update_count = models.PositiveIntegerField(_("updated leaders"))
    unchanged_count = models.PositiveIntegerField(_("unchanged leaders"))
    invited_count = models.PositiveIntegerField(_("invitations queued"), default=0)
    failure = models.CharField(_("reason"), max_length=20, choices=Failure.choices, blank=True)
    # A check: the language the uploader reads, for the problems' wording; the preview it
    # made (a plain id: the preview is deleted when written, replaced or expired); or,
    # when the file was refused, why: the file as a whole, or its first lines' problems
    # (line, column, message; emptied after IMPORT_PREVIEW_MAX_AGE: they name people).
    language = models.CharField(_("language"), max_length=10, blank=True)
    preview_id = models.UUIDField(_("preview"), null=True, blank=True)
    file_problem = models.TextField(_("problem with the file"), blank=True)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    problem_count = models.PositiveIntegerField(_("number of problems"), default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("leader import job")
        verbose_name_plural = _("leader import jobs")
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["created_by", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="failed") & ~Q(failure=""))
                | (~Q(status="failed") & Q(failure="")),
                name="import_job_failed_with_a_reason",
            ),
            models.CheckConstraint(
                condition=(Q(status__in=["done", "failed"]) & Q(finished_at__isnull=False))
                | (Q(status__in=["queued", "running"]) & Q(finished_at__isnull=True)),
                name="import_job_finished_when_done_or_failed",
            ),
        ]

    def __str__(self) -> str:
        return self.file_name

    @property
    def total(self) -> int:
        return self.new_count + self.update_count + self.unchanged_count

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def is_check(self) -> bool:
        return self.kind == self.Kind.CHECK

    def step_display(self) -> str:
        """The status as HR's list of imports words it (a finished check is not an import)."""
        if self.is_check and self.status != self.Status.FAILED:
            return str(self.CHECK_STATUS[self.status])
        return str(self.get_status_display())


ImportJob.CHECK_STATUS = {
    ImportJob.Status.QUEUED: _("file waiting to be checked"),
    ImportJob.Status.RUNNING: _("file being checked"),
    ImportJob.Status.DONE: _("file checked: see the preview"),
}


class ImportUpload(models.Model):
    """An uploaded leader file's bytes, waiting for the import worker to check them.

    Beside its check's :class:`ImportJob` (so the job's list and status page never load
    10 MB); deleted in the transaction that checks it, or after
    ``IMPORT_PREVIEW_MAX_AGE`` when no worker checked it: it is personal data.
    """

    job = models.OneToOneField(
        ImportJob,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="upload",
        verbose_name=_("check"),
    )
    data = models.BinaryField(_("file"))

    objects = KeptQuerySet.as_manager()

    class Meta:
        verbose_name = _("uploaded leader file")
        verbose_name_plural = _("uploaded leader files")

    def __str__(self) -> str:
        return str(self.job)
