"""Completion reports: who may see which departments, and the aggregate queries.

The report page, the department drill-down and the CSV export (web and
``export_completion``) all start from :func:`report_leaders`: one queryset of
leaders in scope, filtered, annotated with their stored standing
(:func:`programme.progress.annotate_progress`: totals, behind, and each module's
moments) and with their place in the programme. Every number on every row comes
from that one standing, so the page, the drill-down and the file always agree,
and every report runs a fixed number of queries however many leaders there are.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programme import clock
from programme.models import Cohort, Department, Enrolment, Leader, Module, Programme, User
from programme.progress import LeaderProgress, annotate_progress, progress_from_stored


class Status:
    """The status filter. Each is a question about a leader; a leader may answer yes to two
    (a waitlisted leader who is also behind on a make-up, say)."""

    COMPLETED = "completed"
    IN_PROGRESS = "in_progress"
    BEHIND = "behind"
    WAITLISTED = "waitlisted"
    NOT_ENROLLED = "not_enrolled"

    CHOICES = [
        (COMPLETED, _("Completed")),
        (IN_PROGRESS, _("In progress (enrolled, not behind)")),
        (BEHIND, _("Behind")),
        (WAITLISTED, _("On the waitlist")),
        (NOT_ENROLLED, _("Not enrolled")),
    ]


@dataclass(frozen=True)
class Scope:
    """The departments a user may report on. ``is_hr`` means all of them."""

    departments: QuerySet[Department]
    is_hr: bool
    # A manager's departments' ids, as scope_for read them (HR: None, all of them).
    ids: tuple[int, ...] | None = None

    def department(self, pk: int | str) -> Department:
        """One department in scope, or 404: a manager learns nothing about the others."""
        try:
            return self.departments.get(pk=pk)
        except (Department.DoesNotExist, ValueError) as exc:
            raise Http404("No such department in your reports.") from exc


def scope_for(user: User) -> Scope:
    """The one scope rule for every report view: HR sees all, a manager their own, else 403.

    A manager's own departments are those they manage and every department under one of
    them: a manager of an area (an administration or centre, a department's ``parent``)
    answers for each of its departments. A department's manager sees none of its siblings.
    """
    if not user.is_authenticated:
        raise PermissionDenied
    if user.is_hr:
        return Scope(departments=Department.objects.all(), is_hr=True)
    managed = Department.objects.filter(managers=user).values("pk")
    # Read once, as ids: every query over the scope then names its few departments, and
    # PostgreSQL plans for a few (an OR of two subqueries it took for most of them).
    ids = list(
        Department.objects.filter(Q(pk__in=managed) | Q(parent__in=managed)).values_list(
            "pk", flat=True
        )
    )
    if not ids:
        raise PermissionDenied
    return Scope(departments=Department.objects.filter(pk__in=ids), is_hr=False, ids=tuple(ids))


def departments_by_manager() -> dict[int, set[int]]:
    """Every manager's departments at once (user id -> department ids), by the rule of
    :func:`scope_for`: those they manage and every department under one of them. For the
    jobs that go through all managers (the weekly digest) in two queries."""
    answers_for: dict[int, set[int]] = defaultdict(set)
    children: dict[int, list[int]] = defaultdict(list)
    for pk, parent_id in Department.objects.values_list("pk", "parent_id"):
        if parent_id is not None:
            children[parent_id].append(pk)
    for user_id, department_id in Department.managers.through.objects.values_list(
        "user_id", "department_id"
    ):
        answers_for[user_id].add(department_id)
        answers_for[user_id].update(children[department_id])
    return dict(answers_for)


def full_scope() -> Scope:
    """Everything, for the command line (whoever runs it has the server anyway)."""
    return Scope(departments=Department.objects.all(), is_hr=True)


@dataclass
class Filters:
    programme: Programme
    department: Department | None = None
    # An administration or centre: its own leaders and those of its departments.
    unit: Department | None = None
    cohort: Cohort | None = None
    status: str = ""
    level: str = ""
    now: dt.datetime = field(default_factory=clock.now)


def report_leaders(scope: Scope, filters: Filters) -> QuerySet[Leader]:
    """Leaders in scope that the filters select, with their progress and place in SQL.

    Adds ``modules_done``, ``modules_required``, ``completed_at``, ``is_behind``
    (from :func:`annotate_progress`), ``is_completed``, ``enrolment_status``
    (enrolled / waitlisted / None) and ``cohort_name``.

    The place is read with correlated subqueries on the one-active-place index rather
    than a join: right after a bulk load, before PostgreSQL has statistics, it planned
    the join as a nested loop over every place for every leader (minutes at 30,000
    leaders); the subqueries take the index whatever the statistics say.
    """
    programme = filters.programme
    # Leaders who have left the municipality are no longer in the programme's numbers.
    today = timezone.localdate(filters.now)
    leaders = Leader.objects.filter(Leader.here_on(today), department__in=scope.departments)
    if filters.department is not None:
        leaders = leaders.filter(department=filters.department)
    if filters.unit is not None:
        leaders = leaders.filter(Q(department=filters.unit) | Q(department__parent=filters.unit))
    if filters.level:
        leaders = leaders.filter(level=filters.level)
    place = active_place(programme)
    leaders = leaders.annotate(
        enrolment_status=Subquery(place.values("status")[:1]),
        cohort_name=Subquery(place.values("cohort__name")[:1]),
    )
    if filters.cohort is not None:
        leaders = leaders.filter(Exists(place.filter(cohort=filters.cohort)))
    leaders = annotate_progress(leaders, programme, now=filters.now)
    leaders = leaders.annotate(
        # modules_required is a constant; with no required module nobody has completed.
        is_completed=Case(
            When(modules_required__gt=0, modules_done__gte=F("modules_required"), then=True),
            default=False,
        ),
    )
    return leaders.filter(_status_q(filters.status))


def active_place(programme: Programme) -> QuerySet[Enrolment]:
    """The place (enrolled or waitlisted) in ``programme`` of the leader ``OuterRef("pk")``
    names: at most one row (the one-active-place constraint), read through its index.
    Unordered: with one row there is nothing to sort, and the places' own order (by id)
    cost every leader's subquery a sort (a fifth of the CSV export's statement)."""
    return Enrolment.objects.filter(
        leader=OuterRef("pk"), programme=programme, status__in=Enrolment.ACTIVE
    ).order_by()


def _status_q(status: str) -> Q:
    enrolled = Q(enrolment_status=Enrolment.Status.ENROLLED)
    return {
        Status.COMPLETED: Q(is_completed=True),
        Status.BEHIND: Q(is_behind=True),
        Status.IN_PROGRESS: enrolled & Q(is_completed=False, is_behind=False),
        Status.WAITLISTED: Q(enrolment_status=Enrolment.Status.WAITLISTED),
        Status.NOT_ENROLLED: Q(enrolment_status__isnull=True),
    }.get(status, Q())


@dataclass
class DepartmentRow:
    """One line of the overview: a department, or an administration or centre with its
    departments (``is_unit``: its link leads to those departments, not to leaders)."""

    pk: int
    name: str
    code: str
    leaders: int = 0
    enrolled: int = 0
    waitlisted: int = 0
    not_enrolled: int = 0
    completed: int = 0
    behind: int = 0
    is_unit: bool = False

    @property
    def completion_rate(self) -> int:
        """Completed leaders as a whole percentage of all leaders counted."""
        return round(100 * self.completed / self.leaders) if self.leaders else 0

    @property
    def enrolled_rate(self) -> int:
        return round(100 * self.enrolled / self.leaders) if self.leaders else 0


COUNTED = ("leaders", "enrolled", "waitlisted", "not_enrolled", "completed", "behind")


def department_summary(
    leaders: QuerySet[Leader], *, by_unit: bool = False
) -> tuple[list[DepartmentRow], DepartmentRow]:
    """Counts per department and the totals, in one GROUP BY query.

    ``by_unit`` counts per administration or centre instead (a department's parent, or
    the department itself where it has none): at national scale HR's overview is some
    tens of lines, not 1,500. Still one query over the stored standings.
    """
    if by_unit:
        keys = {
            "key": Coalesce("department__parent", "department"),
            "key_name": Coalesce("department__parent__name", "department__name"),
            "key_code": Coalesce("department__parent__code", "department__code"),
        }
        extra = {"n_in_units": Count("pk", filter=Q(department__parent__isnull=False))}
    else:
        keys = {
            "key": F("department"),
            "key_name": F("department__name"),
            "key_code": F("department__code"),
        }
        extra = {}
    # Grouped by the place's status too: the status is a correlated subquery, and as a
    # group key PostgreSQL works it out once per leader (as a filter inside each count
    # it did so three times).
    rows = (
        leaders.order_by()
        .values(**keys, place=F("enrolment_status"))
        .annotate(
            n_leaders=Count("pk"),
            n_completed=Count("pk", filter=Q(is_completed=True)),
            n_behind=Count("pk", filter=Q(is_behind=True)),
            **extra,
        )
        .order_by("key_name", "key")
    )
    by_key: dict[int, DepartmentRow] = {}
    for row in rows:
        line = by_key.get(row["key"])
        if line is None:
            line = by_key[row["key"]] = DepartmentRow(
                pk=row["key"], name=row["key_name"], code=row["key_code"]
            )
        line.leaders += row["n_leaders"]
        line.completed += row["n_completed"]
        line.behind += row["n_behind"]
        line.is_unit = line.is_unit or bool(row.get("n_in_units"))
        if row["place"] == Enrolment.Status.ENROLLED:
            line.enrolled += row["n_leaders"]
        elif row["place"] == Enrolment.Status.WAITLISTED:
            line.waitlisted += row["n_leaders"]
        else:
            line.not_enrolled += row["n_leaders"]
    result = list(by_key.values())
    total = DepartmentRow(pk=0, name=str(_("Total")), code="")
    for row in result:
        for name in COUNTED:
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return result, total


SORTS = {
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "department": ("department__name", "name", "pk"),
    "-department": ("-department__name", "-name", "-pk"),
    # Least progress first; "-progress" puts those furthest along (and earliest done) first.
    "progress": (
        F("modules_done").asc(),
        F("completed_at").desc(nulls_first=True),
        "name",
        "pk",
    ),
    "-progress": (
        F("modules_done").desc(),
        F("completed_at").asc(nulls_last=True),
        "name",
        "pk",
    ),
}
DEFAULT_SORT = "name"


def sorted_leaders(leaders: QuerySet[Leader], sort: str) -> QuerySet[Leader]:
    return leaders.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


def module_cells(leader: Leader, modules: list[Module], now: dt.datetime) -> LeaderProgress:
    """A report row's per-module states, from the same stored standing as its totals."""
    return progress_from_stored(modules, leader.stored_modules, now)


def outcome_leaders(scope: Scope, filters: Filters) -> QuerySet[Leader]:
    """Leaders in scope that the filters select, for the self-assessment and initiatives.

    Unlike :func:`report_leaders`, leaders who have left still count: their answers
    were given in the programme (and anonymisation keeps the numbers).
    """
    leaders = Leader.objects.filter(department__in=scope.departments)
    if filters.department is not None:
        leaders = leaders.filter(department=filters.department)
    if filters.level:
        leaders = leaders.filter(level=filters.level)
    if filters.cohort is not None:
        place = Enrolment.objects.filter(
            leader=OuterRef("pk"), cohort=filters.cohort, status__in=Enrolment.ACTIVE
        )
        leaders = leaders.filter(Exists(place))
    return leaders
