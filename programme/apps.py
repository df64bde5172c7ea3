from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammeConfig(AppConfig):
    default = True
    name = "programme"
    verbose_name = _("Digital leadership")

    def ready(self) -> None:
        from programme import pagecache, signals  # noqa: F401 - connects the receivers

        pagecache.connect()
