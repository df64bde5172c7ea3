"""A leader's short evaluation of a session they attended, and that they were asked.

A person's evaluation is theirs alone: no page, export or admin shows it to anyone but
the leader themself. Others see only averages over whole blocks of leaders
(:mod:`evaluations.rules`, :mod:`reports.disclosure`).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from programme.models import Leader, Module, Session
from programme.page_versions import KeptQuerySet

SCORES = range(1, 6)


class Evaluation(models.Model):
    leader = models.ForeignKey(
        Leader, on_delete=models.CASCADE, related_name="evaluations", verbose_name=_("leader")
    )
    # PROTECT: a session with evaluations is the statistics' record; it is not deleted.
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="evaluations", verbose_name=_("session")
    )
    # The session's module, held here so the database keeps one evaluation per leader and
    # module: the statistics pool a module's leftovers, and a block must be k people.
    module = models.ForeignKey(
        Module, on_delete=models.PROTECT, related_name="+", verbose_name=_("module")
    )
    relevance = models.PositiveSmallIntegerField(_("relevance for your work"))
    facilitation = models.PositiveSmallIntegerField(_("the facilitator"))
    # Emptied by anonymisation; the numbers stay (they are counted, frozen, already).
    different = models.TextField(_("what you will do differently"), blank=True, max_length=2000)
    submitted_at = models.DateTimeField(_("submitted at"))

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["submitted_at", "pk"]
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [
            models.UniqueConstraint(
                fields=["leader", "module"], name="one_evaluation_per_leader_and_module"
            ),
            models.CheckConstraint(
                condition=Q(relevance__gte=1, relevance__lte=5), name="evaluation_relevance_1_5"
            ),
            models.CheckConstraint(
                condition=Q(facilitation__gte=1, facilitation__lte=5),
                name="evaluation_facilitation_1_5",
            ),
        ]

    def __str__(self) -> str:
        # Names no one: the admin and logs never show whose it is.
        return f"{_('evaluation')} {self.pk}"


class EvaluationRequest(models.Model):
    """The leader was asked by e-mail to evaluate the session: once, held by the database."""

    leader = models.ForeignKey(
        Leader, on_delete=models.CASCADE, related_name="+", verbose_name=_("leader")
    )
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="+", verbose_name=_("session")
    )
    asked_at = models.DateTimeField(_("asked at"))

    objects = KeptQuerySet.as_manager()

    class Meta:
        verbose_name = _("evaluation request")
        verbose_name_plural = _("evaluation requests")
        constraints = [
            models.UniqueConstraint(fields=["leader", "session"], name="evaluation_asked_once"),
        ]

    def __str__(self) -> str:
        return f"{self.leader_id}/{self.session_id}"
