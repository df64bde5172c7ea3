"""What counts as done.

- A module is completed when the leader was present or late at any session of it,
  in their own cohort or another.
- The programme is completed when every required module is; the completion date
  is the date of the session that completed the last one.
- A leader is *behind* when a past session of a required module they were
  expected at (their cohort's, or a make-up they booked) was missed and the
  module is not yet completed.

The rules are written once, in Python (:func:`progress_for_leaders`). Reports over
thousands of leaders read their results from :class:`~programme.models.Standing`,
which :func:`refresh_standings` writes whenever what it summarises changes
(``programme/signals.py``), so :func:`annotate_progress` is a join, not a
recomputation. The tests hold the stored standings to the rules on the demo data.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Case,
    F,
    FilteredRelation,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from . import clock
from .models import (
    Attendance,
    Enrolment,
    Leader,
    MakeUpBooking,
    Module,
    Programme,
    Session,
    Standing,
)


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
    # When the first session the leader is expected at (own cohort or make-up) ends.
    first_expected_end: dt.datetime | None = None
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

    @property
    def behind_from(self) -> dt.datetime | None:
        """From when the leader is behind unless something changes; independent of "now".

        A required module that is not completed is missed once the first session the
        leader was expected at ends; ``behind`` is ``behind_from <= now``.
        """
        ends = [
            m.first_expected_end
            for m in self.required
            if not m.completed and m.first_expected_end is not None
        ]
        return min(ends, default=None)


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
        if entry.first_expected_end is None or session.ends_at < entry.first_expected_end:
            entry.first_expected_end = session.ends_at
        if session.ends_at <= now:
            attended = any(
                a.session_id == session.pk and a.completes_module for a in entry.attendances
            )
            entry.missed = entry.missed or not attended
        elif entry.next_session is None:
            entry.next_session = session
    return LeaderProgress(modules=list(by_module.values()))


def progress_for_leaders(
    leaders: Iterable[Leader | int], programme: Programme, *, now: dt.datetime | None = None
) -> dict[int, LeaderProgress]:
    """Each leader's progress per module, in a fixed number of queries for any number."""
    now = now or clock.now()
    ids = [leader if isinstance(leader, int) else leader.pk for leader in leaders]
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


def refresh_standings(
    programme: Programme, leader_ids: Iterable[int] | None = None, *, chunk_size: int = 2000
) -> int:
    """Write each leader's :class:`~programme.models.Standing` from the Python rules above.

    ``leader_ids`` None means every leader. A fixed number of queries per chunk.
    Returns how many standings were written.
    """
    ids = sorted(
        set(leader_ids) if leader_ids is not None else Leader.objects.values_list("pk", flat=True)
    )
    required_total = programme.modules.filter(required=True).count()
    written = 0
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start : start + chunk_size]
        rows = [
            Standing(
                leader_id=leader_id,
                programme=programme,
                modules_done=result.required_done,
                completed_at=result.completed_at if required_total else None,
                behind_from=result.behind_from,
            )
            for leader_id, result in progress_for_leaders(chunk, programme).items()
        ]
        Standing.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["leader", "programme"],
            update_fields=["modules_done", "completed_at", "behind_from", "refreshed_at"],
        )
        written += len(rows)
    return written


def annotate_progress(
    leaders: QuerySet[Leader], programme: Programme, *, now: dt.datetime | None = None
) -> QuerySet[Leader]:
    """Add ``modules_done``, ``modules_required``, ``completed_at`` and ``is_behind``.

    Read from the leaders' standings in one LEFT JOIN, so a report over tens of
    thousands of leaders costs one pass over a small table. A leader without a
    standing yet (just imported) has done nothing and is not behind.
    ``modules_required`` is the same for every row; it is a constant here so that
    filters can compare against it.
    """
    now = now or clock.now()
    required = programme.modules.filter(required=True).count()
    return leaders.annotate(
        standing=FilteredRelation("standings", condition=Q(standings__programme=programme)),
        modules_required=Value(required, output_field=IntegerField()),
        modules_done=Coalesce(F("standing__modules_done"), 0),
        completed_at=F("standing__completed_at"),
        is_behind=Case(
            When(standing__behind_from__lte=now, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )
