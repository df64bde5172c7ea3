"""Statistics about people: frozen entries, counted only in whole blocks
(:mod:`reports.disclosure` writes them; nothing else does).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from programme.page_versions import KeptQuerySet

# --- Statistics about people: frozen entries, counted only in whole blocks ---------------
# The rule and the code that writes these rows are in reports/disclosure.py; nothing
# else writes them.


class StatisticsScope(models.Model):
    """One kind of statistics over one whole (the self-assessment of one programme, say).

    Its row is what block formation locks, so two answers arriving at once cannot both
    take the same waiting entries; ``closed_at`` is when the answer window had closed and
    the leftovers were combined across units."""

    kind = models.CharField(_("kind"), max_length=30)
    whole = models.CharField(_("whole"), max_length=40)
    closed_at = models.DateTimeField(_("leftovers combined at"), null=True, blank=True)

    objects = KeptQuerySet.as_manager()

    class Meta:
        verbose_name = _("statistics scope")
        verbose_name_plural = _("statistics scopes")
        constraints = [
            models.UniqueConstraint(fields=["kind", "whole"], name="one_statistics_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.whole}"


class StatisticsBlock(models.Model):
    """Exactly ``size`` entries that are only ever counted together.

    ``leaf`` and ``parent`` are the units the block lies under: a block formed in a
    leaf unit has both, one formed from a parent's leftovers only the parent, one formed
    from the whole's leftovers neither."""

    class Level(models.TextChoices):
        LEAF = "leaf", _("unit")
        PARENT = "parent", _("parent unit")
        WHOLE = "whole", _("whole")

    scope = models.ForeignKey(
        StatisticsScope, on_delete=models.PROTECT, related_name="blocks", verbose_name=_("scope")
    )
    level = models.CharField(_("formed at"), max_length=6, choices=Level.choices)
    leaf = models.CharField(_("unit"), max_length=40, blank=True)
    parent = models.CharField(_("parent unit"), max_length=40, blank=True)
    size = models.PositiveSmallIntegerField(_("size"))
    formed_at = models.DateTimeField(_("formed at"))

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["scope", "formed_at", "pk"]
        verbose_name = _("statistics block")
        verbose_name_plural = _("statistics blocks")
        constraints = [
            models.CheckConstraint(condition=Q(size__gte=1), name="statistics_block_not_empty"),
            models.CheckConstraint(
                condition=(
                    Q(level="leaf", leaf__gt="", parent__gt="")
                    | Q(level="parent", leaf="", parent__gt="")
                    | Q(level="whole", leaf="", parent="")
                ),
                name="statistics_block_units_match_level",
            ),
        ]
        indexes = [models.Index(fields=["scope", "leaf", "parent"])]

    def __str__(self) -> str:
        return f"{self.scope}: {self.level} {self.leaf or self.parent or '*'} ({self.size})"


class StatisticsEntry(models.Model):
    """One person's contribution, frozen as it was when it arrived: later revisions,
    moves and anonymisation do not change it. ``subject`` says whose it is (e.g.
    ``leader:17``) so it is counted once; it holds nothing else about the person."""

    scope = models.ForeignKey(
        StatisticsScope, on_delete=models.PROTECT, related_name="entries", verbose_name=_("scope")
    )
    subject = models.CharField(_("counted person"), max_length=60)
    leaf = models.CharField(_("unit"), max_length=40)
    parent = models.CharField(_("parent unit"), max_length=40)
    arrived_at = models.DateTimeField(_("arrived at"))
    block = models.ForeignKey(
        StatisticsBlock,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("block"),
    )

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["scope", "arrived_at", "pk"]
        verbose_name = _("statistics entry")
        verbose_name_plural = _("statistics entries")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "subject"], name="one_statistics_entry_per_subject"
            ),
        ]
        indexes = [models.Index(fields=["scope", "block", "leaf", "arrived_at"])]

    def __str__(self) -> str:
        return f"{self.scope}: {self.subject}"


class StatisticsValue(models.Model):
    """One measure of an entry (e.g. ``baseline:it``): the sum of its scores and how
    many there were, so a group's mean is exact whatever the number of statements."""

    entry = models.ForeignKey(
        StatisticsEntry,
        on_delete=models.CASCADE,
        related_name="measures",
        verbose_name=_("statistics entry"),
    )
    measure = models.CharField(_("measure"), max_length=40)
    total = models.IntegerField(_("sum"))
    count = models.PositiveIntegerField(_("count"))

    objects = KeptQuerySet.as_manager()

    class Meta:
        verbose_name = _("statistics value")
        verbose_name_plural = _("statistics values")
        constraints = [
            models.UniqueConstraint(fields=["entry", "measure"], name="one_value_per_measure"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.measure}: {self.total}/{self.count}"
