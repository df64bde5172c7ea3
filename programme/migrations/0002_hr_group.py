"""The HR group: everything on the programme's models, read-only on users' logins."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

HR_MODELS = [
    "programme",
    "module",
    "department",
    "leader",
    "cohort",
    "session",
    "enrolment",
    "makeupbooking",
    "attendance",
    "sentreminder",
]
ACTIONS = ["add", "change", "delete", "view"]


def create_hr_group(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now so the
    # group can hold them on a fresh database.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="HR")
    codenames = [f"{action}_{model}" for model in HR_MODELS for action in ACTIONS]
    codenames += ["view_user", "view_historicalenrolment", "view_historicalattendance"]
    group.permissions.set(
        Permission.objects.filter(content_type__app_label="programme", codename__in=codenames)
    )


def remove_hr_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="HR").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("programme", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_hr_group, remove_hr_group)]
