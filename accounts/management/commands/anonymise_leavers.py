from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.privacy import AnonymisationError, anonymise_leader, leaders_due_for_anonymisation


class Command(BaseCommand):
    help = (
        "Anonymise leaders who left more than --older-than-days days ago "
        "(default: settings.ANONYMISE_AFTER_DAYS). Attendance is kept; names go. "
        "A leader who signs in with an administrator's login is refused (a superuser "
        "removes its rights first); the command then exits with an error."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-days",
            type=int,
            default=settings.ANONYMISE_AFTER_DAYS,
            help="Anonymise leaders whose left_on lies more than this many days back.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="List who would be anonymised; change nothing."
        )

    def handle(self, *args, older_than_days: int, dry_run: bool, **options):
        leaders = list(leaders_due_for_anonymisation(older_than_days=older_than_days))
        refused = []
        for leader in leaders:
            if dry_run:
                self.stdout.write(f"would anonymise leader {leader.pk} (left {leader.left_on})")
                continue
            try:
                anonymise_leader(leader)
            except AnonymisationError as exc:
                refused.append(leader)
                self.stderr.write(f"leader {leader.pk} not anonymised: {exc}")
        verb = "Would anonymise" if dry_run else "Anonymised"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {len(leaders) - len(refused)} leader(s) who left more than "
                f"{older_than_days} days ago."
            )
        )
        if refused:
            # A non-zero exit, so cron mails the operator: these leaders' data is overdue.
            raise CommandError(
                f"{len(refused)} leader(s) could not be anonymised: "
                + ", ".join(str(leader.pk) for leader in refused)
            )
