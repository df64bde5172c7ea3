from django.core.management.base import BaseCommand

from approvals.rules import remind_unanswered
from programme import clock


class Command(BaseCommand):
    help = (
        "Remind the managers of enrolment requests unanswered for APPROVAL_REMINDER_DAYS "
        "(ENROLMENT_APPROVAL=manager). Each request is reminded once, so it is safe to run "
        "from cron as often as you like."
    )

    def handle(self, *args, **options):
        reminded = remind_unanswered(now=clock.now())
        self.stdout.write(f"Reminded the managers of {reminded} unanswered requests.")
