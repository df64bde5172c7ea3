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
        NOTICE = "notice", _("Absence reported in advance")

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


class AbsenceNotice(models.Model):
    """A leader's word that they cannot come to a session, given before it starts.

    Their manager (or HR) approves it, which records them *excused* (afbud) at the session
    with the source ``notice``, or declines it. The rules are in ``programme/absences.py``.
    """

    class Reason(models.TextChoices):
        ILLNESS = "illness", _("Illness")
        WORK = "work", _("Urgent work")
        HOLIDAY = "holiday", _("Holiday or time off")
        FAMILY = "family", _("Family matters")
        OTHER = "other", _("Other")

    class State(models.TextChoices):
        REPORTED = "reported", _("Waiting for an answer")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    leader = models.ForeignKey(
        Leader, on_delete=models.CASCADE, related_name="absence_notices", verbose_name=_("leader")
    )
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="absence_notices", verbose_name=_("session")
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    note = models.TextField(_("note"), max_length=500, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.REPORTED
    )
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["session__starts_at", "pk"]
        verbose_name = _("absence reported in advance")
        verbose_name_plural = _("absences reported in advance")
        constraints = [
            # A declined notice stays on record; one waiting or approved is the one.
            models.UniqueConstraint(
                fields=["leader", "session"],
                condition=~models.Q(state="declined"),
                name="one_open_absence_notice_per_session",
                violation_error_message=_("You have already reported this absence."),
            ),
            models.CheckConstraint(
                condition=models.Q(state="reported", decided_at__isnull=True)
                | (~models.Q(state="reported") & models.Q(decided_at__isnull=False)),
                name="absence_notice_decided_when_answered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.leader} – {self.session} ({self.get_state_display()})"


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
    # The cohort the leader has a seat in (an active, enrolled place), for the forecast.
    seated_in = models.ForeignKey(
        "programme.Cohort",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("seated in"),
    )
    # What the leader holds, for the forecast (progress.LeaderProgress.booked_until and
    # the two after it): every required module not completed is held at ``now`` when
    # ``booked_until`` is set and ``now < held_until`` (or ``held_until`` is null).
    booked_until = models.DateTimeField(_("complete if attending"), null=True, blank=True)
    held_last = models.DateTimeField(_("last session held ends"), null=True, blank=True)
    held_until = models.DateTimeField(_("held until"), null=True, blank=True)
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
