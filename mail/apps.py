from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from post_office.apps import PostOfficeConfig


class MailConfig(AppConfig):
    default = True  # beside django-post-office's configuration below
    name = "mail"
    verbose_name = _("E-mail")

    def ready(self) -> None:
        from mail import calendar_updates  # noqa: F401 - connects the receivers


class OutboxConfig(PostOfficeConfig):
    """django-post-office, named for HR in Danish: the outbox of every e-mail."""

    verbose_name = _("Outbox")

    # Its models' names (e-mail, sending attempt...) are django-post-office's own
    # gettext strings, translated in locale/da like any other.
