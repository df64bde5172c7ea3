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
  have *missed* it (:func:`missed_from`; booking asks the same). A working day is
  Monday to Friday, neither a Danish public holiday nor one of ``CLOSED_DAYS``.
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
import json
from collections import defaultdict
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import NamedTuple

import holidays
from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import get_text_list
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from . import clock, page_versions
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


@lru_cache(maxsize=32)
def _closed_days(year: int, closed: tuple[tuple[int, int], ...]) -> frozenset[dt.date]:
    """The days of ``year`` on which the municipality is closed: Denmark's public holidays
    (the ``holidays`` library knows them per year: Store Bededag until 2023) and the days
    of ``CLOSED_DAYS`` (24 and 31 December and Grundlovsdag, 5 June)."""
    days = set(holidays.country_holidays("DK", years=year))
    for month, day in closed:
        with suppress(ValueError):  # 29 February, in a year without one
            days.add(dt.date(year, month, day))
    return frozenset(days)


def closed_days_in_words() -> str:
    """``CLOSED_DAYS`` as HR reads them: "24. december (juleaftensdag), … og 5. juni
    (grundlovsdag)", named by the ``holidays`` library's optional category where it can."""
    danish = not get_language().startswith("en")
    # A leap year, so that 29 February can be written too; these days keep their date.
    names = holidays.country_holidays(
        "DK", years=2016, categories=(holidays.OPTIONAL,), language="da" if danish else "en_US"
    )
    words = []
    for month, day in settings.CLOSED_DAYS:
        date = dt.date(2016, month, day)
        text = date_format(date, "j. F" if danish else "j F")
        if name := names.get(date):
            text += f" ({name.lower() if danish else name})"
        words.append(text)
    return str(get_text_list(words, gettext("and")))


def registration_due(ends_at: dt.datetime) -> dt.datetime:
    """When a session with no attendance recorded counts as missed: at the same time of
    day, ``ATTENDANCE_GRACE_WORKING_DAYS`` working days after the day it ended."""
    # Asked for every expected session of every leader (refresh_standings), of a few
    # thousand sessions: each is counted once per setting.
    return _registration_due(
        ends_at,
        timezone.get_current_timezone_name(),
        settings.ATTENDANCE_GRACE_WORKING_DAYS,
        tuple(settings.CLOSED_DAYS),
    )


@lru_cache(maxsize=100_000)
def _registration_due(
    ends_at: dt.datetime, zone: str, grace: int, closed: tuple[tuple[int, int], ...]
) -> dt.datetime:
    local = timezone.localtime(ends_at)
    day, left = local.date(), grace
    while left > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in _closed_days(day.year, closed):
            left -= 1
    return timezone.make_aware(dt.datetime.combine(day, local.time().replace(tzinfo=None)))


def missed_from(ends_at: dt.datetime, status: str | None) -> dt.datetime | None:
    """The one definition of "missed": from when a session the leader is expected at
    counts as missed. Never when they were present or late; at its end when recorded
    absent or excused; when its registration is due (:func:`registration_due`) when
    nothing is recorded: until then it is *awaiting registration*, not missed."""
    if status in Attendance.COMPLETING:
        return None
    return ends_at if status is not None else registration_due(ends_at)


def own_cohort_state(leader: Leader, module: Module, now: dt.datetime) -> str | None:
    """Where the leader stands at ``now`` with ``module``'s sessions in their own cohort,
    by :func:`missed_from`: what a make-up seat asks (programme/booking/).

    ``ModuleState.MISSED`` when one is missed, or recorded excused ahead of it (a make-up
    may come first); else ``ModuleState.AWAITING`` when one has ended and its attendance
    is not recorded yet; else None.
    """
    recorded = Attendance.objects.filter(leader=leader, session=OuterRef("pk"))
    own = Session.objects.filter(
        module=module,
        cohort__enrolments__leader=leader,
        cohort__enrolments__status=Enrolment.Status.ENROLLED,
    ).annotate(status=Subquery(recorded.values("status")[:1]))
    state = None
    for ends_at, status in own.values_list("ends_at", "status"):
        missed = missed_from(ends_at, status)
        if missed is not None and (missed <= now or status == Attendance.Status.EXCUSED):
            return ModuleState.MISSED
        if missed is not None and ends_at <= now:
            state = ModuleState.AWAITING
    return state


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
        missed = missed_from(session.ends_at, records.get(session.pk))
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
    for row in sessions.values_list("pk", "module_id", "starts_at", "ends_at", "cohort_id"):
        session = _Session(*row)
        by_pk[session.pk] = session
        by_cohort[session.cohort_id].append(session)
    return by_pk, by_cohort


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
    wanted = set(ids)
    modules = list(programme.modules.order_by("order"))
    cohort_of = {
        leader_id: cohort_id
        for leader_id, cohort_id in Enrolment.objects.filter(
            _range(ids), programme=programme, status=Enrolment.Status.ENROLLED
        ).values_list("leader_id", "cohort_id")
        if leader_id in wanted
    }
    makeups = [
        row
        for row in MakeUpBooking.objects.filter(
            _range(ids), session__module__programme=programme
        ).values_list("leader_id", "session_id")
        if row[0] in wanted
    ]
    records: dict[int, dict[int, str]] = defaultdict(dict)
    for leader_id, session_id, status in Attendance.objects.filter(
        _range(ids), session__module__programme=programme
    ).values_list("leader_id", "session_id", "status"):
        if leader_id in wanted:
            records[leader_id][session_id] = status

    if all_sessions is not None:
        by_pk, by_cohort = all_sessions
    else:
        sessions = Session.objects.filter(module__programme=programme)
        if len(ids) <= 50:  # a few leaders (a signal): only the sessions they touch
            touched = {s for _, s in makeups} | {s for r in records.values() for s in r}
            sessions = sessions.filter(Q(cohort__in=set(cohort_of.values())) | Q(pk__in=touched))
        by_pk, by_cohort = _sessions(sessions)

    expected: dict[int, list[_Session]] = defaultdict(list)
    for leader_id, cohort_id in cohort_of.items():
        expected[leader_id].extend(by_cohort[cohort_id])
    for leader_id, session_id in makeups:
        expected[leader_id].append(by_pk[session_id])
    return {
        leader_id: _derive(modules, expected[leader_id], records[leader_id], by_pk, now)
        for leader_id in ids
    }


def leader_progress(
    leader: Leader, programme: Programme, *, now: dt.datetime | None = None
) -> LeaderProgress:
    """One leader's progress from the rows (pages read the stored one: stored_progress)."""
    return progress_for_leaders([leader], programme, now=now)[leader.pk]


def refresh_standings(
    programme: Programme, leader_ids: Iterable[int] | None = None, *, chunk_size: int = 5000
) -> int:
    """Store each leader's progress (:class:`~programme.models.Standing`) from the rules.

    ``leader_ids`` None means every leader. A fixed number of queries per chunk of
    leaders. Returns how many standings were written.
    """
    ids = sorted(
        set(leader_ids) if leader_ids is not None else Leader.objects.values_list("pk", flat=True)
    )
    with page_versions.batch():  # one version row per leader, whatever the chunks
        if leader_ids is None:  # every leader's page: one row says so
            page_versions.written(Standing, None)
        return _refresh_chunks(programme, ids, chunk_size)


def _refresh_chunks(programme: Programme, ids: list[int], chunk_size: int) -> int:
    written = 0
    # Many chunks share one reading of the sessions (60,000 at a national scale).
    all_sessions = (
        _sessions(Session.objects.filter(module__programme=programme))
        if len(ids) > chunk_size
        else None
    )
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start : start + chunk_size]
        rows = [
            (
                leader_id,
                result.required_done,
                result.completed_at,
                result.behind_from,
                {
                    str(m.module.pk): m.stored()
                    for m in result.modules
                    if m.completed_at or m.expected_until
                },
            )
            for leader_id, result in progress_for_leaders(
                chunk, programme, all_sessions=all_sessions
            ).items()
        ]
        _write_standings(programme, rows)
        written += len(rows)
    return written


# From this many standings at once, COPY is worth its temporary table.
COPY_FROM = 1000


def _write_standings(programme: Programme, rows: list[tuple]) -> None:
    """Insert or update the standings. Many at once on PostgreSQL through COPY into a
    temporary table and one upsert (a national refresh writes hundreds of thousands of
    rows); otherwise through ``bulk_create``."""
    if connection.vendor != "postgresql" or len(rows) < COPY_FROM:
        Standing.objects.bulk_create(
            [
                Standing(
                    leader_id=leader_id,
                    programme=programme,
                    modules_done=done,
                    completed_at=completed_at,
                    behind_from=behind_from,
                    modules=modules,
                )
                for leader_id, done, completed_at, behind_from, modules in rows
            ],
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
        return
    table = Standing._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE standing_load (leader_id bigint, modules_done smallint, "
            "completed_at timestamptz, behind_from timestamptz, modules jsonb) ON COMMIT DROP"
        )
        with cursor.cursor.copy(
            "COPY standing_load (leader_id, modules_done, completed_at, behind_from, modules) "
            "FROM STDIN"
        ) as copy:
            for leader_id, done, completed_at, behind_from, modules in rows:
                copy.write_row((leader_id, done, completed_at, behind_from, json.dumps(modules)))
        cursor.execute(
            f"INSERT INTO {table} (leader_id, programme_id, modules_done, completed_at, "  # noqa: S608
            "behind_from, modules, refreshed_at) SELECT leader_id, %s, modules_done, "
            "completed_at, behind_from, modules, now() FROM standing_load "
            "ON CONFLICT (leader_id, programme_id) DO UPDATE SET "
            "modules_done = EXCLUDED.modules_done, completed_at = EXCLUDED.completed_at, "
            "behind_from = EXCLUDED.behind_from, modules = EXCLUDED.modules, "
            "refreshed_at = EXCLUDED.refreshed_at",
            [programme.pk],
        )
        cursor.execute("DROP TABLE standing_load")
        # COPY and raw SQL go around the QuerySet: their kept pages, said here.
        page_versions.written(Standing, [row[0] for row in rows])


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
