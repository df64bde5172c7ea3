from django.core.management.base import BaseCommand

from mail.reminders import DEFAULT_DAYS, send_reminders


class Command(BaseCommand):
    help = (
        "E-mail leaders who have a session in the coming N days, and leaders with no place "
        "in the current programme. Each reminder is sent once, so it is safe to run from "
        "cron as often as you like."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=DEFAULT_DAYS,
            help=f"Remind about sessions starting within this many days (default {DEFAULT_DAYS}).",
        )

    def handle(self, *args, days: int, **options):
        summary = send_reminders(days=days)
        self.stdout.write(
            f"Queued {summary.sent} reminders ({summary.sessions} about sessions, "
            f"{summary.not_enrolled} about enrolling) in the outbox; {summary.skipped} already "
            f"queued elsewhere, {summary.failed} failed."
        )
        if summary.failed:
            self.stderr.write("Some reminders failed; they will be tried again on the next run.")
