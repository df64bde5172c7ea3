from django.core.management.base import BaseCommand

import booking
from outcomes import assessment
from programme import clock


class Command(BaseCommand):
    help = (
        "Apply the time-driven seat rules: close the waitlists of cohorts whose first "
        "session has started (the leaders are told and may enrol elsewhere), and give up "
        "the places of leaders whose leaving day is over (seats go to the waitlists); "
        "once a programme has ended, combine its self-assessment answers still waiting "
        "for a block of leaders across departments. Run it hourly; running it again "
        "changes nothing."
    )

    def handle(self, *args, **options):
        result = booking.close_places()
        closed = assessment.close_ended_programmes(clock.now())
        self.stdout.write(
            self.style.SUCCESS(
                f"Closed {len(result.waitlists_closed)} waitlist place(s); "
                f"{len(result.leavers)} leaver(s) gave up their seats; "
                f"{len(result.promoted)} leader(s) promoted from a waitlist; "
                f"statistics of {closed} ended programme(s) completed."
            )
        )
