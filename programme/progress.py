"""What counts as done.

- A module is completed when the leader was present or late at any session of it,
  in their own cohort or another.
- The programme is completed when every required module is; the completion date
  is the date of the session that completed the last one.
- A leader is *behind* when a past session of a required module they were
  expected at (their cohort's, or a make-up they booked) was missed and the
  module is not yet completed.

The rules exist twice by necessity: in Python for one leader's detailed page
(:func:`leader_progress`, :func:`progress_for_leaders`) and in SQL for thousands
of leaders at once (:func:`annotate_progress`). The tests hold them to the same
answers on the demo data.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext_lazy as _

from . import clock
from .models import Attendance, Enrolment, Leader, MakeUpBooking, Module, Programme, Session


class ModuleState:
    COMPLETED = "completed"
    UPCOMING = "upcoming"
    MISSED = "missed"
    NOT_BOOKED = "not_booked"

    LABELS = {
        COMPLETED: _("Completed"),
        UPCOMING: _("Upcoming"),
        MISSED: _("Missed"),
        NOT_BOOKED: _("Not booked"),
    }


@dataclass
class ModuleProgress:
    module: Module
    completed_at: dt.datetime | None = None
    missed: bool = False
    next_session: Session | None = None
    attendances: list[Attendance] = field(default_factory=list)

    @property
    def completed(self) -> bool:
        return self.completed_at is not None

    @property
    def state(self) -> str:
        if self.completed:
            return ModuleState.COMPLETED
        if self.next_session:
            return ModuleState.UPCOMING
        if self.missed:
            return ModuleState.MISSED
        return ModuleState.NOT_BOOKED

    @property
    def state_label(self) -> str:
        return ModuleState.LABELS[self.state]

    @property
    def behind(self) -> bool:
        return self.module.required and self.missed and not self.completed


@dataclass
class LeaderProgress:
    modules: list[ModuleProgress]

    @property
    def required(self) -> list[ModuleProgress]:
        return [m for m in self.modules if m.module.required]

    @property
    def required_total(self) -> int:
        return len(self.required)

    @property
    def required_done(self) -> int:
        return sum(1 for m in self.required if m.completed)

    @property
    def percent(self) -> int:
        return round(100 * self.required_done / self.required_total) if self.required_total else 0

    @property
    def completed(self) -> bool:
        return self.required_total > 0 and self.required_done == self.required_total

    @property
    def completed_at(self) -> dt.datetime | None:
        return max(m.completed_at for m in self.required) if self.completed else None

    @property
    def behind(self) -> bool:
        return any(m.behind for m in self.modules)


def _module_progress(
    modules: list[Module],
    expected: Iterable[Session],
    attendances: Iterable[Attendance],
    now: dt.datetime,
) -> LeaderProgress:
    by_module = {m.pk: ModuleProgress(module=m) for m in modules}
    for attendance in attendances:
        entry = by_module.get(attendance.session.module_id)
        if entry is None:
            continue
        entry.attendances.append(attendance)
        if attendance.completes_module and (
            entry.completed_at is None or attendance.session.starts_at < entry.completed_at
        ):
            entry.completed_at = attendance.session.starts_at
    for session in sorted(expected, key=lambda s: s.starts_at):
        entry = by_module.get(session.module_id)
        if entry is None:
            continue
        if session.ends_at <= now:
            attended = any(
                a.session_id == session.pk and a.completes_module for a in entry.attendances
            )
            entry.missed = entry.missed or not attended
        elif entry.next_session is None:
            entry.next_session = session
    return LeaderProgress(modules=list(by_module.values()))


def progress_for_leaders(
    leaders: list[Leader], programme: Programme, *, now: dt.datetime | None = None
) -> dict[int, LeaderProgress]:
    """Each leader's progress per module, in a fixed number of queries for any number."""
    now = now or clock.now()
    ids = [leader.pk for leader in leaders]
    modules = list(programme.modules.order_by("order"))
    expected: dict[int, list[Session]] = defaultdict(list)

    cohort_of = dict(
        Enrolment.objects.filter(
            leader_id__in=ids, programme=programme, status=Enrolment.Status.ENROLLED
        ).values_list("leader_id", "cohort_id")
    )
    sessions_by_cohort: dict[int, list[Session]] = defaultdict(list)
    for session in Session.objects.filter(cohort_id__in=set(cohort_of.values())):
        sessions_by_cohort[session.cohort_id].append(session)
    for leader_id, cohort_id in cohort_of.items():
        expected[leader_id].extend(sessions_by_cohort[cohort_id])
    for booking in MakeUpBooking.objects.filter(
        leader_id__in=ids, session__module__programme=programme
    ).select_related("session"):
        expected[booking.leader_id].append(booking.session)

    attendances: dict[int, list[Attendance]] = defaultdict(list)
    for attendance in Attendance.objects.filter(
        leader_id__in=ids, session__module__programme=programme
    ).select_related("session"):
        attendances[attendance.leader_id].append(attendance)

    return {
        leader_id: _module_progress(modules, expected[leader_id], attendances[leader_id], now)
        for leader_id in ids
    }


def leader_progress(
    leader: Leader, programme: Programme, *, now: dt.datetime | None = None
) -> LeaderProgress:
    return progress_for_leaders([leader], programme, now=now)[leader.pk]


def annotate_progress(
    leaders: QuerySet[Leader], programme: Programme, *, now: dt.datetime | None = None
) -> QuerySet[Leader]:
    """Add ``modules_done``, ``modules_required``, ``completed_at`` and ``is_behind``.

    One SQL query for any number of leaders: correlated subqueries, no Python loop.
    ``modules_required`` is the same for every row; it is a constant here so that
    filters can compare against it.
    """
    now = now or clock.now()
    required = list(
        programme.modules.filter(required=True).order_by("order").values_list("pk", flat=True)
    )
    completing = Attendance.objects.filter(
        leader=OuterRef("pk"), status__in=Attendance.COMPLETING
    ).order_by()
    done = (
        completing.filter(session__module__in=required)
        .values("leader")
        .annotate(n=Count("session__module", distinct=True))
        .values("n")
    )
    first_completion = [
        Subquery(
            completing.filter(session__module=module_id)
            .order_by("session__starts_at")
            .values("session__starts_at")[:1],
            output_field=DateTimeField(),
        )
        for module_id in required
    ]
    if not first_completion:
        last_needed = Value(None, output_field=DateTimeField())
    elif len(first_completion) == 1:
        last_needed = first_completion[0]
    else:
        last_needed = Greatest(*first_completion, output_field=DateTimeField())

    module_completed = Attendance.objects.filter(
        leader=OuterRef(OuterRef("pk")),
        session__module=OuterRef("module"),
        status__in=Attendance.COMPLETING,
    )
    missed_session = (
        Session.objects.filter(module__in=required, ends_at__lte=now)
        .filter(
            Q(
                cohort__enrolments__leader=OuterRef("pk"),
                cohort__enrolments__status=Enrolment.Status.ENROLLED,
            )
            | Q(makeups__leader=OuterRef("pk"))
        )
        .filter(~Exists(module_completed))
    )
    return leaders.annotate(
        modules_required=Value(len(required), output_field=IntegerField()),
        modules_done=Coalesce(Subquery(done, output_field=IntegerField()), 0),
        completed_at=Case(
            When(modules_done=len(required), then=last_needed)
            if required
            else When(pk__isnull=True, then=Value(None)),
            default=Value(None),
            output_field=DateTimeField(),
        ),
        is_behind=Exists(missed_session),
    )
