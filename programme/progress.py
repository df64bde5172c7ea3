"""What counts as done, and where a leader stands.

The rules
---------
- A leader is *expected* at every session of the cohort they have a seat in, and
  at each session they booked as a make-up.
- A module is *completed* when the leader was present or late at any session of
  it, expected or not; the programme is completed when every required module is,
  on the date of the session that completed the last one.
- After an expected session ends, a leader with no attendance recorded is
  *awaiting registration* until ``ATTENDANCE_GRACE_WORKING_DAYS`` working days
  have passed; then, or as soon as they are recorded absent or excused, they
  have *missed* it.
- A leader is *behind* while a required module they have missed is not completed
  (a make-up booked is not yet a make-up done).

One home for the rules, one source for the answers
--------------------------------------------------
:func:`progress_for_leaders` applies the rules to the rows (sessions, places,
make-ups, attendance) and is the only code that does. :func:`refresh_standings`
stores its results in :class:`~programme.models.Standing`, in the same
transaction as every write that could change them (``programme/signals.py`` and
the bulk writers), and every page reads the stored standings: the dashboard, the
report, its drill-down, the CSV and the admin's leader list
(:func:`stored_progress`, :func:`annotate_progress`). What is stored does not
depend on the clock: each module keeps the moments at which its state changes,
and the state at a moment ``now`` follows from them (:func:`module_state`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
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
from django.utils import timezone
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
    AWAITING = "awaiting"
    MISSED = "missed"
    NOT_BOOKED = "not_booked"

    LABELS = {
        COMPLETED: _("Completed"),
        UPCOMING: _("Upcoming"),
        AWAITING: _("Awaiting registration"),
        MISSED: _("Missed"),
        NOT_BOOKED: _("Not booked"),
    }


def registration_due(ends_at: dt.datetime) -> dt.datetime:
    """When a session with no attendance recorded counts as missed: N working days on."""
    local = timezone.localtime(ends_at)
    day, left = local.date(), settings.ATTENDANCE_GRACE_WORKING_DAYS
    while left > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return timezone.make_aware(dt.datetime.combine(day, local.time().replace(tzinfo=None)))


def module_state(
    completed_at: dt.datetime | None,
    expected_until: dt.datetime | None,
    missed_from: dt.datetime | None,
    now: dt.datetime,
) -> str:
    """A module's state at ``now`` from the three moments stored for it.

    Completed beats everything; a session still to come (or under way) makes it
    upcoming; then missed; a session over but not yet recorded, awaiting.
    """
    if completed_at is not None:
        return ModuleState.COMPLETED
    if expected_until is not None and now < expected_until:
        return ModuleState.UPCOMING
    if missed_from is not None and missed_from <= now:
        return ModuleState.MISSED
    if expected_until is not None:
        return ModuleState.AWAITING
    return ModuleState.NOT_BOOKED


@dataclass
class ModuleProgress:
    module: Module
    now: dt.datetime
    # The start of the earliest session of the module attended (present or late).
    completed_at: dt.datetime | None = None
    # When the last session the leader is expected at ends.
    expected_until: dt.datetime | None = None
    # The earliest moment an expected session counts as missed: its end when
    # recorded absent or excused, its registration_due() when not recorded.
    missed_from: dt.datetime | None = None
    # Only for the rows-based view (not stored): what was recorded and expected.
    attendances: list[Attendance] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)

    @property
    def completed(self) -> bool:
        return self.completed_at is not None

    @property
    def state(self) -> str:
        return module_state(self.completed_at, self.expected_until, self.missed_from, self.now)

    @property
    def state_label(self) -> str:
        return ModuleState.LABELS[self.state]

    @property
    def behind(self) -> bool:
        return (
            self.module.required
            and not self.completed
            and self.missed_from is not None
            and self.missed_from <= self.now
        )

    def stored(self) -> list[str | None]:
        return [_iso(self.completed_at), _iso(self.expected_until), _iso(self.missed_from)]


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
        """From when the leader is behind unless something changes; independent of "now"."""
        moments = [m.missed_from for m in self.required if not m.completed and m.missed_from]
        return min(moments, default=None)

    def module(self, module_id: int) -> ModuleProgress | None:
        return next((m for m in self.modules if m.module.pk == module_id), None)


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _moment(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _derive(
    modules: list[Module],
    expected: Iterable[Session],
    attendances: Iterable[Attendance],
    now: dt.datetime,
) -> LeaderProgress:
    """The rules, for one leader's rows."""
    by_module = {m.pk: ModuleProgress(module=m, now=now) for m in modules}
    recorded: dict[int, Attendance] = {}
    for attendance in attendances:
        entry = by_module.get(attendance.session.module_id)
        if entry is None:
            continue
        recorded[attendance.session_id] = attendance
        entry.attendances.append(attendance)
        start = attendance.session.starts_at
        if attendance.completes_module and (
            entry.completed_at is None or start < entry.completed_at
        ):
            entry.completed_at = start
    for session in sorted(expected, key=lambda s: (s.starts_at, s.pk)):
        entry = by_module.get(session.module_id)
        if entry is None:
            continue
        entry.sessions.append(session)
        if entry.expected_until is None or session.ends_at > entry.expected_until:
            entry.expected_until = session.ends_at
        record = recorded.get(session.pk)
        if record is not None and record.completes_module:
            continue
        missed = session.ends_at if record is not None else registration_due(session.ends_at)
        if entry.missed_from is None or missed < entry.missed_from:
            entry.missed_from = missed
    for entry in by_module.values():
        entry.attendances.sort(key=lambda a: a.session.starts_at)
    return LeaderProgress(modules=list(by_module.values()))


def progress_for_leaders(
    leaders: Iterable[Leader | int], programme: Programme, *, now: dt.datetime | None = None
) -> dict[int, LeaderProgress]:
    """Each leader's progress from the rows, in a fixed number of queries for any number."""
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
        leader_id: _derive(modules, expected[leader_id], attendances[leader_id], now)
        for leader_id in ids
    }


def leader_progress(
    leader: Leader, programme: Programme, *, now: dt.datetime | None = None
) -> LeaderProgress:
    """One leader's progress from the rows, with what was recorded and expected."""
    return progress_for_leaders([leader], programme, now=now)[leader.pk]


def refresh_standings(
    programme: Programme, leader_ids: Iterable[int] | None = None, *, chunk_size: int = 2000
) -> int:
    """Store each leader's progress (:class:`~programme.models.Standing`) from the rules.

    ``leader_ids`` None means every leader. A fixed number of queries per chunk.
    Returns how many standings were written.
    """
    ids = sorted(
        set(leader_ids) if leader_ids is not None else Leader.objects.values_list("pk", flat=True)
    )
    written = 0
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start : start + chunk_size]
        rows = [
            Standing(
                leader_id=leader_id,
                programme=programme,
                modules_done=result.required_done,
                completed_at=result.completed_at,
                behind_from=result.behind_from,
                modules={
                    str(m.module.pk): m.stored()
                    for m in result.modules
                    if m.completed_at or m.expected_until
                },
            )
            for leader_id, result in progress_for_leaders(chunk, programme).items()
        ]
        Standing.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["leader", "programme"],
            update_fields=[
                "modules_done",
                "completed_at",
                "behind_from",
                "modules",
                "refreshed_at",
            ],
        )
        written += len(rows)
    return written


def progress_from_stored(
    modules: list[Module], stored: dict | None, now: dt.datetime
) -> LeaderProgress:
    """A leader's progress at ``now`` from their stored standing's per-module moments."""
    stored = stored or {}
    entries = []
    for module in modules:
        completed_at, expected_until, missed_from = stored.get(str(module.pk)) or (None,) * 3
        entries.append(
            ModuleProgress(
                module=module,
                now=now,
                completed_at=_moment(completed_at),
                expected_until=_moment(expected_until),
                missed_from=_moment(missed_from),
            )
        )
    return LeaderProgress(modules=entries)


def stored_progress(
    leader: Leader, programme: Programme, *, now: dt.datetime | None = None
) -> LeaderProgress:
    """One leader's stored progress (two queries: the modules and the standing)."""
    now = now or clock.now()
    modules = list(programme.modules.order_by("order"))
    stored = (
        Standing.objects.filter(leader=leader, programme=programme)
        .values_list("modules", flat=True)
        .first()
    )
    return progress_from_stored(modules, stored, now)


def annotate_progress(
    leaders: QuerySet[Leader], programme: Programme, *, now: dt.datetime | None = None
) -> QuerySet[Leader]:
    """Add ``modules_done``, ``modules_required``, ``completed_at``, ``is_behind`` and
    ``stored_modules`` (the per-module moments) from the leaders' standings.

    One LEFT JOIN, so a report over tens of thousands of leaders costs one pass
    over a small table. A leader without a standing yet (just imported) has done
    nothing and is not behind. ``modules_required`` is the same for every row; it
    is a constant here so that filters can compare against it.
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
        stored_modules=F("standing__modules"),
    )
