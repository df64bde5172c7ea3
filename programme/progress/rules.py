"""The rules applied to the rows: each leader's :class:`LeaderProgress` from their
sessions, places, make-ups and attendance (:func:`progress_for_leaders`, the only code
that does), in a fixed number of queries for any number of leaders."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from django.db.models import (
    Q,
)

from programme import clock
from programme.models import (
    Attendance,
    Enrolment,
    Leader,
    MakeUpBooking,
    Module,
    Programme,
    Session,
)
from programme.progress.states import (
    ModuleState,
    missed_from,
    module_state,
    registration_due_now,
)


@dataclass(slots=True)
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
    # Filled in by the leader's own page (not stored): what was recorded.
    attendances: list[Attendance] = field(default_factory=list)

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

    def stored(self) -> list[int | None]:
        return [_epoch(self.completed_at), _epoch(self.expected_until), _epoch(self.missed_from)]


@dataclass
class LeaderProgress:
    modules: list[ModuleProgress]
    # The cohort the leader has a seat in (progress_for_leaders fills it in).
    seated_in: int | None = None

    @cached_property
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

    # What a leader *holds* (clock-free, stored in the standing so that a forecast over
    # every leader is a count in SQL): a module not completed is held at a moment ``now``
    # (``module_state`` upcoming or awaiting) exactly when a session is expected and
    # ``now`` is before its end or before it counts as missed, ``max(expected_until,
    # missed_from)``; never missed, it stays held.

    @property
    def booked_until(self) -> dt.datetime | None:
        """When the last required module completes if the leader attends every session
        they are expected at: the latest completion or expected end. None when a required
        module is neither completed nor has a session expected."""
        if not self.required or any(
            not m.completed and m.expected_until is None for m in self.required
        ):
            return None
        return max(m.completed_at if m.completed else m.expected_until for m in self.required)

    @property
    def held_last(self) -> dt.datetime | None:
        """When the last expected session of a required module not completed ends."""
        ends = [m.expected_until for m in self.required if not m.completed and m.expected_until]
        return max(ends, default=None)

    @property
    def held_until(self) -> dt.datetime | None:
        """Until when every required module not completed is held (see above), given each
        has a session expected (``booked_until``); None when none will count as missed."""
        moments = [
            max(m.expected_until, m.missed_from)
            for m in self.required
            if not m.completed and m.expected_until and m.missed_from
        ]
        return min(moments, default=None)

    def module(self, module_id: int) -> ModuleProgress | None:
        return next((m for m in self.modules if m.module.pk == module_id), None)


def _epoch(moment: dt.datetime | None) -> int | None:
    # Whole seconds: session times, and what derives from them, have no fractions.
    return int(moment.timestamp()) if moment is not None else None


def _moment(seconds: int | None) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC) if seconds is not None else None


class _Session(NamedTuple):
    pk: int
    module_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    cohort_id: int
    due: dt.datetime  # registration_due(ends_at)


def _derive(
    modules: list[Module],
    expected: Iterable[_Session],
    records: dict[int, str],
    sessions: dict[int, _Session],
    now: dt.datetime,
) -> LeaderProgress:
    """The rules, for one leader: ``expected`` sessions, ``records`` session -> status."""
    by_module = {m.id: ModuleProgress(m, now) for m in modules}
    for session_id, status in records.items():
        session = sessions[session_id]
        entry = by_module.get(session.module_id)
        if entry is None or status not in Attendance.COMPLETING:
            continue
        if entry.completed_at is None or session.starts_at < entry.completed_at:
            entry.completed_at = session.starts_at
    for session in expected:
        entry = by_module.get(session.module_id)
        if entry is None:
            continue
        if entry.expected_until is None or session.ends_at > entry.expected_until:
            entry.expected_until = session.ends_at
        missed = missed_from(session.ends_at, records.get(session.pk), due=session.due)
        if missed is None:
            continue
        if entry.missed_from is None or missed < entry.missed_from:
            entry.missed_from = missed
    return LeaderProgress(modules=list(by_module.values()))


def _range(ids: list[int]) -> Q:
    """The leaders of a sorted chunk: a range when the ids are many and dense (rows of
    others in it are skipped in Python), else a list."""
    if len(ids) > 50 and ids[-1] - ids[0] < 4 * len(ids):
        return Q(leader_id__gte=ids[0], leader_id__lte=ids[-1])
    return Q(leader_id__in=ids)


def _sessions(sessions) -> tuple[dict[int, _Session], dict[int, list[_Session]]]:
    by_pk: dict[int, _Session] = {}
    by_cohort: dict[int, list[_Session]] = defaultdict(list)
    due = registration_due_now()
    for row in sessions.values_list("pk", "module_id", "starts_at", "ends_at", "cohort_id"):
        session = _Session(*row, due(row[3]))
        by_pk[session.pk] = session
        by_cohort[session.cohort_id].append(session)
    return by_pk, by_cohort


class _Rows(NamedTuple):
    """What the rules read for a set of leaders, as plain values."""

    modules: list[Module]
    by_pk: dict[int, _Session]
    by_cohort: dict[int, list[_Session]]
    cohort_of: dict[int, int]  # leader -> the cohort they have a seat in
    makeups: dict[int, list[int]]  # leader -> sessions booked as make-ups
    records: dict[int, dict[int, str]]  # leader -> session -> attendance status

    def expected(self, leader_id: int) -> list[_Session]:
        cohort_id = self.cohort_of.get(leader_id)
        own = self.by_cohort[cohort_id] if cohort_id is not None else []
        return [*own, *(self.by_pk[pk] for pk in self.makeups.get(leader_id, ()))]


def _read(ids: list[int], programme: Programme, all_sessions: tuple | None) -> _Rows:
    """The rows of the sorted ``ids``, in a fixed number of queries."""
    wanted = set(ids)
    modules = list(programme.modules.order_by("order"))
    cohort_of = {
        leader_id: cohort_id
        for leader_id, cohort_id in Enrolment.objects.filter(
            _range(ids), programme=programme, status=Enrolment.Status.ENROLLED
        ).values_list("leader_id", "cohort_id")
        if leader_id in wanted
    }
    # With the programme's sessions in hand (many leaders), the rows are read by leader
    # alone and kept if their session is the programme's: joined to the sessions, the
    # planner walked all of the programme's sessions for each chunk of leaders.
    if all_sessions is not None:
        by_pk, by_cohort = all_sessions
        ours = Q()
    else:
        ours = Q(session__module__programme=programme)
    makeups: dict[int, list[int]] = defaultdict(list)
    ordered = ("leader_id", "session_id")  # each leader's rows in the order of the sessions
    for leader_id, session_id in (
        MakeUpBooking.objects.filter(_range(ids), ours).order_by(*ordered).values_list(*ordered)
    ):
        if leader_id in wanted and (all_sessions is None or session_id in by_pk):
            makeups[leader_id].append(session_id)
    records: dict[int, dict[int, str]] = defaultdict(dict)
    for leader_id, session_id, status in (
        Attendance.objects.filter(_range(ids), ours)
        .order_by(*ordered)
        .values_list(*ordered, "status")
    ):
        if leader_id in wanted and (all_sessions is None or session_id in by_pk):
            records[leader_id][session_id] = status

    if all_sessions is None:
        sessions = Session.objects.filter(module__programme=programme)
        if len(ids) <= 50:  # a few leaders (a signal): only the sessions they touch
            touched = {s for own in makeups.values() for s in own}
            touched |= {s for r in records.values() for s in r}
            sessions = sessions.filter(Q(cohort__in=set(cohort_of.values())) | Q(pk__in=touched))
        by_pk, by_cohort = _sessions(sessions)
    return _Rows(modules, by_pk, by_cohort, cohort_of, makeups, records)


def progress_for_leaders(
    leaders: Iterable[Leader | int],
    programme: Programme,
    *,
    now: dt.datetime | None = None,
    all_sessions: tuple | None = None,
) -> dict[int, LeaderProgress]:
    """Each leader's progress from the rows, in a fixed number of queries for any number.

    Rows are read as plain tuples (no model instances): this runs for every leader of
    a national programme in ``refresh_standings``, which reads the programme's sessions
    once for all its chunks (``all_sessions``) rather than once per chunk.
    """
    now = now or clock.now()
    ids = sorted({leader if isinstance(leader, int) else leader.pk for leader in leaders})
    if not ids:
        return {}
    rows = _read(ids, programme, all_sessions)
    found = {
        leader_id: _derive(
            rows.modules, rows.expected(leader_id), rows.records.get(leader_id, {}), rows.by_pk, now
        )
        for leader_id in ids
    }
    for leader_id, cohort_id in rows.cohort_of.items():
        found[leader_id].seated_in = cohort_id
    return found


def standings_for_leaders(
    ids: list[int],
    programme: Programme,
    *,
    all_sessions: tuple | None = None,
    derived: dict[tuple, LeaderProgress] | None = None,
) -> Iterator[tuple[int, LeaderProgress]]:
    """Each of the sorted ``ids`` with their progress, for storing: the clock-free part
    only (what :meth:`ModuleProgress.stored` and the holding moments keep).

    The rules depend on nothing but a leader's rows, so leaders whose rows are alike (a
    seat in the same cohort, the same make-ups, attendance at the same sessions that
    completes or does not complete the same way: most of a cohort)
    share one result, derived once: a national refresh derives a few thousand, not
    hundreds of thousands. The results are shared: read them, do not change them.
    ``derived``: the results so far, kept by the caller across chunks of leaders (a
    cohort's leaders are in many chunks).
    """
    if not ids:
        return
    rows = _read(ids, programme, all_sessions)
    now = clock.now()
    derived = {} if derived is None else derived
    completing = Attendance.COMPLETING
    for leader_id in ids:
        cohort_id = rows.cohort_of.get(leader_id)
        makeups = rows.makeups.get(leader_id, ())
        records = rows.records.get(leader_id, {})
        # The rules read a record only as completing or not (present or late; absent or
        # excused): leaders who differ only within one of those share a result too.
        # Rows come in the order of their session (``_read``).
        attended = tuple((session, status in completing) for session, status in records.items())
        key = (cohort_id, tuple(makeups), attended)
        result = derived.get(key)
        if result is None:
            result = derived[key] = _derive(
                rows.modules, rows.expected(leader_id), records, rows.by_pk, now
            )
            result.seated_in = cohort_id
        yield leader_id, result


def leader_progress(
    leader: Leader, programme: Programme, *, now: dt.datetime | None = None
) -> LeaderProgress:
    """One leader's progress from the rows (pages read the stored one: stored_progress)."""
    return progress_for_leaders([leader], programme, now=now)[leader.pk]
