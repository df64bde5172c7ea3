"""The leader import's confirmation as a background job: queued by HR, run by a worker.

A confirmation of 50,000 leaders with invitations takes minutes, far past the web
request's time limit (gunicorn stops a worker after 30 s). So confirming a preview
only queues an :class:`~programme.models.ImportJob` (:func:`queue`), and HR follows it
on a status page; the import worker (``manage.py run_imports --loop``) runs it
(:func:`run_next`):

1. **Claim** (a short transaction): the oldest job waiting, locked with
   ``SELECT ... FOR UPDATE SKIP LOCKED`` so workers never wait on each other, is
   marked running and its attempt counted. The claim is a compare-and-set on the
   status and the attempt number, so it holds on SQLite too (no row locks there).
2. **Work** (one transaction): the job's row is locked again, for as long as the work
   takes; the preview is written by the same all-or-nothing code as before
   (:func:`programme.imports.write_batch`: written, invitations queued in the outbox,
   the preview deleted), and the outcome - the counts, or the reason HR can act on -
   is saved in that same transaction. Either all of it commits or none of it.

A worker that dies in the work leaves nothing written: its transaction rolls back, the
job stays *running* without a lock, and after :data:`RETRY_AFTER` any worker takes it
up again (a live worker's job is locked, so it is never taken from under it). A job
is written at most once, because its preview is deleted in the transaction that writes
it: a second run finds nothing to write. So every invitation is queued exactly once.
A job that stops :data:`MAX_ATTEMPTS` times without an outcome (a bug, the worker
killed each time) is marked failed, and its preview deleted.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q

from . import clock, imports
from .models import ImportBatch, ImportJob, User

logger = logging.getLogger(__name__)

# A running job whose row nobody has locked for this long lost its worker.
RETRY_AFTER = dt.timedelta(minutes=1)
MAX_ATTEMPTS = 3
# A job still waiting after this long means no worker runs: the status page says so.
STALLED_MINUTES = 5


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


def job_for(job_id, *, by: User) -> ImportJob | None:
    """The job's row for its status page, or None when it is not ``by``'s (or gone)."""
    return ImportJob.objects.filter(pk=job_id, created_by=by).first()


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


def _claim(now: dt.datetime, retry_after: dt.timedelta) -> Claim | None:
    """Take the oldest job that is waiting, or whose worker died; mark it running."""
    waiting = Q(status=ImportJob.Status.QUEUED) | Q(
        status=ImportJob.Status.RUNNING, started_at__lte=now - retry_after
    )
    with transaction.atomic():
        while True:
            job = (
                ImportJob.objects.select_for_update(skip_locked=True)
                .filter(waiting)
                .order_by("created_at")
                .only("pk", "status", "attempts", "batch_id")
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
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED,
        failure=ImportJob.Failure.STOPPED,
        finished_at=now,
        batch=None,
    )


def _work(claim: Claim) -> ImportJob | None:
    """Write the claimed job's preview and its outcome, in one transaction."""
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(of=("self",))
            .select_related("created_by")
            .filter(pk=claim.job_id, status=ImportJob.Status.RUNNING, attempts=claim.attempt)
            .first()
        )
        if job is None:
            return None  # taken up by another worker after ours was thought dead
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


def run_next(now=None, *, retry_after: dt.timedelta = RETRY_AFTER) -> ImportJob | None:
    """Run the oldest waiting job, if any: the job as it ended (or None: nothing to do).

    An unexpected error (a bug, a lost database connection) leaves nothing written and
    the job running; it is taken up again ``retry_after`` after it started. (On
    PostgreSQL a job whose worker is alive is locked and never taken, so a short
    ``retry_after`` is safe there; on SQLite a second worker would wait for the first.)
    """
    claim = _claim(now or clock.now(), retry_after)
    if claim is None:
        return None
    try:
        return _work(claim)
    except Exception:
        logger.exception("import job %s stopped; it will be tried again", claim.job_id)
        raise


def run_pending(now=None, *, retry_after: dt.timedelta = RETRY_AFTER) -> int:
    """Run jobs until none is waiting; how many ran. (The worker's round, and tests.)"""
    count = 0
    while run_next(now, retry_after=retry_after) is not None:
        count += 1
    return count
