from django.core.management.base import BaseCommand

from programme.models import Programme
from programme.progress import refresh_standings


class Command(BaseCommand):
    help = (
        "Rebuild every leader's standing (modules done, completion, behind) from attendance, "
        "places and make-ups. The portal keeps standings up to date as it goes; run this "
        "after restoring a backup, after bulk changes made outside the portal, or nightly."
    )

    def handle(self, *args, **options):
        total = 0
        for programme in Programme.objects.all():
            total += refresh_standings(programme)
        self.stdout.write(self.style.SUCCESS(f"Refreshed {total} standings."))
