from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
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


class OutboxConfig(PostOfficeConfig):
    """django-post-office, named for HR in Danish: the outbox of every e-mail."""

    verbose_name = _("Outbox")

    # Its models' names (e-mail, sending attempt...) are django-post-office's own
    # gettext strings, translated in locale/da like any other.


class SignInProtectionConfig(AxesAppConfig):
    """django-axes, named in Danish for the superuser: who tried to sign in, who is locked out."""

    verbose_name = _("Sign-in protection")

    # Its records are named in Danish on the admin's pages by programme/admin/signin.py
    # (django-axes writes their __str__ in English in the code).
