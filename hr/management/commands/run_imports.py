import datetime as dt
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from hr.import_jobs import RETRY_AFTER, run_next
from hr.models import ImportJob


class Command(BaseCommand):
    help = (
        "Check the leader files HR has uploaded and write the imports HR has confirmed "
        "(hr/import_jobs.py). Run it with --loop as a long-running service beside "
        "the outbox's worker; any number may run at once, each takes its own job. Without "
        "--loop: every waiting job, once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            action="store_true",
            help="Keep running: look for a waiting import every --interval seconds.",
        )
        parser.add_argument(
            "--interval", type=float, default=2, help="Seconds between looks with --loop."
        )
        parser.add_argument(
            "--kind",
            choices=ImportJob.Kind.values,
            help="Only this kind of job: 'check' (uploaded files) or 'write' (confirmed "
            "imports). A worker for checks alone keeps uploads quick while a long import "
            "is written.",
        )
        parser.add_argument(
            "--retry-after",
            type=float,
            default=RETRY_AFTER.total_seconds(),
            help="Seconds after which an import whose worker stopped is taken up again.",
        )

    def handle(self, *args, loop: bool, interval: float, retry_after: float, kind, **options):
        retry = dt.timedelta(seconds=retry_after)
        ran = 0
        while True:
            try:
                job = run_next(retry_after=retry, kind=kind)
            except Exception as exc:  # noqa: BLE001 - logged in run_next; the loop carries on
                if not loop:
                    raise
                self.stderr.write(f"An import stopped ({exc!r}); it will be tried again.")
                job = None
            if job is not None:
                ran += 1
                if job.is_check:
                    self.stdout.write(
                        f"Check {job.pk} ({job.file_name}): {job.status}, {job.total} lines, "
                        f"{job.problem_count} problems."
                    )
                else:
                    self.stdout.write(
                        f"Import {job.pk} ({job.file_name}): {job.status}, {job.new_count} "
                        f"new, {job.update_count} updated, {job.invited_count} invitations "
                        "queued."
                    )
                continue  # another may be waiting
            if not loop:
                self.stdout.write(f"Ran {ran} imports; none is waiting.")
                return
            time.sleep(interval)
            # A long-running loop outlives database connections; start each round fresh.
            close_old_connections()
