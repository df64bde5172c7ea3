"""The programme's domain: who takes part, in which cohort, at which sessions.

Rules that must never be broken are constraints in the database; ``clean()``
turns them into messages a person can act on.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class UserManager(DjangoUserManager):
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


HR_GROUP = "HR"


class Programme(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

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


class Module(models.Model):
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="modules", verbose_name=_("programme")
    )
    order = models.PositiveSmallIntegerField(_("order"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    required = models.BooleanField(_("required"), default=True)

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
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="managed_departments",
        verbose_name=_("managers"),
        help_text=_("The people who may see this department's completion report."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


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


class CohortQuerySet(models.QuerySet):
    def with_seats(self) -> CohortQuerySet:
        """Annotate ``seats_taken`` and ``waitlist_length``.

        Correlated counts rather than a join and GROUP BY, so a page of cohorts
        counts only its own rows, however many cohorts and enrolments exist.
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

        return self.annotate(
            seats_taken=count(Enrolment.Status.ENROLLED),
            waitlist_length=count(Enrolment.Status.WAITLISTED),
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


class SessionQuerySet(models.QuerySet):
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
    location = models.CharField(_("location"), max_length=200)
    facilitator = models.CharField(_("facilitator"), max_length=200, blank=True)

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

    ACTIVE = (Status.ENROLLED, Status.WAITLISTED)

    leader = models.ForeignKey(
        Leader, on_delete=models.CASCADE, related_name="enrolments", verbose_name=_("leader")
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

    history = HistoricalRecords()

    class Meta:
        ordering = ["requested_at", "pk"]
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
        ]
        indexes = [models.Index(fields=["cohort", "status", "requested_at"])]

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

    leader = models.ForeignKey(
        Leader, on_delete=models.CASCADE, related_name="makeups", verbose_name=_("leader")
    )
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="makeups", verbose_name=_("session")
    )
    booked_at = models.DateTimeField(_("booked at"), default=timezone.now)

    history = HistoricalRecords()

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

    # A module is completed by being there, on time or late.
    COMPLETING = (Status.PRESENT, Status.LATE)

    leader = models.ForeignKey(
        Leader, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("leader")
    )
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("session")
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

    history = HistoricalRecords()

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
    refreshed_at = models.DateTimeField(_("refreshed at"), auto_now=True)

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


class SentReminder(models.Model):
    """What reminder went to whom, so a rerun of ``send_reminders`` sends nothing twice."""

    class Kind(models.TextChoices):
        UPCOMING_SESSION = "session", _("Upcoming session")
        NOT_ENROLLED = "not_enrolled", _("Not enrolled")

    leader = models.ForeignKey(
        Leader, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("leader")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # The session for session reminders, the programme for enrolment reminders.
    subject_key = models.CharField(_("about"), max_length=50)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

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
