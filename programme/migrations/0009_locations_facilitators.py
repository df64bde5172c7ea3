"""Rooms and facilitators as records (replacing the sessions' free text), attendance
sources, closing a session, and certificates.

Each distinct free-text location becomes a room (its text as the name, the largest
cohort that met there as its seats, so no session is refused after the move), each
distinct facilitator text a facilitator without a login; HR adds addresses and logins.
"""

import django.db.models.deletion
import django.utils.timezone
import programme.models
from django.conf import settings
from django.db import migrations, models


def texts_to_records(apps, schema_editor):
    Session = apps.get_model("programme", "Session")
    Location = apps.get_model("programme", "Location")
    Facilitator = apps.get_model("programme", "Facilitator")
    rooms: dict[str, object] = {}
    people: dict[str, object] = {}
    for session in Session.objects.select_related("cohort").order_by("pk"):
        name = (session.location_text or "").strip() or "Ukendt lokale"
        room = rooms.get(name)
        if room is None:
            room = rooms[name] = Location.objects.create(
                name=name, capacity=session.cohort.capacity
            )
        elif room.capacity < session.cohort.capacity:
            room.capacity = session.cohort.capacity
            room.save(update_fields=["capacity"])
        session.location_id = room.pk
        who = (session.facilitator_text or "").strip()
        if who:
            if who not in people:
                people[who] = Facilitator.objects.create(name=who, organisation=who)
            session.facilitator_id = people[who].pk
        session.save(update_fields=["location", "facilitator"])


def records_to_texts(apps, schema_editor):
    Session = apps.get_model("programme", "Session")
    for session in Session.objects.select_related("location", "facilitator"):
        session.location_text = session.location.name
        session.facilitator_text = session.facilitator.name if session.facilitator else ""
        session.save(update_fields=["location_text", "facilitator_text"])


HR_PERMISSIONS = [
    f"{action}_{model}"
    for model in ("location", "facilitator")
    for action in ("add", "change", "delete", "view")
] + ["view_certificate"]


def grant_hr(apps, schema_editor):
    """HR manages rooms and facilitators and sees the certificates."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group = apps.get_model("auth", "Group").objects.filter(name="HR").first()
    if group is not None:
        Permission = apps.get_model("auth", "Permission")
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="programme", codename__in=HR_PERMISSIONS
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("programme", "0008_department_parent"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="Location",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200, unique=True, verbose_name="name")),
                (
                    "address",
                    models.CharField(
                        blank=True,
                        help_text="Street, postcode and town.",
                        max_length=300,
                        verbose_name="address",
                    ),
                ),
                ("capacity", models.PositiveSmallIntegerField(verbose_name="seats")),
                (
                    "accessibility",
                    models.TextField(
                        blank=True,
                        help_text="Step-free access, hearing loop, lift: what a participant should know.",
                        verbose_name="accessibility",
                    ),
                ),
            ],
            options={
                "verbose_name": "location",
                "verbose_name_plural": "locations",
                "ordering": ["name"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("capacity__gt", 0)),
                        name="location_capacity_positive",
                        violation_error_message="A room needs at least one seat.",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="Facilitator",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200, unique=True, verbose_name="name")),
                (
                    "email",
                    models.EmailField(blank=True, max_length=254, verbose_name="e-mail address"),
                ),
                (
                    "organisation",
                    models.CharField(blank=True, max_length=200, verbose_name="organisation"),
                ),
                (
                    "user",
                    models.OneToOneField(
                        blank=True,
                        help_text="The login the facilitator signs in with to run the session screen.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="facilitator",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="login",
                    ),
                ),
            ],
            options={
                "verbose_name": "facilitator",
                "verbose_name_plural": "facilitators",
                "ordering": ["name"],
            },
        ),
        migrations.RenameField("session", "location", "location_text"),
        migrations.RenameField("session", "facilitator", "facilitator_text"),
        migrations.AddField(
            model_name="session",
            name="location",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="sessions",
                to="programme.location",
                verbose_name="location",
            ),
        ),
        migrations.AddField(
            model_name="session",
            name="facilitator",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="sessions",
                to="programme.facilitator",
                verbose_name="facilitator",
            ),
        ),
        migrations.RunPython(texts_to_records, records_to_texts),
        migrations.RemoveField("session", "location_text"),
        migrations.RemoveField("session", "facilitator_text"),
        migrations.AlterField(
            model_name="session",
            name="location",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="sessions",
                to="programme.location",
                verbose_name="location",
            ),
        ),
        migrations.AddField(
            model_name="attendance",
            name="source",
            field=models.CharField(
                choices=[
                    ("sheet", "Attendance sheet"),
                    ("self", "Self check-in"),
                    ("facilitator", "Facilitator"),
                    ("closed", "Session closed"),
                ],
                default="sheet",
                max_length=12,
                verbose_name="source",
            ),
        ),
        migrations.AddField(
            model_name="historicalattendance",
            name="source",
            field=models.CharField(
                choices=[
                    ("sheet", "Attendance sheet"),
                    ("self", "Self check-in"),
                    ("facilitator", "Facilitator"),
                    ("closed", "Session closed"),
                ],
                default="sheet",
                max_length=12,
                verbose_name="source",
            ),
        ),
        migrations.AddField(
            model_name="session",
            name="closed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="closed at"),
        ),
        migrations.CreateModel(
            name="Certificate",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "code",
                    models.CharField(
                        default=programme.models.new_certificate_code,
                        max_length=32,
                        unique=True,
                        verbose_name="verification code",
                    ),
                ),
                ("completed_on", models.DateField(verbose_name="completed on")),
                (
                    "issued_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="issued at"
                    ),
                ),
                (
                    "leader",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="certificates",
                        to="programme.leader",
                        verbose_name="leader",
                    ),
                ),
                (
                    "programme",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="programme.programme",
                        verbose_name="programme",
                    ),
                ),
            ],
            options={
                "verbose_name": "certificate",
                "verbose_name_plural": "certificates",
                "ordering": ["-issued_at"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("leader", "programme"), name="one_certificate_per_programme"
                    )
                ],
            },
        ),
        migrations.RunPython(grant_hr, migrations.RunPython.noop),
    ]
