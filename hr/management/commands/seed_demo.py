import datetime as dt

from django.core.management.base import BaseCommand

import demo


class Command(BaseCommand):
    help = (
        "Load the demo programme 'Digital ledelse 2015–2016' with departments, cohorts, "
        "leaders, enrolments, attendance (with check-ins), reminders with their e-mails in the "
        "outbox, and certificates for whoever completed. Safe to run again: it adds only what "
        "is missing. On PostgreSQL it has the tables to itself until it ends (their foreign "
        "keys are checked once, at the end): not for a database the portal is serving."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--leaders",
            type=int,
            default=150,
            help="How many leaders (default 150); the same shape scales to tens of thousands.",
        )
        parser.add_argument(
            "--as-of",
            type=dt.datetime.fromisoformat,
            default=demo.DEMO_AS_OF,
            help=(
                "The demo's moment (default 2016-01-18T09:00): attendance and check-ins up to "
                "it, reminders the week before, certificates for whoever completed by then."
            ),
        )

    def handle(self, *args, leaders, as_of, **options):
        timings: dict[str, tuple[float, int]] = {}
        summary = demo.seed(leaders=leaders, as_of=as_of, timings=timings)
        if options["verbosity"] >= 2:
            for name, (seconds, peak) in timings.items():
                self.stdout.write(f"  {name}: {seconds:.1f} s (peak {peak} MB so far)")
        self.stdout.write(
            self.style.SUCCESS(
                f"{summary.programme}: {summary.leaders} leaders, {summary.cohorts} cohorts, "
                f"{summary.sessions} sessions; added {summary.enrolments} enrolments, "
                f"{summary.attendances} attendance records, {summary.emails} e-mails and "
                f"{summary.certificates} certificates."
            )
        )
        self.stdout.write(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        self.stdout.write(f"  leader:            {demo.LEADER_EMAIL}")
        self.stdout.write(f"  manager (2 depts): {demo.MANAGER_EMAIL}")
        self.stdout.write(f"  HR administrator:  {demo.HR_EMAIL}  (/admin/)")
