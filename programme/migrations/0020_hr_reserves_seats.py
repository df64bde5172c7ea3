"""HR reserves seats for a manager, sees the reservations and the leaders named into
them, and cancels a reservation (its action): add, change and view on reservations, view
on named seats. Nothing is deleted: a cancelled reservation stays, released."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

HR_PERMISSIONS = ["add_reservation", "change_reservation", "view_reservation", "view_namedseat"]


def grant_hr(apps, schema_editor):
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
        ("programme", "0019_reservations"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_hr, migrations.RunPython.noop)]
