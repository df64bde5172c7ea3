"""What counts as done: attendance at each session, the stored standing every page reads,
and the kursusbevis of whoever completed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from programme.models.cohorts import Programme, Session
from programme.models.people import Leader
from programme.page_versions import KeptQuerySet


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
