"""Leaders' digitalisation initiatives: saving them with their status history, and the
queries the programme owner's view and its CSV share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from outcomes.models import Dimension, Initiative, InitiativeStatusChange
from programme.models import Leader, Programme
from reports.csv_export import neutralise


@transaction.atomic
def save_initiative(form, *, programme: Programme, now: dt.datetime) -> Initiative:
    """Save a valid :class:`~outcomes.forms.InitiativeForm`; a new status is kept in the
    history with its date (and the reason, when abandoned)."""
    initiative = form.save(commit=False)
    previous = (
        Initiative.objects.filter(pk=initiative.pk).values_list("status", flat=True).first()
        if initiative.pk
        else None
    )
    initiative.programme = programme
    initiative.changed_at = now
    if not form.cleaned_data.get("share"):
        initiative.shared_at = None  # withdrawn, or never shared
    elif initiative.shared_at is None:
        initiative.shared_at = now
    if initiative.created_at is None:
        initiative.created_at = now
    initiative.save()
    if previous != initiative.status:
        InitiativeStatusChange.objects.create(
            initiative=initiative,
            status=initiative.status,
            reason=initiative.abandoned_reason,
            changed_at=now,
        )
    return initiative


# The columns of the count per department, in order: none, then each status.
COUNTED = [
    Initiative.Status.IDEA,
    Initiative.Status.PLANNED,
    Initiative.Status.IN_PROGRESS,
    Initiative.Status.DONE,
    Initiative.Status.ABANDONED,
]


@dataclass
class DepartmentInitiatives:
    pk: int | None
    name: str
    leaders: int = 0
    without: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def counts(self) -> list[int]:
        return [self.by_status.get(status, 0) for status in COUNTED]


def department_counts(
    leaders: QuerySet[Leader], programme: Programme, initiatives: QuerySet[Initiative]
) -> tuple[list[DepartmentInitiatives], DepartmentInitiatives]:
    """Per department: leaders, leaders without an initiative, initiatives per status.
    Two GROUP BY queries, whatever the number of leaders."""
    has_one = Initiative.objects.filter(leader=OuterRef("pk"), programme=programme)
    people = (
        leaders.order_by()
        .values("department", "department__name")
        .annotate(
            n=Count("pk"),
            without=Count("pk", filter=~Q(Exists(has_one))),
        )
    )
    rows = {
        row["department"]: DepartmentInitiatives(
            pk=row["department"],
            name=row["department__name"],
            leaders=row["n"],
            without=row["without"],
        )
        for row in people
    }
    statuses = initiatives.order_by().values("leader__department", "status").annotate(n=Count("pk"))
    for row in statuses:
        department = rows.get(row["leader__department"])
        if department is not None:
            department.by_status[row["status"]] = row["n"]
    result = sorted(rows.values(), key=lambda r: r.name)
    total = DepartmentInitiatives(pk=None, name="")
    for row in result:
        total.leaders += row.leaders
        total.without += row.without
        for status, n in row.by_status.items():
            total.by_status[status] = total.by_status.get(status, 0) + n
    return result, total


def report_initiatives(
    leaders: QuerySet[Leader], programme: Programme, *, status: str = "", dimension: str = ""
) -> QuerySet[Initiative]:
    """The initiatives of these leaders in the programme, filtered, newest change first."""
    found = Initiative.objects.filter(programme=programme, leader__in=leaders.values("pk"))
    if status:
        found = found.filter(status=status)
    if dimension in Initiative.DIMENSION_FIELDS:
        found = found.filter(**{Initiative.DIMENSION_FIELDS[dimension]: True})
    return found


def csv_header() -> list[str]:
    return [
        gettext("Department"),
        gettext("Leader"),
        gettext("Initiative"),
        gettext("Status"),
        gettext("Dimensions"),
        gettext("Crosses into"),
        gettext("Problem it solves"),
        gettext("Expected benefit"),
        gettext("Next step"),
        gettext("Why it was abandoned"),
        gettext("Changed"),
    ]


def csv_rows(found: QuerySet[Initiative]) -> Iterator[list]:
    """One row per initiative; text from people is neutralised (see csv_export)."""
    statuses = {key: str(label) for key, label in Initiative.Status.choices}
    for item in found.iterator(chunk_size=2000):
        yield [
            neutralise(item.leader.department.name),
            neutralise(item.leader.name),
            neutralise(item.title),
            statuses[item.status],
            ", ".join(item.dimension_labels),
            neutralise(item.other_department.name) if item.other_department else "",
            neutralise(item.problem),
            neutralise(item.expected_benefit),
            item.next_step_on.isoformat() if item.next_step_on else "",
            neutralise(item.abandoned_reason),
            timezone.localdate(item.changed_at).isoformat(),
        ]


@dataclass
class DimensionAcross:
    """A dimension that initiatives in two or more areas touch, and those areas."""

    dimension: str
    label: str
    areas: list[str]


def dimensions_across_areas(initiatives: QuerySet[Initiative]) -> list[DimensionAcross]:
    """For the programme owner: each dimension that initiatives in two or more areas (an
    administration or centre, or a department on its own) touch, with the areas by
    name, most areas first. One query: the distinct areas and dimension flags."""
    flags = list(Initiative.DIMENSION_FIELDS.items())
    rows = (
        initiatives.order_by()
        .annotate(
            area_name=Coalesce("leader__department__parent__name", "leader__department__name")
        )
        .values_list("area_name", *(field for _dimension, field in flags))
        .distinct()
    )
    areas: dict[str, set[str]] = {dimension: set() for dimension, _field in flags}
    for area, *touches in rows:
        for (dimension, _field), touched in zip(flags, touches, strict=True):
            if touched:
                areas[dimension].add(area)
    across = [
        DimensionAcross(dimension, str(Dimension(dimension).label), sorted(names))
        for dimension, names in areas.items()
        if len(names) >= 2
    ]
    return sorted(across, key=lambda row: (-len(row.areas), row.label))
