"""A leader's request for a place, where the municipality wants a manager to approve
enrolment (``ENROLMENT_APPROVAL=manager``). A request holds no seat: only approving it
books one, through :mod:`booking` (:mod:`approvals.rules`)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from programme.models import Cohort, Leader
from programme.page_versions import KeptQuerySet


class EnrolmentRequest(models.Model):
    class State(models.TextChoices):
        REQUESTED = "requested", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    leader = models.ForeignKey(
        Leader,
        on_delete=models.CASCADE,
        related_name="enrolment_requests",
        verbose_name=_("leader"),
    )
    cohort = models.ForeignKey(
        Cohort,
        on_delete=models.CASCADE,
        related_name="enrolment_requests",
        verbose_name=_("cohort"),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.REQUESTED
    )
    reason = models.TextField(_("reason for declining"), blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["requested_at", "pk"]
        verbose_name = _("enrolment request")
        verbose_name_plural = _("enrolment requests")
        constraints = [
            # One open request per leader: a second "Tilmeld mig" waits for the first.
            models.UniqueConstraint(
                fields=["leader"],
                condition=Q(state="requested"),
                name="one_open_enrolment_request_per_leader",
            ),
            # A decline always says why.
            models.CheckConstraint(
                condition=~Q(state="declined") | ~Q(reason=""),
                name="declined_request_has_a_reason",
            ),
            # Only a decided request has a decision time.
            models.CheckConstraint(
                condition=Q(state="requested", decided_at__isnull=True)
                | (~Q(state="requested") & Q(decided_at__isnull=False)),
                name="request_decided_at_when_decided",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.leader} → {self.cohort}: {self.get_state_display()}"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.REQUESTED

    def unanswered(self, now: dt.datetime) -> bool:
        """Open for longer than ``APPROVAL_REMINDER_DAYS``: reminded, and flagged to HR."""
        days = dt.timedelta(days=settings.APPROVAL_REMINDER_DAYS)
        return self.is_open and self.requested_at <= now - days
