"""Kept counts per department: what the reports and the forecast say about a department's
leaders, counted once and read by every page that shows it (:mod:`reports.tallies` counts
them; nothing else writes these rows).

A row is derived data, never the truth: it is good only under the department's version
it was counted under (:func:`programme.page_versions.department_versions`: every write
that touches one of the department's leaders replaces it, in the writing transaction)
and until ``valid_until``, the first moment at which the clock alone changes a count (a
session ends, a registration is due, midnight). A page that finds a row missing, stale or
expired counts that department again; nothing has to remember to refresh them.
"""

from __future__ import annotations

from django.db import models, router
from django.utils.translation import gettext_lazy as _

from programme.models.cohorts import Programme
from programme.models.people import Department


class KeptRow(models.Model):
    """What every kept count carries: the version it was counted under (for a department
    "<the department's>|<every department's>") and the moments it is good between. A
    clock set back, in a test or a demo, finds it not good."""

    version = models.CharField(_("version"), max_length=80)
    counted_at = models.DateTimeField(_("counted at"))
    valid_until = models.DateTimeField(_("valid until"))

    class Meta:
        abstract = True

    @staticmethod
    def good(row: dict, version: str, now) -> bool:
        """Whether a kept row (its values) is good under ``version`` at ``now``."""
        return row["version"] == version and row["counted_at"] <= now < row["valid_until"]

    @staticmethod
    def good_by_the_clock(now) -> models.Q:
        """:meth:`good`'s moments as a condition for the database."""
        return models.Q(counted_at__lte=now, valid_until__gt=now)

    @classmethod
    def in_time(cls, now) -> models.ExpressionWrapper:
        """Whether a row is good by the clock at ``now`` (:meth:`good`'s moments), asked
        of the database: for reading many rows without their moments."""
        return models.ExpressionWrapper(
            cls.good_by_the_clock(now), output_field=models.BooleanField()
        )


class DepartmentTally(KeptRow):
    """A department's leaders counted for the reports and the forecast at one version."""

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="+", verbose_name=_("programme")
    )
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="+", verbose_name=_("department")
    )
    leaders = models.PositiveIntegerField(_("leaders"), default=0)
    enrolled = models.PositiveIntegerField(_("enrolled"), default=0)
    waitlisted = models.PositiveIntegerField(_("on the waitlist"), default=0)
    completed = models.PositiveIntegerField(_("completed"), default=0)
    behind = models.PositiveIntegerField(_("behind"), default=0)
    # The forecast's counts before the seats are known (reports.recount.Needs): the
    # leaders who completed, who are on course, who have no place (none, or only on a
    # waitlist) and are not completed, and of those who need a place.
    outlook_completed = models.PositiveIntegerField(_("completed (forecast)"), default=0)
    on_course = models.PositiveIntegerField(_("on course"), default=0)
    unseated = models.PositiveIntegerField(_("without a place"), default=0)
    need_place = models.PositiveIntegerField(_("need a place"), default=0)
    # The forecast's weekly series: four lists (modules completed, modules held, leaders
    # completed, leaders holding all; reports.outlooks.add_moments) of [moment, how many].
    moments = models.JSONField(_("moments"), default=list)
    # Random, new at every count: which count a sum of the rows holds (reports.tallies
    # corrects the municipality's sum by the difference of the rows counted again).
    # A default in the database: the code before it, still running during a deploy,
    # writes rows without it.
    revision = models.BigIntegerField(_("revision"), db_default=0)

    class Meta:
        verbose_name = _("department tally")
        verbose_name_plural = _("department tallies")
        # Bookkeeping, not data: no one is given rights to these rows.
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "department"], name="one_tally_per_department"
            ),
            models.CheckConstraint(
                condition=models.Q(enrolled__lte=models.F("leaders"))
                & models.Q(waitlisted__lte=models.F("leaders"))
                & models.Q(completed__lte=models.F("leaders"))
                & models.Q(behind__lte=models.F("leaders"))
                & models.Q(outlook_completed__lte=models.F("leaders"))
                & models.Q(on_course__lte=models.F("leaders"))
                & models.Q(unseated__lte=models.F("leaders"))
                & models.Q(need_place__lte=models.F("unseated")),
                name="tally_parts_within_leaders",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department_id}/{self.programme_id}: {self.leaders}"


class TallyNeed(models.Model):
    """Of a department's kept counts: how many seated leaders miss these modules (neither
    completed nor held in time), in this cohort of their own. Written with its
    :class:`DepartmentTally`, in the same transaction."""

    tally = models.ForeignKey(
        DepartmentTally, on_delete=models.CASCADE, related_name="needs", verbose_name=_("tally")
    )
    own_cohort = models.BigIntegerField(_("own cohort"))
    # The module ids, ascending, joined by commas.
    missing = models.CharField(_("modules missing"), max_length=200)
    leaders = models.PositiveIntegerField(_("leaders"))

    class Meta:
        verbose_name = _("department tally need")
        verbose_name_plural = _("department tally needs")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["tally", "own_cohort", "missing"], name="one_need_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tally_id}: {self.own_cohort}/{self.missing}: {self.leaders}"


class ProgrammeTally(KeptRow):
    """A kept summary of the whole programme, of one ``kind``: ``municipality``, every
    department's :class:`DepartmentTally` summed (what HR's pages about the whole
    municipality read), ``series``, their weekly series' moments summed (the forecast
    page's chart), or ``seats``, the seats left before the end date
    (reports.chances). Good under the ``version`` it was made under, and until
    ``valid_until``; whoever reads it makes it again when it is not (reports.tallies)."""

    class Kind(models.TextChoices):
        MUNICIPALITY = "municipality", _("every department")
        SERIES = "series", _("every department's weekly series")
        SEATS = "seats", _("the seats left")

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="+", verbose_name=_("programme")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    data = models.JSONField(_("data"), default=dict)

    class Meta:
        verbose_name = _("programme tally")
        verbose_name_plural = _("programme tallies")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["programme", "kind"], name="one_tally_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id}/{self.kind}: {self.version}"

    @classmethod
    def read(cls, programme: Programme, kind: str, version: str, now) -> dict | None:
        """The kept summary's data if it was made under ``version`` and is still good at
        ``now``; else None (make it again and :meth:`keep` it). One query, which brings
        the data only when it is good: after a booking the stale summary (the seats'
        are 43 KB of JSON at 30,000 leaders) is neither sent nor decoded."""
        return (
            cls.objects.filter(cls.good_by_the_clock(now), programme=programme, kind=kind)
            .filter(version=version)
            .values_list("data", flat=True)
            .first()
        )

    @classmethod
    def row(cls, programme: Programme, kind: str, using: str | None = None) -> dict | None:
        """The kept summary as it is, good or not: its version, when it was made and
        until when, and its data. One query."""
        return (
            cls.objects.db_manager(using)
            .filter(programme=programme, kind=kind)
            .values("version", "counted_at", "valid_until", "data")
            .first()
        )

    @classmethod
    def keep(
        cls, programme: Programme, kind: str, version: str, now, valid_until, data: dict
    ) -> None:
        """Keep a summary made from rows read after ``version`` (one query, on the
        database that takes writes; two pages keeping it at once: the last one stays)."""
        cls.objects.using(router.db_for_write(cls)).bulk_create(
            [
                cls(
                    programme=programme,
                    kind=kind,
                    version=version,
                    counted_at=now,
                    valid_until=valid_until,
                    data=data,
                )
            ],
            update_conflicts=True,
            unique_fields=["programme", "kind"],
            update_fields=["version", "counted_at", "valid_until", "data"],
        )
