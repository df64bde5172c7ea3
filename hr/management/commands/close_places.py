from django.core.management.base import BaseCommand

import booking
from evaluations import rules as evaluations
from outcomes import assessment
from programme import clock


class Command(BaseCommand):
    help = (
        "Apply the time-driven seat rules: close the waitlists of cohorts whose first "
        "session has started (the leaders are told and may enrol elsewhere), and give up "
        "the places of leaders whose leaving day is over and the unnamed seats of "
        "reservations whose release day has begun (seats go to the waitlists); "
        "once a programme has ended, combine its self-assessment answers still waiting "
        "for a block of leaders across departments. Ask the leaders who attended a "
        "session that has ended to evaluate it (one e-mail each), and once no evaluation "
        "can arrive, combine the evaluations still waiting for a block across sessions. "
        "Run it hourly; running it again changes nothing."
    )

    def handle(self, *args, **options):
        result = booking.close_places()
        now = clock.now()
        closed = assessment.close_ended_programmes(now)
        asked = evaluations.ask(now)
        evaluations_closed = evaluations.close_ended_programmes(now)
        self.stdout.write(
            self.style.SUCCESS(
                f"Closed {len(result.waitlists_closed)} waitlist place(s); "
                f"{len(result.leavers)} leaver(s) gave up their seats; "
                f"{len(result.promoted)} leader(s) promoted from a waitlist; "
                f"{len(result.reservations_released)} reservation(s) released; "
                f"statistics of {closed} ended programme(s) completed; "
                f"{asked} leader(s) asked to evaluate a session; "
                f"evaluations of {evaluations_closed} ended programme(s) completed."
            )
        )
