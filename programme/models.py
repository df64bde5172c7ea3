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


class CohortQuerySet(models.QuerySet):
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
    # Per module, by module id: [completed_at, expected_until, missed_from] as Unix
    # seconds or null (see progress.ModuleProgress); modules with nothing are left out.
    modules = models.JSONField(_("modules"), default=dict, blank=True)
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
    kind offers its own (``programme.emails.PLACEHOLDERS``), and a text with any other
    is refused when it is saved, never when it is sent.
    """

    class Kind(models.TextChoices):
        ENROLLED = "enrolled", _("Enrolled in a cohort")
        WAITLISTED = "waitlisted", _("On the waitlist")
        PROMOTED = "promoted", _("Seat from the waitlist")
        CANCELLED = "cancelled", _("Place cancelled")
        WAITLIST_CLOSED = "waitlist_closed", _("Waitlist closed: the cohort has started")
        MAKEUP_BOOKED = "makeup_booked", _("Make-up seat booked")
        MAKEUP_CANCELLED = "makeup_cancelled", _("Make-up seat cancelled")
        REMINDER_SESSION = "reminder_session", _("Reminder: a session soon")
        REMINDER_NOT_ENROLLED = "reminder_not_enrolled", _("Reminder: not enrolled yet")
        REMINDER_BEHIND = "reminder_behind", _("Reminder: a module to make up")
        INVITATION = "invitation", _("Invitation: choose a password")
        INVITATION_SSO = "invitation_sso", _("Invitation: sign in with the work account")
        PASSWORD_RESET = "password_reset", _("Forgotten password")

    kind = models.CharField(_("e-mail"), max_length=30, choices=Kind.choices, unique=True)
    subject_da = models.CharField(_("subject (Danish)"), max_length=200)
    body_da = models.TextField(_("text (Danish)"))
    subject_en = models.CharField(_("subject (English)"), max_length=200)
    body_en = models.TextField(_("text (English)"))
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        ordering = ["kind"]
        verbose_name = _("e-mail text")
        verbose_name_plural = _("e-mail texts")

    def __str__(self) -> str:
        return str(self.get_kind_display())

    def clean(self) -> None:
        from .emails import placeholder_errors

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
