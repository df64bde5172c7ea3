"""Module materials: pre-reading, slides and links HR attaches to a module (every session
of it) or to one session. The files are kept in the database, as the portal's other
files (``STORAGES["files"]``, :class:`mail.storage.DatabaseStorage`): no file on one
node's disk."""

from __future__ import annotations

from django.core.files.storage import storages
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from programme.models import Module, Session
from programme.page_versions import KeptQuerySet


def database_files():
    """The portal's files in the database (``STORAGES["files"]``)."""
    return storages["files"]


class Material(models.Model):
    module = models.ForeignKey(
        Module,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="materials",
        verbose_name=_("module"),
        help_text=_("For every session of the module; or choose one session instead."),
    )
    session = models.ForeignKey(
        Session,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="materials",
        verbose_name=_("session"),
    )
    title = models.CharField(_("title"), max_length=200)
    link = models.URLField(
        _("web address"), blank=True, help_text=_("A page elsewhere; or upload a file.")
    )
    file = models.FileField(_("file"), upload_to="materials/", storage=database_files, blank=True)
    days_before = models.PositiveSmallIntegerField(
        _("shown days before the session"),
        default=7,
        help_text=_("Leaders with a seat at the session see it from this many days before it."),
    )

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        constraints = [
            models.CheckConstraint(
                condition=Q(module__isnull=False, session__isnull=True)
                | Q(module__isnull=True, session__isnull=False),
                name="material_for_a_module_or_a_session",
                violation_error_message=_("Choose a module or a session, not both."),
            ),
            models.CheckConstraint(
                condition=~Q(link="") | ~Q(file=""),
                name="material_has_a_link_or_a_file",
                violation_error_message=_("Give a link or upload a file."),
            ),
        ]

    def __str__(self) -> str:
        return self.title
