"""Where sessions are held and who runs them: locations (with their capacity) and
facilitators.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from programme.page_versions import KeptQuerySet


class Location(models.Model):
    """A room where sessions are held: its seats bound every cohort that meets there."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    address = models.CharField(
        _("address"), max_length=300, blank=True, help_text=_("Street, postcode and town.")
    )
    capacity = models.PositiveSmallIntegerField(_("seats"))
    accessibility = models.TextField(
        _("accessibility"),
        blank=True,
        help_text=_("Step-free access, hearing loop, lift: what a participant should know."),
    )

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__gt=0),
                name="location_capacity_positive",
                violation_error_message=_("A room needs at least one seat."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def full_address(self) -> str:
        """The room and where it is, as a calendar or an e-mail shows it."""
        return f"{self.name}, {self.address}" if self.address else self.name


class Facilitator(models.Model):
    """Who runs sessions; with a login they see their sessions and run check-in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="facilitator",
        verbose_name=_("login"),
        help_text=_("The login the facilitator signs in with to run the session screen."),
    )
    name = models.CharField(_("name"), max_length=200, unique=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("facilitator")
        verbose_name_plural = _("facilitators")

    def __str__(self) -> str:
        return self.name

    @property
    def display(self) -> str:
        """Name and organisation, as leaders see it."""
        if self.organisation and self.organisation != self.name:
            return f"{self.name} ({self.organisation})"
        return self.name
