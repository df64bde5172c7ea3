import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from mail.outbox import send_queued


class Command(BaseCommand):
    help = (
        "Send the e-mails waiting in the outbox. Run it every minute (cron or a systemd "
        "timer), or once with --loop as a long-running service. A failed send is retried "
        "after 1, 2, 4, ... minutes; after OUTBOX_MAX_RETRIES it is marked failed for HR."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            action="store_true",
            help="Keep running: send, wait --interval seconds, send again.",
        )
        parser.add_argument(
            "--interval", type=int, default=30, help="Seconds between rounds with --loop."
        )

    def handle(self, *args, loop: bool, interval: int, **options):
        while True:
            summary = send_queued()
            if summary.busy:
                self.stdout.write("Another worker is sending; nothing done.")
            else:
                self.stdout.write(
                    f"Sent {summary.sent} e-mails; {summary.retrying} will be retried, "
                    f"{summary.failed} failed for good."
                )
            if not loop:
                return
            time.sleep(interval)
            # A long-running loop outlives database connections; start each round fresh.
            close_old_connections()
