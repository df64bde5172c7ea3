from django.core.management.base import BaseCommand, CommandError

from hr import scheduled_import


class Command(BaseCommand):
    help = (
        "Import the HR system's leader file (CSV or .xlsx) as HR's upload does: the same "
        "checks, all or nothing, unchanged leaders left alone, so it is safe to run every "
        "night on the same file (hr/scheduled_import.py). HR gets an e-mail with what it "
        "did or why it refused the file (IMPORT_REPORT_TO); a refused file exits with an "
        "error."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The file the HR system delivered.")
        parser.add_argument(
            "--complete",
            action="store_true",
            help="The file is the whole list of leaders: list those missing from it for HR "
            "to confirm as leavers (they are not changed).",
        )
        parser.add_argument(
            "--invite",
            action="store_true",
            help="Send new leaders an invitation to sign in, as HR's upload can.",
        )

    def handle(self, *args, path: str, complete: bool, invite: bool, **options):
        outcome = scheduled_import.run(path, complete=complete, invite=invite)
        if outcome.refused:
            raise CommandError(outcome.subject + "\n" + outcome.body)
        self.stdout.write(outcome.subject)
        if complete:
            self.stdout.write(f"{len(outcome.missing)} leaders missing from the complete list.")
