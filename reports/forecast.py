"""Toward the end date: will every leader make it?

The programme owner's first question, answered for the municipality, an area, a
department or a manager's scope, from the same stored standings and the same progress
rules as every other page (:func:`programme.progress.module_state`), never a copy:

- **Each leader's outlook** (:class:`Outlook`), exactly one of

  - *completed*: every required module is completed;
  - *on course*: every required module is completed or *held*: the leader is expected at
    a session of it still to come, or at one that has ended and waits for its attendance
    to be recorded (``upcoming`` or ``awaiting``) - and the last of them ends by the
    programme's end date (``Programme.ends_on``);
  - *at risk*: not on course, but they can still finish: with no place (or only on a
    waitlist), a cohort that has not started, has a free seat and ends by the end date
    exists; with a place, each module they miss has a make-up session with a free seat
    (in another cohort) that ends by the end date. They hold none of it yet;
  - *can no longer finish*: neither; each with the reason and what would help (enrol
    them by hand, open a make-up session).

- **Completion over time**: per week, from the week of the programme's first session to
  the week of the end date, the modules completed and the leaders completed: the
  *actual* line (recorded attendance, up to this week), the *booked* line (if everyone
  attends what they hold now: a held module completes when its last held session ends;
  from this week on) and the *target* (a straight line to 100 % at the end date).

- **Seats against demand**: the leaders still without a place against the free seats in
  cohorts that have not started and end by the end date (seats are the municipality's,
  whoever's scope is asked), the last day to enrol in one of them, and, when demand is
  larger, how many more cohorts of the usual size are needed and by when the first
  session of each must be, given how long the usual cohort runs.

The leaders counted are those still in the municipality today
(:meth:`programme.models.Leader.here_on`), as in the reports. A fixed number of queries,
whatever the number of leaders. The counts and the weekly series come from the kept
counts per department (:mod:`reports.tallies`: what each department's leaders need,
decided by :mod:`reports.outlooks`' rules when a department is counted, and against the
kept seats, :mod:`reports.chances`, when a page asks). The standing keeps the seat and,
clock-free, what a leader holds (``Standing.booked_until``, ``held_last``,
``held_until``), so that the lists read only the leaders neither completed nor on course.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import math
from collections import Counter
from dataclasses import dataclass, field

from django.db import connections, transaction
from django.db.models import Case, F, Max, Min, Q, TextField, When
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext

from programme.models import Department, Enrolment, Programme, Session
from programme.progress import annotate_holding
from reports import tallies
from reports.chances import Chances, chances, end_of
from reports.outlooks import Outlook, module_states, outlook_of
from reports.rules import Filters, Scope, report_leaders

__all__ = ["Forecast", "Outlook", "SeatGap", "Stranded", "Week", "forecast", "summary"]


@dataclass
class Stranded:
    """A leader who can no longer finish, or is at risk: why, and what would help."""

    pk: int
    name: str
    department: str
    outlook: str
    reason: str
    # "enrol": a place in an open cohort; "makeup": a make-up session of ``module``.
    action: str
    module_id: int | None = None
    module_title: str = ""
    # The page's link for the action (reports.forecast_views), when there is one.
    url: str = ""


@dataclass
class Week:
    starts: dt.date
    actual_modules: int | None
    actual_leaders: int | None
    booked_modules: int | None
    booked_leaders: int | None
    target_modules: int
    target_leaders: int


@dataclass
class SeatGap:
    without_place: int
    by_area: list[tuple[str, int]]
    free_seats: int
    last_day_to_enrol: dt.date | None
    extra_cohorts: int
    usual_capacity: int | None
    # The latest day the first session of each extra cohort may be, to end in time.
    first_session_by: dt.date | None
    today: dt.date

    @property
    def short(self) -> int:
        return max(0, self.without_place - self.free_seats)

    @property
    def too_late(self) -> bool:
        return self.first_session_by is not None and self.first_session_by < self.today


@dataclass(frozen=True)
class ListPage:
    """Which leaders of a list a page shows: the ``number``-th ``size`` of ``total``."""

    number: int
    size: int
    total: int

    @property
    def first(self) -> int:
        return (self.number - 1) * self.size + 1

    @property
    def last(self) -> int:
        return min(self.total, self.number * self.size)

    @property
    def count(self) -> int:
        return max(1, math.ceil(self.total / self.size)) if self.size else 1

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.count


# Leaders per page of each list.
LIST_SIZE = 50


@dataclass
class Forecast:
    programme: Programme
    end: dt.datetime
    now: dt.datetime
    leaders: int
    modules_required: int
    counts: dict[str, int]
    weeks: list[Week]
    seats: SeatGap
    cannot_finish: list[Stranded] = field(default_factory=list)
    at_risk: list[Stranded] = field(default_factory=list)
    # The page of each list shown (from 1), of ``listed`` leaders each.
    listed: int = 0
    cannot_page: int = 1
    risk_page: int = 1

    @property
    def cannot_pages(self) -> ListPage:
        return ListPage(self.cannot_page, self.listed, self.counts[Outlook.CANNOT_FINISH])

    @property
    def risk_pages(self) -> ListPage:
        return ListPage(self.risk_page, self.listed, self.counts[Outlook.AT_RISK])

    @property
    def outlooks(self) -> list[tuple[str, str, int]]:
        return [(key, Outlook.LABELS[key], self.counts[key]) for key in Outlook.ORDER]

    @property
    def current_week(self) -> Week | None:
        today = timezone.localdate(self.now)
        return next((w for w in reversed(self.weeks) if w.starts <= today), None)


def _epoch(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def forecast(
    scope: Scope,
    programme: Programme,
    now: dt.datetime,
    *,
    unit: Department | None = None,
    department: Department | None = None,
    listed: int = LIST_SIZE,
    series: bool = True,
    counted: tallies.Kept | None = None,
    pages: tuple[int, int] = (1, 1),
) -> Forecast:
    """The forecast for the leaders of ``scope`` (HR: the municipality, or one ``unit``
    or ``department``). ``listed``: this many leaders on a page of each list, ``pages``
    the page of each (the counts are over all); ``series``: the weekly series too;
    ``counted``: the kept counts of the same departments, when the caller has them. A
    fixed number of queries: the pages' summaries ask for the counts only.

    The counts and the series are the kept counts' (:func:`reports.tallies.for_scope`).
    The lists read only the leaders neither completed nor on course
    (:func:`annotate_holding`), by name, each decided once per seat and stored moments by
    the progress rules (:func:`module_states`, :func:`outlook_of`), until both pages are
    full."""
    end = end_of(programme)
    modules = list(programme.modules.order_by("order"))
    required = [(m.pk, str(m.pk)) for m in modules if m.required]
    titles = {m.pk: m.title for m in modules}
    found = chances(programme, now)
    if counted is None or series:
        counted = tallies.for_scope(
            programme, scope, now, unit=unit, department=department, moments=series
        )
    needs = counted.needs
    counts = tallies.outlook_counts(needs, found)
    without_place = counted.unseated
    now_s, end_s = _epoch(now), _epoch(end)
    decided: dict[tuple, tuple] = {}

    def decide(seat: int | None, stored: str | None) -> tuple:
        """The outlook, its module, and the states of a seat and stored moments."""
        if (seat, stored) not in decided:
            states = module_states(required, json.loads(stored) if stored else {}, now_s)
            decided[seat, stored] = (
                *outlook_of(states, seat is not None, seat, found, end_s),
                states,
            )
        return decided[seat, stored]

    cannot, risky = [], []
    # A page past the last shows the last.
    cannot_page, risk_page = (
        max(1, min(page, ListPage(1, listed, counts[key]).count))
        for page, key in zip(pages, (Outlook.CANNOT_FINISH, Outlook.AT_RISK), strict=True)
    )
    if listed:
        leaders = report_leaders(
            scope, Filters(programme=programme, unit=unit, department=department, now=now)
        ).annotate(
            seat=F("standing__seated_in"),
            stored=Cast("standing__modules", TextField()),
        )
        cannot, risky = _stranded_lists(
            leaders,
            programme,
            now,
            end,
            (listed, (cannot_page - 1) * listed, (risk_page - 1) * listed),
            counts,
            decide,
            titles,
            found,
        )
    weeks = series and _weeks(
        programme, now, end, needs.total, len(required), *(sorted(c.items()) for c in needs.moments)
    )
    seats = _seat_gap(without_place, found, end, timezone.localdate(now))
    return Forecast(
        programme=programme,
        end=end,
        now=now,
        leaders=needs.total,
        modules_required=len(required),
        counts=counts,
        weeks=weeks or [],
        seats=seats,
        cannot_finish=cannot,
        at_risk=risky,
        listed=listed,
        cannot_page=cannot_page,
        risk_page=risk_page,
    )


Moments = list[tuple[int, int]]  # (Unix seconds, how many), sorted


def _stranded_lists(
    leaders, programme, now, end, window, counts, decide, titles, found
) -> tuple[list[Stranded], list[Stranded]]:
    """A page of the leaders by name who can no longer finish, and of those at risk
    (``window``: how many, and how many of each to pass over first): read from those
    neither completed nor on course, until both pages are full or hold all that
    ``counts`` (the outlooks' counts the page shows) has of each. Whether one without a
    seat is on a waitlist is read afterwards, for those listed only."""
    listed, cannot_skip, risky_skip = window
    on_course = Q(holds_all=True, held_last__lte=end)
    rest = (
        annotate_holding(leaders, now)
        .annotate(rest=Case(When(on_course, then=False), default=True))
        .filter(completed_at__isnull=True, rest=True)
        .order_by("name", "pk")
        .values_list("pk", "name", "department__name", "seat", "stored")
    )
    skip = {Outlook.CANNOT_FINISH: cannot_skip, Outlook.AT_RISK: risky_skip}
    # Where a page cannot fill (few or none of an outlook), the reading stops once it has
    # seen as many as the counts hold: it would otherwise read every leader looking for
    # ones the counts say are not there.
    wanted = {key: min(skip[key] + listed, counts[key]) for key in skip}
    # In a transaction PostgreSQL's cursor streams (in autocommit it would hold every
    # row first), and planned for its first rows (the portal plans cursors for reading
    # every row, settings.py) the leaders come by name from the index: the reading stops
    # when both pages are full, after a few hundred leaders rather than every one.
    with transaction.atomic(using=rest.db):
        if connections[rest.db].vendor == "postgresql":
            with connections[rest.db].cursor() as cursor:
                cursor.execute("SET LOCAL cursor_tuple_fraction = 0.1")
        chosen = _pages_of(rest.iterator(chunk_size=200), decide, skip, wanted)
    waiting = set(
        Enrolment.objects.filter(
            leader__in=[pk for pk, _n, _d, _o, seat, _m in chosen if seat is None],
            programme=programme,
            status=Enrolment.Status.WAITLISTED,
        ).values_list("leader_id", flat=True)
    )
    cannot: list[Stranded] = []
    risky: list[Stranded] = []
    for pk, name, dept, outlook, seat, module_id in chosen:
        status = Enrolment.Status.WAITLISTED if pk in waiting else None
        target = cannot if outlook == Outlook.CANNOT_FINISH else risky
        target.append(
            _stranded(pk, name, dept, outlook, seat is not None, status, module_id, titles, found)
        )
    return cannot, risky


def _pages_of(rows, decide, skip: dict[str, int], wanted: dict[str, int]) -> list[tuple]:
    """From leaders' rows by name (pk, name, department, seat, stored moments), those on
    the page of each outlook: ``skip[outlook]`` passed over, then the rest up to
    ``wanted[outlook]`` counted from the first. Reads no further than the row that
    completes the last of them."""
    chosen: list[tuple] = []
    seen = dict.fromkeys(skip, 0)

    def complete() -> bool:
        return all(seen[key] >= wanted[key] for key in seen)

    if complete():
        return chosen
    for pk, name, dept, seat, stored in rows:
        outlook, module_id, _states = decide(seat, stored)
        if outlook not in seen or seen[outlook] >= wanted[outlook]:
            continue
        seen[outlook] += 1
        if seen[outlook] > skip[outlook]:
            chosen.append((pk, name, dept, outlook, seat, module_id))
        if complete():
            break
    return chosen


def summary(
    scope: Scope,
    programme: Programme,
    now: dt.datetime,
    *,
    unit: Department | None = None,
    department: Department | None = None,
    counted: tallies.Kept | None = None,
) -> Forecast:
    """The outlooks' counts only, for the summaries on HR's start page, the reports,
    *Mit team* and the outcome view. ``counted``: the kept counts of the same
    departments, when the page has read them already."""
    return forecast(
        scope,
        programme,
        now,
        unit=unit,
        department=department,
        listed=0,
        series=False,
        counted=counted,
    )


def _stranded(pk, name, dept, outlook, holds, status, module_id, titles, found) -> Stranded:
    title = titles.get(module_id, "")
    if not holds:
        if outlook == Outlook.AT_RISK:
            reason = (
                gettext("On the waitlist; a cohort with a free seat ends in time")
                if status == Enrolment.Status.WAITLISTED
                else gettext("No place yet; a cohort with a free seat ends in time")
            )
        else:
            reason = gettext("No place, and no cohort with a free seat ends by the end date")
        return Stranded(pk, name, dept, outlook, reason, "enrol")
    if outlook == Outlook.AT_RISK:
        reason = gettext("Missed %(module)s; a make-up session has a free seat") % {"module": title}
    else:
        reason = gettext(
            "Missed %(module)s, and no make-up session with a free seat ends by the end date"
        ) % {"module": title}
    return Stranded(pk, name, dept, outlook, reason, "makeup", module_id, title)


def _weeks(
    programme: Programme,
    now: dt.datetime,
    end: dt.datetime,
    leaders: int,
    required: int,
    completions: Moments,
    booked: Moments,
    leaders_done: Moments,
    leaders_booked: Moments,
) -> list[Week]:
    """The weekly series, Monday to Monday, Copenhagen time."""
    first = Session.objects.filter(module__programme=programme).aggregate(
        first=Min("starts_at"), last=Max("ends_at")
    )["first"]
    if first is None:
        return []
    start_day = timezone.localdate(first)
    monday = start_day - dt.timedelta(days=start_day.weekday())
    start_s = _epoch(timezone.make_aware(dt.datetime.combine(monday, dt.time.min)))
    end_s = _epoch(end)
    today = timezone.localdate(now)
    this_monday = today - dt.timedelta(days=today.weekday())
    weeks = []
    day = monday
    last_day = timezone.localdate(end - dt.timedelta(seconds=1))
    sorted_lists = [_running(x) for x in (completions, booked, leaders_done, leaders_booked)]
    while day <= last_day:
        following = _epoch(
            timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=7), dt.time.min))
        )
        cut = min(following, end_s)
        share = max(0.0, min(1.0, (cut - start_s) / (end_s - start_s)))
        done_m, booked_m, done_l, booked_l = (_count_before(x, cut) for x in sorted_lists)
        past = day <= this_monday
        weeks.append(
            Week(
                starts=day,
                actual_modules=done_m if past else None,
                actual_leaders=done_l if past else None,
                booked_modules=booked_m if day >= this_monday else None,
                booked_leaders=booked_l if day >= this_monday else None,
                target_modules=math.floor(leaders * required * share),
                target_leaders=math.floor(leaders * share),
            )
        )
        day += dt.timedelta(days=7)
    return weeks


def _running(moments: Moments) -> tuple[list[int], list[int]]:
    """The moments and how many there are up to and including each."""
    total, running = 0, []
    for _moment, n in moments:
        total += n
        running.append(total)
    return [m for m, _n in moments], running


def _count_before(moments: tuple[list[int], list[int]], cut: int) -> int:
    index = bisect.bisect_left(moments[0], cut)
    return moments[1][index - 1] if index else 0


def _seat_gap(without_place: Counter, found: Chances, end: dt.datetime, today: dt.date) -> SeatGap:
    demand = sum(without_place.values())
    free = found.free_seats
    extra = 0
    by = None
    if demand > free and found.usual_capacity:
        extra = math.ceil((demand - free) / found.usual_capacity)
        if found.usual_span is not None:
            by = timezone.localdate(end - found.usual_span - dt.timedelta(seconds=1))
    return SeatGap(
        without_place=demand,
        by_area=sorted(without_place.items()),
        free_seats=free,
        last_day_to_enrol=found.last_day_to_enrol,
        extra_cohorts=extra,
        usual_capacity=found.usual_capacity,
        first_session_by=by,
        today=today,
    )
