"""Calendars that follow changes: the e-mails sent when HR moves a session or changes its
room (with the calendar's update), and when a session is cancelled, as HR's texts with
their shipped defaults."""

from django.db import migrations, models

# The texts as they were when HR took them over (as in programme's 0006).
from mail.emails import DEFAULTS

KINDS = ("session_changed", "session_cancelled")


def forwards(apps, schema_editor):
    EmailText = apps.get_model("mail", "EmailText")
    for kind in KINDS:
        EmailText.objects.get_or_create(kind=kind, defaults=DEFAULTS[kind])


def backwards(apps, schema_editor):
    apps.get_model("mail", "EmailText").objects.filter(kind__in=KINDS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="emailtext",
            name="kind",
            field=models.CharField(
                choices=[
                    ("enrolled", "Enrolled in a cohort"),
                    ("waitlisted", "On the waitlist"),
                    ("promoted", "Seat from the waitlist"),
                    ("cancelled", "Place cancelled"),
                    ("waitlist_closed", "Waitlist closed: the cohort has started"),
                    ("makeup_booked", "Make-up seat booked"),
                    ("makeup_cancelled", "Make-up seat cancelled"),
                    ("reminder_session", "Reminder: a session soon"),
                    ("reminder_not_enrolled", "Reminder: not enrolled yet"),
                    ("reminder_behind", "Reminder: a module to make up"),
                    ("invitation", "Invitation: choose a password"),
                    ("invitation_sso", "Invitation: sign in with the work account"),
                    ("password_reset", "Forgotten password"),
                    ("session_changed", "Session moved or its room changed"),
                    ("session_cancelled", "Session cancelled"),
                ],
                max_length=30,
                unique=True,
                verbose_name="e-mail",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
