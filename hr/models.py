"""The leader import: the preview waiting to be confirmed, the jobs the import worker
runs, and the uploaded files; the scheduled import's runs and the leaders missing from
a complete list.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from programme.page_versions import KeptQuerySet

# --- Leader import: the preview waiting to be confirmed ------------------------------


class ImportBatch(models.Model):
    """A validated leader import waiting for HR to confirm it: the preview, kept server-side.

    The upload is read and every row checked once; what each line will do (new,
    changed or unchanged, with the values before and after) is stored here, so the
    confirmation - on whichever web process it lands - writes exactly what HR saw
    without reading the file again. Only the person who uploaded it can see or
    confirm it, and only for ``settings.IMPORT_PREVIEW_MAX_AGE`` seconds; it is
    deleted when confirmed. See :mod:`hr.imports`.
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
    # One entry per line of the file; see hr.imports.PlannedRow.
    rows = models.JSONField(_("rows"))

    class Meta:
        db_table = "programme_importbatch"  # its table from before the move
        ordering = ["-created_at"]
        verbose_name = _("leader import")
        verbose_name_plural = _("leader imports")
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return self.file_name

    @property
    def total(self) -> int:
        return self.new_count + self.update_count + self.unchanged_count


class ImportJob(models.Model):
    """A step of HR's leader import run in the background by the import worker.

    Two kinds (``kind``): *checking* an uploaded file (its bytes wait in an
    :class:`ImportUpload` beside the job; the worker reads and checks every line and
    keeps the plan as a preview, :class:`ImportBatch`, or the problems here), and
    *writing* a confirmed preview. So no request waits for 50,000 lines, their checks,
    or their invitations. The worker (:mod:`hr.import_jobs`, ``manage.py
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
        db_table = "programme_importjob"  # its table from before the move
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
        db_table = "programme_importupload"  # its table from before the move
        verbose_name = _("uploaded leader file")
        verbose_name_plural = _("uploaded leader files")

    def __str__(self) -> str:
        return str(self.job)


# --- The scheduled import: the HR system's file, picked up by a command -------------


class ScheduledImport(models.Model):
    """One run of ``manage.py import_leaders`` (:mod:`hr.scheduled_import`): what it
    did, or that it refused the file, and when. A run of a *complete* list records the
    leaders missing from it (:class:`MissingLeader`), for HR to confirm as leavers:
    the import itself never removes anyone or marks them as left. The leader list's
    filter "missing from the last complete import" reads the latest complete run that
    was imported. Runs older than :data:`KEEP_DAYS` days are deleted by later runs,
    except the latest complete one."""

    KEEP_DAYS = 30

    class Outcome(models.TextChoices):
        DONE = "done", _("imported")
        REFUSED = "refused", _("not imported")

    ran_at = models.DateTimeField(_("ran at"))
    file_name = models.CharField(_("file name"), max_length=255)
    complete = models.BooleanField(_("complete list"), default=False)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    new_count = models.PositiveIntegerField(_("new leaders"), default=0)
    update_count = models.PositiveIntegerField(_("updated leaders"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged leaders"), default=0)
    invited_count = models.PositiveIntegerField(_("invitations queued"), default=0)
    # A refused file: how many problems it had (the lines themselves went to HR by e-mail).
    problem_count = models.PositiveIntegerField(_("number of problems"), default=0)

    class Meta:
        ordering = ["-ran_at"]
        verbose_name = _("scheduled leader import")
        verbose_name_plural = _("scheduled leader imports")
        indexes = [models.Index(fields=["complete", "outcome", "ran_at"])]

    def __str__(self) -> str:
        return self.file_name


class MissingLeader(models.Model):
    """A leader missing from a complete list the scheduled import read: HR decides
    whether they have left (and sets their leaving day); nothing else follows from it."""

    run = models.ForeignKey(
        ScheduledImport,
        on_delete=models.CASCADE,
        related_name="missing",
        verbose_name=_("scheduled import"),
    )
    leader = models.ForeignKey(
        "programme.Leader",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("leader"),
    )

    class Meta:
        verbose_name = _("leader missing from a complete import")
        verbose_name_plural = _("leaders missing from a complete import")
        constraints = [
            models.UniqueConstraint(fields=["run", "leader"], name="missing_leader_once_a_run")
        ]

    def __str__(self) -> str:
        return str(self.leader_id)
