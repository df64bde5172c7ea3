from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from post_office.apps import PostOfficeConfig


class ProgrammeConfig(AppConfig):
    # The one Django uses for "programme" (this module also holds OutboxConfig).
    default = True
    name = "programme"
    verbose_name = _("Digital leadership")

    def ready(self) -> None:
        from . import pagecache, signals  # noqa: F401 - connects the receivers

        pagecache.connect()


class OutboxConfig(PostOfficeConfig):
    """django-post-office, named for HR in Danish: the outbox of every e-mail."""

    verbose_name = _("Outbox")

    def ready(self) -> None:
        super().ready()
        from post_office.models import Email, Log

        # django-post-office ships no Danish; HR's admin is in Danish.
        Email._meta.verbose_name = _("e-mail")
        Email._meta.verbose_name_plural = _("e-mails")
        Log._meta.verbose_name = _("sending attempt")
        Log._meta.verbose_name_plural = _("sending attempts")
