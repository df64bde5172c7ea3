"""What a leader who holds too little could still take before the programme's end date:
the cohorts not started with a free seat, and the make-up sessions with a free seat, by
the one seat rule (``Cohort.with_seats``, ``Session.with_free_seats``). Read once per
forecast (:mod:`reports.forecast`).

Counted by one request at a time (the others asking for the same version wait for its
count), and kept (:class:`~programme.models.ProgrammeTally`, kind ``seats``) under the
versions the writes that change seats replace (a place or a make-up: ``SEATS``; a
reservation, a named seat, a cohort, a session, a module or the programme: ``OTHERS``;
:mod:`programme.page_versions`), not by an attendance sheet, an evaluation or any other
write, until the first of them starts
(then it is no longer open) or midnight (a reservation's release day): two queries while
nothing changed. After a booking, only the places and the make-ups are counted again
(two grouped queries, whatever the number of leaders): the cohorts, the sessions to come
and the reservations (:class:`Plan`) are kept in the cache under the version that only
writes to those rows replace, and the seats are worked out from the counts by the one
seat rule (``seats_taken``, ``free_seats`` beside ``Cohort.with_seats``)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cached_property

from django.core.cache import cache
from django.db.models import Count, Max, Min
from django.utils import timezone

from programme import page_versions, pagecache
from programme.models import (
    Cohort,
    Enrolment,
    MakeUpBooking,
    Programme,
    ProgrammeTally,
    Session,
)
from programme.models.cohorts import free_seats, seats_taken
from programme.models.reservations import open_reserved_by_cohort


def end_of(programme: Programme) -> dt.datetime:
    """The end of the programme's last day, Copenhagen time: the target's 100 %."""
    day = programme.ends_on + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass(frozen=True)
class Chances:
    """What a leader who holds too little could still take before the end date."""

    # Cohorts not started, with a free seat, ending by the end date: (cohort id, free
    # seats, enrolment deadline).
    open_cohorts: list[tuple[int, int, dt.date | None]]
    # Per module: the sessions with a free seat, not started, ending by the end date, as
    # (session id, cohort id).
    makeups: dict[int, list[tuple[int, int]]]
    usual_capacity: int | None
    usual_span: dt.timedelta | None

    @property
    def free_seats(self) -> int:
        return sum(free for _cohort, free, _deadline in self.open_cohorts)

    @property
    def last_day_to_enrol(self) -> dt.date | None:
        """The latest enrolment deadline of the open cohorts (self-service ends then)."""
        deadlines = [deadline for _c, _f, deadline in self.open_cohorts if deadline is not None]
        return max(deadlines, default=None)

    def makeup_for(self, module_id: int, own_cohort: int | None) -> bool:
        """Whether a session of the module with a free seat is in another cohort."""
        cohorts = self._makeup_cohorts.get(module_id)
        return bool(cohorts) and (len(cohorts) > 1 or own_cohort not in cohorts)

    @cached_property
    def _makeup_cohorts(self) -> dict[int, frozenset[int]]:
        return {m: frozenset(c for _s, c in found) for m, found in self.makeups.items()}

    def as_json(self) -> dict:
        return {
            "open": [[c, free, d.isoformat() if d else None] for c, free, d in self.open_cohorts],
            "makeups": [[m, found] for m, found in self.makeups.items()],
            "capacity": self.usual_capacity,
            "span": self.usual_span.total_seconds() if self.usual_span is not None else None,
        }

    @classmethod
    def from_json(cls, data: dict) -> Chances:
        return cls(
            open_cohorts=[
                (c, free, dt.date.fromisoformat(d) if d else None) for c, free, d in data["open"]
            ],
            makeups={m: [tuple(pair) for pair in found] for m, found in data["makeups"]},
            usual_capacity=data["capacity"],
            usual_span=dt.timedelta(seconds=data["span"]) if data["span"] is not None else None,
        )


def chances(programme: Programme, now: dt.datetime) -> Chances:
    """The open cohorts and the make-up seats before the end date: kept (two queries), or
    counted again and kept (three more; six when the plan they are counted over is not
    kept, :func:`_plan`)."""
    current = page_versions.versions([page_versions.SEATS, page_versions.OTHERS])
    # The places and make-ups (SEATS) and the cohorts, sessions and reservations they
    # are counted against (OTHERS): an attendance sheet or an evaluation replaces neither.
    version = f"{current[page_versions.SEATS]}|{current[page_versions.OTHERS]}"
    data = ProgrammeTally.read(programme, ProgrammeTally.Kind.SEATS, version, now)
    if data is not None:
        return Chances.from_json(data)
    return Chances.from_json(_counted(programme, now, version, current[page_versions.OTHERS]))


def _counted(programme: Programme, now: dt.datetime, version: str, plan_version: str) -> dict:
    """Count the chances again and keep them: one request at a time for the same version
    (:func:`programme.pagecache.rebuilding`: after a booking, every page asking for the
    seats would otherwise count them at once), the others taking its count."""
    key = f"tally:seats:{programme.pk}"

    def good(entry: dict) -> bool:
        return entry["version"] == version and entry["counted_at"] <= now < entry["until"]

    with pagecache.rebuilding(key, version, good) as entry:
        if entry is not None:
            return entry["data"]
        found, until = _count(programme, now, plan_version)
        data = found.as_json()
        ProgrammeTally.keep(programme, ProgrammeTally.Kind.SEATS, version, now, until, data)
        seconds = (until - now).total_seconds()
        if seconds >= 1:
            entry = {"version": version, "counted_at": now, "until": until, "data": data}
            cache.set(key, entry, min(int(seconds), pagecache.SHARED_PAGE_SECONDS))
        return data


@dataclass(frozen=True)
class Plan:
    """What the chances are counted over that no booking changes: every cohort's size,
    deadline and span, the sessions not started that end by the end date, and the seats
    held by open reservations. Kept under the version every write to a cohort, a session,
    a module, the programme or a reservation replaces (``OTHERS``)."""

    # (cohort id, seats, enrolment deadline, first start, last end), by first start.
    cohorts: list[tuple[int, int, dt.date | None, dt.datetime | None, dt.datetime | None]]
    # (session id, module id, cohort id), by start; and their starts as POSIX
    # timestamps, beside them (read from the cache after every booking: 4,400 sessions
    # with their datetimes took 3 ms to unpickle, with numbers 1 ms).
    sessions: list[tuple[int, int, int]]
    starts: list[float]
    reserved: dict[int, int]
    # The first moment the plan changes by the clock: a session starts (it is no longer
    # to come), or midnight (a reservation's release day).
    until: dt.datetime


def _plan(programme: Programme, now: dt.datetime, version: str | None) -> Plan:
    """The plan, kept in the cache under ``version`` (read before it): three queries when
    it is not there. ``version`` None: read from the rows, and not kept."""
    key = f"tally:plan:v2:{programme.pk}"  # v2: the sessions without their datetimes
    entry = cache.get(key) if version is not None else None
    if (
        entry is not None
        and entry["version"] == version
        and entry["counted_at"] <= now < entry["plan"].until
    ):
        return entry["plan"]
    end = end_of(programme)
    cohorts = list(
        Cohort.objects.filter(programme=programme)
        .annotate(starts_at=Min("sessions__starts_at"), ends_at=Max("sessions__ends_at"))
        .order_by("starts_at", "pk")
        .values_list("pk", "capacity", "enrolment_deadline", "starts_at", "ends_at")
    )
    rows = list(
        Session.objects.filter(
            module__programme=programme,
            cohort__programme=programme,  # as Session.clean() holds them
            starts_at__gt=now,
            ends_at__lte=end,
        )
        .order_by("starts_at", "pk")
        .values_list("pk", "module_id", "cohort_id", "starts_at")
    )
    reserved = open_reserved_by_cohort(Cohort.objects.filter(programme=programme), now)
    until = pagecache.next_change(
        [first for _pk, _size, _deadline, first, _last in cohorts]
        + [starts_at for *_rest, starts_at in rows[:1]],
        now,
    )
    plan = Plan(
        cohorts=cohorts,
        sessions=[(pk, module_id, cohort_id) for pk, module_id, cohort_id, _start in rows],
        starts=[starts_at.timestamp() for *_rest, starts_at in rows],
        reserved=reserved,
        until=until,
    )
    seconds = (until - now).total_seconds()
    if seconds >= 1 and version is not None:
        entry = {"version": version, "counted_at": now, "plan": plan}
        cache.set(key, entry, min(int(seconds), pagecache.SHARED_PAGE_SECONDS))
    return plan


def _count(
    programme: Programme, now: dt.datetime, plan_version: str | None = None
) -> tuple[Chances, dt.datetime]:
    """The chances (two queries over the plan kept under ``plan_version``, :func:`_plan`;
    without it, all from the rows), and until when they hold by the clock alone. The
    seats by the one seat rule, over the places and make-ups counted per cohort and per
    session (``seats_taken``, ``free_seats``)."""
    plan = _plan(programme, now, plan_version)
    end = end_of(programme)
    # By the programme each place carries (its cohort's, which a cohort keeps), not a
    # join to the cohorts: one pass over the places, 10-13 ms at 24,600 places during
    # bookings rather than 15. (An index of the enrolled places did not help: bookings
    # leave most of the table's pages not known to be visible, so counting from the
    # index fetched 22,224 of 24,822 rows from the table anyway.)
    enrolled = Counter(
        dict(
            Enrolment.objects.filter(programme=programme, status=Enrolment.Status.ENROLLED)
            .order_by()
            .values_list("cohort")
            .annotate(n=Count("*"))
        )
    )
    # Only the sessions to come: an open cohort's sessions are all still to come.
    guests = Counter(
        dict(
            MakeUpBooking.objects.filter(
                session__cohort__programme=programme, session__starts_at__gt=now
            )
            .order_by()
            .values_list("session")
            .annotate(n=Count("*"))
        )
    )
    reserved = Counter(plan.reserved)
    # The most make-up guests at any one of a cohort's sessions: only the sessions with
    # guests can raise it (most have none).
    most_guests: Counter = Counter()
    if guests:
        cohort_of = {pk: cohort_id for pk, _module_id, cohort_id in plan.sessions}
        for pk, n in guests.items():
            cohort_id = cohort_of.get(pk)
            if cohort_id is not None and n > most_guests[cohort_id]:
                most_guests[cohort_id] = n
    open_cohorts = []
    for pk, size, deadline, first, last in plan.cohorts:
        if first is not None and first > now:
            taken = seats_taken(enrolled[pk], most_guests[pk], reserved[pk])
            if last <= end and size > taken:
                open_cohorts.append((pk, size - taken, deadline))
    # Each session's free seats, by the one rule, over its cohort's counts (looked up
    # once per cohort, not once per session) and its own guests.
    counts = {pk: (size, enrolled[pk], reserved[pk]) for pk, size, *_rest in plan.cohorts}
    makeups: dict[int, list[tuple[int, int]]] = defaultdict(list)
    first_makeup = None
    for (pk, module_id, cohort_id), start in zip(plan.sessions, plan.starts, strict=True):
        seats, places, held = counts[cohort_id]
        if free_seats(seats, places, guests.get(pk, 0), held) > 0:
            makeups[module_id].append((pk, cohort_id))
            if first_makeup is None:  # the sessions are by start
                first_makeup = dt.datetime.fromtimestamp(start, dt.UTC)
    # By the clock alone, the chances change when a cohort or a make-up session starts
    # (it is no longer open), or at midnight (a reservation's release day).
    until = pagecache.next_change(
        [first for _pk, _size, _deadline, first, _last in plan.cohorts] + [first_makeup], now
    )
    capacities = Counter(size for _pk, size, _deadline, _first, _last in plan.cohorts)
    spans = [last - first for _pk, _size, _deadline, first, last in plan.cohorts if first and last]
    return Chances(
        open_cohorts=open_cohorts,
        makeups=dict(makeups),
        # The most common size (the larger on a tie); the median span.
        usual_capacity=max(capacities, key=lambda n: (capacities[n], n)) if capacities else None,
        usual_span=statistics.median_low(spans) if spans else None,
    ), until
