"""The leader import's slow steps as background jobs: queued by HR, run by a worker.

Checking a file of 50,000 lines takes tens of seconds on a busy machine, and writing
it with invitations minutes, both past the web request's time limit (gunicorn stops a
worker after 30 s). So the requests only queue an :class:`~programme.models.ImportJob`
and HR follows it on a status page; the import worker (``manage.py run_imports
--loop``) runs it (:func:`run_next`). Two kinds:

* **Check** (:func:`queue_check`): the upload request checks only the file's name and
  size, and stores its bytes (:class:`~programme.models.ImportUpload`) beside the job.
  The worker reads the file and checks every line (:func:`hr.imports.read_file`,
  :func:`~hr.imports.check`), keeps the plan as a preview
  (:func:`~hr.imports.store_preview`) or the problems on the job, and deletes
  the stored file, in one transaction. The status page then leads to the preview, or
  shows the problems.
* **Write** (:func:`queue`): confirming a preview; the worker writes it.

Each job:

1. **Claim** (a short transaction): the oldest job waiting, locked with
   ``SELECT ... FOR UPDATE SKIP LOCKED`` so workers never wait on each other, is
   marked running and its attempt counted. The claim is a compare-and-set on the
   status and the attempt number, so it holds on SQLite too (no row locks there).
2. **Work** (one transaction): the job's row is locked again, for as long as the work
   takes; a check is done as above, a write by the same all-or-nothing code as before
   (:func:`hr.imports.write_batch`: written, invitations queued in the outbox,
   the preview deleted), and the outcome - the counts, or the reason HR can act on -
   is saved in that same transaction. Either all of it commits or none of it.

A worker that dies in the work leaves nothing written: its transaction rolls back, the
job stays *running* without a lock, and after :data:`RETRY_AFTER` any worker takes it
up again (a live worker's job is locked, so it is never taken from under it). A job
is written at most once, because its preview is deleted in the transaction that writes
it: a second run finds nothing to write. So every invitation is queued exactly once.
A job that stops :data:`MAX_ATTEMPTS` times without an outcome (a bug, the worker
killed each time) is marked failed, and its preview or stored file deleted. A file
nobody checked within ``IMPORT_PREVIEW_MAX_AGE`` (no worker ran) is deleted and its
check marked failed; a check's problems, which name people, are emptied after that
time too.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import translation

from hr import imports
from hr.models import ImportBatch, ImportJob, ImportUpload
from programme import clock
from programme.models import User

logger = logging.getLogger(__name__)

# A running job whose row nobody has locked for this long lost its worker.
RETRY_AFTER = dt.timedelta(minutes=1)
MAX_ATTEMPTS = 3
# A job still waiting after this long means no worker runs: the status page says so.
STALLED_MINUTES = 5
# A file with thousands of problems is usually one problem (a wrong column, a wrong
# export): the first few hundred say enough, and the page stays small.
PROBLEMS_KEPT = 300


def queue_check(upload: UploadedFile, *, by: User, language: str = "", now=None) -> ImportJob:
    """Store an uploaded file (its name and size checked by the form) for the worker to
    check, with its job; ``language`` is the one the problems are worded in."""
    now = now or clock.now()
    name_length = ImportJob._meta.get_field("file_name").max_length
    with transaction.atomic():
        _expire_checks(now)
        job = ImportJob.objects.create(
            kind=ImportJob.Kind.CHECK,
            created_by=by,
            created_at=now,
            file_name=upload.name[:name_length],
            language=language[:10],
            new_count=0,
            update_count=0,
            unchanged_count=0,
        )
        ImportUpload.objects.create(job=job, data=upload.read())
    return job


def _expire_checks(now: dt.datetime) -> None:
    """Files nobody checked within the preview's lifetime are deleted (their check
    failed), and older checks' problems emptied: they are personal data."""
    limit = _problems_until(now)
    checks = ImportJob.objects.filter(kind=ImportJob.Kind.CHECK)
    with transaction.atomic():
        # Skip a file a live worker is checking now: it finishes and deletes it.
        stale = list(
            checks.select_for_update(skip_locked=True, of=("self",))
            .filter(upload__isnull=False, created_at__lt=limit)
            .values_list("pk", flat=True)
        )
        if stale:
            _delete_uploads(ImportUpload.objects.filter(job__in=stale))
            checks.filter(pk__in=stale, finished_at__isnull=True).update(
                status=ImportJob.Status.FAILED, failure=ImportJob.Failure.EXPIRED, finished_at=now
            )
        checks.filter(finished_at__lt=limit, problem_count__gt=0).exclude(problems=[]).update(
            problems=[]
        )


def queue(batch_id: str, *, by: User, invite: bool, now=None) -> ImportJob:
    """Queue the uploader's preview for the worker; the job, or :class:`ImportUnavailable`.

    Confirming the same preview again gives the same job (two clicks import once).
    """
    now = now or clock.now()
    try:
        batch = imports.pending_batch(batch_id, by=by, now=now)
    except imports.AlreadyConfirmed as exc:
        return exc.job
    with transaction.atomic():
        # Locked, so two clicks at once make one job.
        if not ImportBatch.objects.select_for_update().filter(pk=batch.pk).exists():
            raise imports.ImportUnavailable(str(ImportJob.Failure.GONE.label))
        job = ImportJob.objects.filter(batch=batch).first()
        if job is None:
            job = ImportJob.objects.create(
                batch=batch,
                created_by=by,
                created_at=now,
                file_name=batch.file_name,
                send_invitations=invite,
                new_count=batch.new_count,
                update_count=batch.update_count,
                unchanged_count=batch.unchanged_count,
            )
    return job


def _delete_uploads(uploads) -> None:
    """Delete stored files without reading their bytes back."""
    uploads.defer("data").delete()


def job_for(job_id, *, by: User) -> ImportJob | None:
    """The job's row for its status page, or None when it is not ``by``'s (or gone).
    A check's problems beyond their lifetime are not shown, even before a worker or an
    upload has emptied them (:func:`_expire_checks`)."""
    job = ImportJob.objects.filter(pk=job_id, created_by=by).first()
    if job is not None and job.finished_at and job.finished_at < _problems_until(clock.now()):
        job.problems = []
    return job


def _problems_until(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(seconds=settings.IMPORT_PREVIEW_MAX_AGE)


def recent_jobs(*, by: User, now=None, limit: int = 10) -> list[ImportJob]:
    """``by``'s latest imports, for the upload page's links back to them."""
    now = now or clock.now()
    since = now - dt.timedelta(days=ImportJob.KEEP_DAYS)
    return list(ImportJob.objects.filter(created_by=by, created_at__gte=since)[:limit])


def stalled(job: ImportJob, now=None) -> bool:
    waited = (now or clock.now()) - job.created_at
    return job.status == ImportJob.Status.QUEUED and waited > dt.timedelta(minutes=STALLED_MINUTES)


@dataclass(frozen=True)
class Claim:
    job_id: object
    attempt: int


def _claim(now: dt.datetime, retry_after: dt.timedelta, kind: str | None) -> Claim | None:
    """Take the oldest job that is waiting, or whose worker died; mark it running."""
    waiting = Q(status=ImportJob.Status.QUEUED) | Q(
        status=ImportJob.Status.RUNNING, started_at__lte=now - retry_after
    )
    if kind:
        waiting &= Q(kind=kind)
    with transaction.atomic():
        _expire_checks(now)
        while True:
            job = (
                ImportJob.objects.select_for_update(skip_locked=True)
                .filter(waiting)
                .order_by("created_at")
                .only("pk", "kind", "status", "attempts", "batch_id")
                .first()
            )
            if job is None:
                return None
            if job.attempts >= MAX_ATTEMPTS:
                _give_up(job, now)
                continue
            taken = ImportJob.objects.filter(
                pk=job.pk, status=job.status, attempts=job.attempts
            ).update(status=ImportJob.Status.RUNNING, attempts=F("attempts") + 1, started_at=now)
            if not taken:  # SQLite: another worker was first
                return None
            return Claim(job.pk, job.attempts + 1)


def _give_up(job: ImportJob, now: dt.datetime) -> None:
    logger.error("import job %s stopped %s times; marked failed", job.pk, job.attempts)
    if job.batch_id is not None:
        imports.delete_batches(ImportBatch.objects.filter(pk=job.batch_id))
    _delete_uploads(ImportUpload.objects.filter(job=job.pk))
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED,
        failure=ImportJob.Failure.STOPPED,
        finished_at=now,
        batch=None,
    )


def _work(claim: Claim) -> ImportJob | None:
    """Do the claimed job's step and save its outcome, in one transaction."""
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(of=("self",))
            .select_related("created_by")
            .filter(pk=claim.job_id, status=ImportJob.Status.RUNNING, attempts=claim.attempt)
            .first()
        )
        if job is None:
            return None  # taken up by another worker after ours was thought dead
        if job.is_check:
            return _check(job)
        batch = ImportBatch.objects.filter(pk=job.batch_id).first()
        try:
            if batch is None:
                raise imports.ImportUnavailable(str(ImportJob.Failure.GONE.label))
            written = imports.write_batch(
                batch, by=job.created_by, now=clock.now(), invite=job.send_invitations
            )
        except imports.ImportUnavailable as exc:
            job.status, job.failure = ImportJob.Status.FAILED, exc.failure
        else:
            job.status = ImportJob.Status.DONE
            job.new_count, job.update_count = written.new, written.updated
            job.unchanged_count, job.invited_count = written.unchanged, written.invited
        job.finished_at = clock.now()
        job.batch = None
        job.save()
    if job.status == ImportJob.Status.DONE:
        imports.analyze_after(written)
    return job


def _check(job: ImportJob) -> ImportJob:
    """Read and check the job's stored file (inside :func:`_work`'s transaction): a
    preview, or the problems; the stored file is deleted either way."""
    stored = ImportUpload.objects.filter(job=job).first()
    if stored is None:  # deleted as too old by a worker that thought ours dead
        job.status, job.failure = ImportJob.Status.FAILED, ImportJob.Failure.EXPIRED
        job.finished_at = clock.now()
        job.save()
        return job
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            table = imports.read_file(bytes(stored.data), job.file_name)
            result = imports.check(table, by=job.created_by)
        except imports.ImportFileError as exc:
            job.status, job.failure = ImportJob.Status.FAILED, ImportJob.Failure.FILE
            job.file_problem = str(exc)
        else:
            if result.errors:
                job.status, job.failure = ImportJob.Status.FAILED, ImportJob.Failure.ROWS
                job.problem_count = len(result.errors)
                job.problems = [
                    {"line": error.line, "column": error.column, "message": error.message}
                    for error in result.errors[:PROBLEMS_KEPT]
                ]
            else:
                batch = imports.store_preview(
                    result, by=job.created_by, file_name=job.file_name, now=clock.now()
                )
                job.status, job.preview_id = ImportJob.Status.DONE, batch.pk
                job.new_count, job.update_count = batch.new_count, batch.update_count
                job.unchanged_count = batch.unchanged_count
    _delete_uploads(ImportUpload.objects.filter(job=job))
    job.finished_at = clock.now()
    job.save()
    return job


def run_next(
    now=None, *, retry_after: dt.timedelta = RETRY_AFTER, kind: str | None = None
) -> ImportJob | None:
    """Run the oldest waiting job, if any: the job as it ended (or None: nothing to do).
    Only jobs of ``kind``, when given (a worker for checks alone keeps uploads quick
    while another writes a long import).

    An unexpected error (a bug, a lost database connection) leaves nothing written and
    the job running; it is taken up again ``retry_after`` after it started. (On
    PostgreSQL a job whose worker is alive is locked and never taken, so a short
    ``retry_after`` is safe there; on SQLite a second worker would wait for the first.)
    """
    claim = _claim(now or clock.now(), retry_after, kind)
    if claim is None:
        return None
    try:
        return _work(claim)
    except Exception:
        logger.exception("import job %s stopped; it will be tried again", claim.job_id)
        raise


def run_pending(
    now=None, *, retry_after: dt.timedelta = RETRY_AFTER, kind: str | None = None
) -> int:
    """Run jobs (of ``kind``, when given) until none is waiting; how many ran. (The
    worker's round, and tests.)"""
    count = 0
    while run_next(now, retry_after=retry_after, kind=kind) is not None:
        count += 1
    return count
