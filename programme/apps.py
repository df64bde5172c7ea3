from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from post_office.apps import PostOfficeConfig


class ProgrammeConfig(AppConfig):
    # The one Django uses for "programme" (this module also holds the configurations
    # of django-post-office and django-axes, named in Danish).
    default = True
    name = "programme"
    verbose_name = _("Digital leadership")

    def ready(self) -> None:
        from . import pagecache, signals  # noqa: F401 - connects the receivers

        pagecache.connect()

        name_the_rights()


def name_the_rights() -> None:
    """Rights, and the rows that tie users, groups and rights together, in the active
    language.

    Django stores a right's name in English ("Can add cohort") and shows it as such on
    the group and user forms; its delete confirmation lists the tying rows as
    "Group_permissions object (1)" under an English model name made at import. A
    superuser reads "Digital ledelse | hold | Kan tilføje hold" and, on deleting a
    group, "gruppe – rettighed: HR – Digital ledelse | hold | Kan se hold".
    """
    from django.contrib.auth.models import Group, Permission

    from .models import User
    from .third_party_messages import permission_label

    Permission.__str__ = permission_label

    for field in (Group.permissions.field, User.groups.field, User.user_permissions.field):
        through = field.remote_field.through
        ends = (field.m2m_field_name(), field.m2m_reverse_field_name())
        through._meta.verbose_name = format_lazy(
            "{} – {}", field.model._meta.verbose_name, field.related_model._meta.verbose_name
        )
        through._meta.verbose_name_plural = format_lazy(
            "{} – {}", field.model._meta.verbose_name, field.related_model._meta.verbose_name_plural
        )
        through.__str__ = lambda row, ends=ends: " – ".join(str(getattr(row, end)) for end in ends)


class OutboxConfig(PostOfficeConfig):
    """django-post-office, named for HR in Danish: the outbox of every e-mail."""

    verbose_name = _("Outbox")

    def ready(self) -> None:
        super().ready()
        from post_office.models import Attachment, Email, EmailTemplate, Log

        # django-post-office ships no Danish; HR's admin is in Danish.
        Email._meta.verbose_name = _("e-mail")
        Email._meta.verbose_name_plural = _("e-mails")
        Log._meta.verbose_name = _("sending attempt")
        Log._meta.verbose_name_plural = _("sending attempts")
        EmailTemplate._meta.verbose_name = _("e-mail template")
        EmailTemplate._meta.verbose_name_plural = _("e-mail templates")
        Attachment._meta.verbose_name = _("attachment")
        Attachment._meta.verbose_name_plural = _("attachments")


class SignInProtectionConfig(AxesAppConfig):
    """django-axes, named in Danish for the superuser: who tried to sign in, who is locked out."""

    verbose_name = _("Sign-in protection")

    def ready(self) -> None:
        super().ready()
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog
        from django.utils import formats, timezone

        def when(row) -> str:
            return formats.localize(timezone.localtime(row.attempt_time))

        # django-axes writes these in English in the code, not through gettext.
        AccessAttempt.__str__ = lambda row: (
            gettext("Sign-in attempts from %(ip)s") % {"ip": row.ip_address}
        )
        AccessFailureLog.__str__ = lambda row: (
            gettext("Failed sign-in: %(username)s, %(time)s")
            % {"username": row.username, "time": when(row)}
        )
        AccessLog.__str__ = lambda row: (
            gettext("Sign-in: %(username)s, %(time)s")
            % {
                "username": row.username,
                "time": when(row),
            }
        )
