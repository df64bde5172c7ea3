"""The e-mail texts the portal shipped with become HR's editable defaults; HR may word
them, see invitations, and see (and send again) the outbox's e-mails."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# The texts as they were when HR took them over. Later changes to the shipped
# defaults (programme.emails.DEFAULTS) do not overwrite what HR has written.
from mail.emails import DEFAULTS

HR_PERMISSIONS = {
    "programme": [
        "view_emailtext",
        "change_emailtext",
        "view_invitation",
    ],
    "post_office": ["view_email", "change_email", "view_log"],
}


def forwards(apps, schema_editor):
    EmailText = apps.get_model("programme", "EmailText")
    for kind, texts in DEFAULTS.items():
        EmailText.objects.get_or_create(kind=str(kind), defaults=texts)

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="HR").first()
    if group is None:
        return
    for app_label, codenames in HR_PERMISSIONS.items():
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )


def backwards(apps, schema_editor):
    apps.get_model("programme", "EmailText").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("programme", "0005_email_texts_invitations_outbox"),
        ("post_office", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
