"""People: logins (users), departments and the leaders who take part."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce, Lower
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from programme.page_versions import KeptQuerySet


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
        whether they are HR or a manager, and their facilitator record, in one query (the
        header asks all three)."""
        in_hr = Group.objects.filter(user=OuterRef("pk"), name=HR_GROUP)
        manages = Department.managers.through.objects.filter(user=OuterRef("pk"))
        user = (
            cls._default_manager.select_related("leader", "facilitator")
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


class DepartmentQuerySet(KeptQuerySet):
    def with_unit(self) -> DepartmentQuerySet:
        """Each department's unit, the line HR's report shows it under: the
        administration or centre it is part of, or itself where it is part of none
        (``unit``, ``unit_name``, ``unit_code``)."""
        return self.annotate(
            unit=Coalesce("parent_id", "pk"),
            unit_name=Coalesce("parent__name", "name"),
            unit_code=Coalesce("parent__code", "code"),
        )


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

    objects = DepartmentQuerySet.as_manager()

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
    # The secret part of the leader's calendar feed's address (dashboard/feeds.py), made
    # when they first ask for the feed and replaced when they renew it: the old address
    # then finds nobody. Kept out of the history, so a renewed address is gone for good.
    calendar_token = models.CharField(
        _("calendar feed key"), max_length=64, unique=True, null=True, blank=True, editable=False
    )

    history = HistoricalRecords(excluded_fields=["calendar_token"])

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("leader")
        verbose_name_plural = _("leaders")
        indexes = [
            models.Index(fields=["department", "name"]),
            # Every leader by name, a page at a time (the forecast's lists, the reports'
            # default order): read in order from the index, stopping when the page is full.
            models.Index(fields=["name", "id"], name="leader_by_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def renew_calendar_token(self) -> str:
        """A new secret key for the leader's calendar feed; the old address stops working
        at once. An UPDATE rather than a save: no history row (the key is kept out of it)."""
        self.calendar_token = secrets.token_urlsafe(32)
        type(self).objects.filter(pk=self.pk).update(calendar_token=self.calendar_token)
        return self.calendar_token

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
