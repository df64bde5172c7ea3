"""What the API reads, and for whom: one queryset per resource, in the client's scope.

Leaders come from :func:`reports.rules.report_leaders`, the function behind the
completion report and its CSV, with a :class:`reports.rules.Scope` made of the
client's departments: the same leaders (those who have left are not in the numbers),
the same stored standing, the same numbers. Attendance is scoped the same way, by its
leader's department. The programme, its cohorts and sessions hold no one's personal
data beyond a facilitator's name and are read by any client with ``programme:read``.

``updated_at`` of a leader is the latest of: their standing's refresh (attendance, a
place, a make-up or a session changed), a change to the leader (name, department, ...;
the change history) and a change to their place (its history). ``behind`` also turns
true by itself when a missed session's registration time runs out; that moment is
stored (``behind_from``) and shown, but it changes no timestamp.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import DateTimeField, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404
from django.utils import timezone

from api.models import ApiClient
from programme.models import (
    Attendance,
    Cohort,
    Department,
    Enrolment,
    Leader,
    Programme,
    Session,
)
from reports.rules import Filters, Scope, report_leaders

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def scope_of(client: ApiClient) -> Scope:
    return Scope(departments=client.department_scope(), is_hr=client.all_departments)


def programme_or_404(pk: int | None) -> Programme:
    """The programme asked for, or the current one (the most recent)."""
    programme = Programme.objects.filter(pk=pk).first() if pk else Programme.current()
    if programme is None:
        raise Http404("No such programme.")
    return programme


def cohort_or_404(programme: Programme, pk: int | None) -> Cohort | None:
    if pk is None:
        return None
    cohort = Cohort.objects.filter(programme=programme, pk=pk).first()
    if cohort is None:
        raise Http404("No such cohort in the programme.")
    return cohort


def department_or_404(scope: Scope, code: str | None) -> Department | None:
    """A department (or an administration or centre) in the client's scope, by its code."""
    if not code:
        return None
    department = scope.departments.filter(code=code).first()
    if department is None:
        raise Http404("No such department in this client's scope.")
    return department


@dataclass
class Wanted:
    """The filters of a list, as the query string (or the cursor) gives them."""

    programme: int | None = None
    department: str | None = None
    area: str | None = None
    cohort: int | None = None
    updated_since: dt.datetime | None = None


def _latest(model, path: str) -> Subquery:
    rows = (
        model.objects.filter(**{path: OuterRef("pk")})
        .order_by()
        .values(path)
        .annotate(latest=Max("history_date"))
        .values("latest")
    )
    return Subquery(rows, output_field=DateTimeField())


def leaders(
    client: ApiClient, programme: Programme, wanted: Wanted, now: dt.datetime
) -> QuerySet[Leader]:
    """Leaders in scope with the report's annotations and ``updated_at``."""
    scope = scope_of(client)
    department = department_or_404(scope, wanted.department)
    area = department_or_404(scope, wanted.area)
    filters = Filters(
        programme=programme,
        department=department,
        unit=area,
        cohort=cohort_or_404(programme, wanted.cohort),
        now=now,
    )
    epoch = Value(EPOCH, output_field=DateTimeField())
    rows = report_leaders(scope, filters).annotate(
        updated_at=Greatest(
            Coalesce("standing__refreshed_at", epoch),
            Coalesce(_latest(Leader.history.model, "id"), epoch),
            Coalesce(_latest(Enrolment.history.model, "leader_id"), epoch),
        )
    )
    if wanted.updated_since is not None:
        rows = rows.filter(updated_at__gte=wanted.updated_since)
    return rows


LEADER_FIELDS = (
    "pk",
    "employee_number",
    "name",
    "user__email",
    "title",
    "level",
    "department__code",
    "department__name",
    "department__parent__code",
    "cohort_name",
    "enrolment_status",
    "modules_done",
    "modules_required",
    "is_completed",
    "completed_at",
    "is_behind",
    "stored_modules",
    "updated_at",
)


def attendance(
    client: ApiClient, programme: Programme, wanted: Wanted, now: dt.datetime
) -> QuerySet[Attendance]:
    """Attendance of the leaders in scope (still with the municipality) at the programme's
    sessions; ``updated_since`` compares the moment it was (last) recorded."""
    scope = scope_of(client)
    department = department_or_404(scope, wanted.department)
    area = department_or_404(scope, wanted.area)
    cohort = cohort_or_404(programme, wanted.cohort)
    rows = Attendance.objects.filter(
        Leader.here_on(timezone.localdate(now), "leader__"),
        leader__department__in=scope.departments,
        session__module__programme=programme,
    )
    if department is not None:
        rows = rows.filter(leader__department=department)
    if area is not None:
        rows = rows.filter(Q(leader__department=area) | Q(leader__department__parent=area))
    if cohort is not None:
        rows = rows.filter(session__cohort=cohort)
    if wanted.updated_since is not None:
        rows = rows.filter(recorded_at__gte=wanted.updated_since)
    return rows


ATTENDANCE_FIELDS = (
    "pk",
    "leader_id",
    "leader__employee_number",
    "session_id",
    "session__module_id",
    "session__cohort_id",
    "status",
    "source",
    "recorded_at",
)


def cohorts(programme: Programme) -> QuerySet[Cohort]:
    return Cohort.objects.filter(programme=programme).with_seats()


def sessions(programme: Programme, wanted: Wanted) -> QuerySet[Session]:
    cohort = cohort_or_404(programme, wanted.cohort)
    rows = Session.objects.filter(module__programme=programme).select_related(
        "cohort", "module", "location", "facilitator"
    )
    return rows.filter(cohort=cohort) if cohort is not None else rows
