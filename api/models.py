"""API clients (the HR and BI systems that read the API) and the log of their calls.

A client's token is shown once, when HR creates the client, and only its SHA-256 is
kept (:mod:`api.tokens`); the token's first part (``prefix``) is not secret and finds
the row. A client reads what its scopes allow, of the departments it is given (or of
all, when ``all_departments`` is set), until it expires or HR revokes it.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from programme.models import Department


class Scope(models.TextChoices):
    """What a client may read; each endpoint needs one (``api.endpoints``)."""

    PROGRAMME = "programme:read", _("The programme: modules, cohorts and sessions")
    REPORTS = "reports:read", _("Leaders and their standing (the completion report)")
    ATTENDANCE = "attendance:read", _("Attendance at sessions")


class ApiClient(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(
        _("description"), blank=True, help_text=_("Which system it is, and who runs it.")
    )
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    all_departments = models.BooleanField(
        _("all departments"),
        default=False,
        help_text=_("Reads every department's leaders, also departments created later."),
    )
    departments = models.ManyToManyField(
        Department,
        blank=True,
        related_name="+",
        verbose_name=_("departments"),
        help_text=_(
            "The departments whose leaders it reads. An administration or centre "
            "includes its departments."
        ),
    )
    expires_at = models.DateTimeField(
        _("expires at"), null=True, blank=True, help_text=_("Empty: does not expire.")
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    # The token's public first part, to find the row; the whole token's SHA-256.
    prefix = models.CharField(_("token prefix"), max_length=16, unique=True, editable=False)
    token_hash = models.CharField(_("token hash"), max_length=64, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        # HR revokes a client rather than deleting it: its calls stay in the log.
        default_permissions = ("add", "change", "view")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        unknown = [scope for scope in self.scopes or [] if scope not in Scope.values]
        if unknown:
            raise ValidationError({"scopes": _("Unknown scope: %s") % ", ".join(unknown)})

    def is_active(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])

    def department_scope(self):
        """The departments it reads: those given and the departments under them."""
        if self.all_departments:
            return Department.objects.all()
        given = self.departments.values("pk")
        return Department.objects.filter(Q(pk__in=given) | Q(parent__in=given))


class ApiUsage(models.Model):
    """Calls of one client to one endpoint on one day (counted with ``F()``, one row)."""

    client = models.ForeignKey(
        ApiClient, on_delete=models.CASCADE, related_name="usage", verbose_name=_("API client")
    )
    endpoint = models.CharField(_("endpoint"), max_length=100)
    day = models.DateField(_("day"))
    calls = models.PositiveIntegerField(_("calls"), default=0)
    refused = models.PositiveIntegerField(
        _("refused"), default=0, help_text=_("Calls over the rate limit (answered 429).")
    )
    last_at = models.DateTimeField(_("last call"))

    class Meta:
        ordering = ["-day", "client", "endpoint"]
        verbose_name = _("API call count")
        verbose_name_plural = _("API call counts")
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(
                fields=["client", "endpoint", "day"], name="one_usage_row_per_client_endpoint_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.endpoint} {self.day}: {self.calls}"
