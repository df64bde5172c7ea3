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

The parts: :mod:`.states` (working days, registration due, missed, a module's state at a
moment) and :mod:`.rules` (the rules applied to the rows: :func:`progress_for_leaders`).
This module keeps the stored standings (:func:`refresh_standings`, and reading them for
the pages); callers use ``programme.progress.<name>``, never a part directly.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
from collections.abc import Iterable

from django.db import connection, transaction
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

from programme import clock, page_versions
from programme.models import (
    Attendance,
    Enrolment,
    Leader,
    MakeUpBooking,
    Module,
    Programme,
    Session,
    Standing,
)
from programme.progress.rules import (
    LeaderProgress,
    ModuleProgress,
    _moment,
    _sessions,
    leader_progress,
    progress_for_leaders,
    standings_for_leaders,
)
from programme.progress.states import (
    ModuleState,
    closed_days_in_words,
    missed_from,
    module_state,
    own_cohort_state,
    registration_due,
)


def refresh_standings(
    programme: Programme, leader_ids: Iterable[int] | None = None, *, chunk_size: int = 5000
) -> int:
    """Store each leader's progress (:class:`~programme.models.Standing`) from the rules.

    ``leader_ids`` None means every leader. A fixed number of queries per chunk of
    leaders. Returns how many standings were refreshed: each is right afterwards, and one
    that was right already is left as it is.
    """
    ids = sorted(
        set(leader_ids) if leader_ids is not None else Leader.objects.values_list("pk", flat=True)
    )
    # Many leaders: their results, kept for the whole run, are hundreds of thousands of
    # objects that the cyclic collector would walk again and again (it took a third of
    # the rules' time at 300,000); they hold no cycles, reference counting frees them.
    paused = len(ids) > chunk_size and gc.isenabled()
    with page_versions.batch():  # one version row per leader, whatever the chunks
        if paused:
            gc.disable()
        try:
            refreshed, changed = _refresh_chunks(programme, ids, chunk_size)
        finally:
            if paused:
                gc.enable()
        # Only the pages of standings that changed (none: no page); past a few hundred
        # leaders, every page (one row says so, not a row per leader).
        if changed:
            many = len(changed) > page_versions.DEPARTMENTS_FROM
            page_versions.written(Standing, None if many else changed)
        return refreshed


def _refresh_chunks(programme: Programme, ids: list[int], chunk_size: int) -> tuple[int, list[int]]:
    """Makes every standing of ``ids`` right, chunk by chunk: how many, and whose changed."""
    refreshed, changed = 0, []
    # Many chunks share one reading of the sessions (60,000 at a national scale).
    all_sessions = (
        _sessions(Session.objects.filter(module__programme=programme))
        if len(ids) > chunk_size
        else None
    )
    # Leaders with alike rows share one result, in every chunk (a cohort's leaders are
    # in many): its stored values, and their signature, are made once too.
    derived: dict[tuple, LeaderProgress] = {}
    values: dict[int, tuple[tuple, str]] = {}
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start : start + chunk_size]
        # Many at once on PostgreSQL: what is stored already is read first, and only the
        # standings that differ are sent (a nightly refresh changes a few).
        kept = _signatures(programme, chunk) if _in_bulk(chunk) else {}
        rows = []
        for leader_id, result in standings_for_leaders(
            chunk, programme, all_sessions=all_sessions, derived=derived
        ):
            made = values.get(id(result))
            if made is None:
                stored = _stored(result)
                made = values[id(result)] = (stored, _signature(stored))
            if kept.get(leader_id) != made[1]:
                rows.append((leader_id, *made[0]))
        if rows:
            changed += _write_standings(programme, rows)
        refreshed += len(chunk)
    return refreshed, changed


def _in_bulk(rows: list) -> bool:
    return connection.vendor == "postgresql" and len(rows) >= COPY_FROM


def _signatures(programme: Programme, ids: list[int]) -> dict[int, str]:
    """The sorted ``ids``' stored standings, each as the text :func:`_signature` gives
    for the same values (PostgreSQL)."""
    table = Standing._meta.db_table
    moments = ", ".join(
        f"coalesce((extract(epoch from {c}) * 1000000)::bigint::text, '')"
        for c in ("completed_at", "behind_from", *HOLDING[1:])
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT leader_id, concat_ws('|', modules_done, coalesce(seated_in_id::text, ''), "  # noqa: S608
            f"{moments}, modules::text) FROM {table} "
            "WHERE programme_id = %s AND leader_id BETWEEN %s AND %s",
            [programme.pk, ids[0], ids[-1]],
        )
        return dict(cursor.fetchall())


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def _signature(stored: tuple) -> str:
    """A standing's stored values as one text, equal to what :func:`_signatures` reads
    back for the same values: whole microseconds, and the modules as PostgreSQL writes
    ``jsonb`` (keys shortest first, then in order). Texts that differ only cost a write
    (the upsert leaves alike rows alone); equal texts mean equal values."""
    done, completed_at, behind_from, modules, seated_in, *holding = stored
    moments = [
        "" if moment is None else str((moment - _EPOCH) // _MICROSECOND)
        for moment in (completed_at, behind_from, *holding)
    ]
    ordered = {key: modules[key] for key in sorted(modules, key=lambda key: (len(key), key))}
    seat = "" if seated_in is None else str(seated_in)
    return "|".join([str(done), seat, *moments, json.dumps(ordered)])


def _stored(result: LeaderProgress) -> tuple:
    """What a standing keeps of a leader's progress, in the order of the columns."""
    return (
        result.required_done,
        result.completed_at,
        result.behind_from,
        {
            str(m.module.pk): m.stored()
            for m in result.modules
            if m.completed_at or m.expected_until
        },
        result.seated_in,
        result.booked_until,
        result.held_last,
        result.held_until,
    )


# What the standing keeps of what a leader holds, for the forecast: their seat's cohort
# and the clock-free moments (LeaderProgress.seated_in, booked_until and the two after).
HOLDING = ("seated_in_id", "booked_until", "held_last", "held_until")

# From this many standings at once, COPY is worth its temporary table.
COPY_FROM = 1000


def _write_standings(programme: Programme, rows: list[tuple]) -> list[int]:
    """Insert or update the standings; returns the leaders whose standing changed (or
    may have: every row written through ``bulk_create``). Many at once on PostgreSQL
    through COPY into a temporary table and one upsert that leaves alike rows as they
    are (a nightly refresh of hundreds of thousands changes a few); otherwise through
    ``bulk_create``. The caller says which kept pages changed."""
    if not _in_bulk(rows):
        Standing.objects.bulk_create(
            [
                Standing(
                    leader_id=leader_id,
                    programme=programme,
                    modules_done=done,
                    completed_at=completed_at,
                    behind_from=behind_from,
                    modules=modules,
                    seated_in_id=seated_in,
                    booked_until=booked_until,
                    held_last=held_last,
                    held_until=held_until,
                )
                for (
                    leader_id,
                    done,
                    completed_at,
                    behind_from,
                    modules,
                    seated_in,
                    booked_until,
                    held_last,
                    held_until,
                ) in rows
            ],
            update_conflicts=True,
            unique_fields=["leader", "programme"],
            update_fields=[
                "modules_done",
                "completed_at",
                "behind_from",
                "modules",
                *HOLDING,
                "refreshed_at",
            ],
        )
        return [row[0] for row in rows]
    table = Standing._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE standing_load (leader_id bigint, modules_done smallint, "
            "completed_at timestamptz, behind_from timestamptz, modules jsonb, "
            "seated_in_id bigint, booked_until timestamptz, held_last timestamptz, "
            "held_until timestamptz) ON COMMIT DROP"
        )
        columns = "modules_done, completed_at, behind_from, modules, " + ", ".join(HOLDING)
        # Leaders with alike rows share one modules dict: written as JSON once.
        texts: dict[int, str] = {}
        with cursor.cursor.copy(f"COPY standing_load (leader_id, {columns}) FROM STDIN") as copy:
            for leader_id, done, completed_at, behind_from, modules, *holding in rows:
                text = texts.get(id(modules))
                if text is None:
                    text = texts[id(modules)] = json.dumps(modules)
                copy.write_row((leader_id, done, completed_at, behind_from, text, *holding))
        names = columns.split(", ")
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in names)
        kept = ", ".join(f"{table}.{c}" for c in names)
        new = ", ".join(f"EXCLUDED.{c}" for c in names)
        # A row alike in every column is left as it is: no new row version, its
        # refreshed_at (the API's updated_at) unmoved, its leader's kept pages kept.
        cursor.execute(
            f"INSERT INTO {table} (leader_id, programme_id, {columns}, refreshed_at) "  # noqa: S608
            f"SELECT leader_id, %s, {columns}, now() FROM standing_load "
            f"ON CONFLICT (leader_id, programme_id) DO UPDATE SET {updates}, "
            f"refreshed_at = EXCLUDED.refreshed_at WHERE ({kept}) IS DISTINCT FROM ({new}) "
            "RETURNING leader_id",
            [programme.pk],
        )
        changed = [leader_id for (leader_id,) in cursor.fetchall()]
        cursor.execute("DROP TABLE standing_load")
    return changed


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


def annotate_holding(leaders: QuerySet[Leader], now: dt.datetime) -> QuerySet[Leader]:
    """Add ``holds_all`` (every required module completed or *held* at ``now``: upcoming or
    awaiting, by :func:`module_state`) and ``held_last`` (when the last session held of a
    module not completed ends), from the standings' clock-free moments. After
    :func:`annotate_progress`."""
    held = Q(standing__booked_until__isnull=False) & (
        Q(standing__held_until__isnull=True) | Q(standing__held_until__gt=now)
    )
    return leaders.annotate(
        holds_all=Case(
            When(standing__completed_at__isnull=False, then=Value(True)),
            When(held, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        held_last=F("standing__held_last"),
    )


__all__ = [
    "Attendance",
    "Enrolment",
    "MakeUpBooking",
    "ModuleProgress",
    "LeaderProgress",
    "progress_for_leaders",
    "leader_progress",
    "ModuleState",
    "closed_days_in_words",
    "registration_due",
    "missed_from",
    "own_cohort_state",
    "module_state",
    "refresh_standings",
    "COPY_FROM",
    "progress_from_stored",
    "stored_progress",
    "annotate_progress",
    "annotate_holding",
]
