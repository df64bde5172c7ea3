from django.core.management.base import BaseCommand

from managers.digest import send_digests


class Command(BaseCommand):
    help = (
        "E-mail each manager one digest of last week's news about their leaders: recorded "
        "absent, became behind, no place while the last cohort starts within 60 days, an "
        "absence reported in advance waiting for an answer. Sent "
        "once a week per manager, so it is safe to run from cron as often as you like."
    )

    def handle(self, *args, **options):
        summary = send_digests()
        self.stdout.write(
            f"Queued {summary.sent} weekly digests in the outbox; {summary.skipped} already "
            f"sent this week, {summary.opted_out} turned off, {summary.failed} failed."
        )
        if summary.failed:
            self.stderr.write("Some digests failed; they will be tried again on the next run.")
