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
whatever the number of leaders. The rules run once per group of leaders with the same
seat and the same stored moments (leaders of one cohort who attended alike), not once
per leader; the standing keeps the seat and, clock-free, what a leader holds
(``Standing.booked_until``, ``held_last``, ``held_until``), so that the lists read only
the leaders neither completed nor on course.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import math
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Case, Count, F, Max, Min, Q, TextField, When
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from programme.models import Department, Enrolment, Programme, Session
from programme.progress import ModuleState, annotate_holding, module_state
from reports.chances import Chances, chances, end_of
from reports.rules import Filters, Scope, report_leaders


class Outlook:
    COMPLETED = "completed"
    ON_COURSE = "on_course"
    AT_RISK = "at_risk"
    CANNOT_FINISH = "cannot_finish"

    ORDER = (COMPLETED, ON_COURSE, AT_RISK, CANNOT_FINISH)
    LABELS = {
        COMPLETED: _("Completed"),
        ON_COURSE: _("On course"),
        AT_RISK: _("At risk"),
        CANNOT_FINISH: _("Can no longer finish"),
    }


# The module states in which a leader holds a session of the module (still to come, or
# over and waiting for its attendance): "if everyone attends what they hold now".
HELD = (ModuleState.UPCOMING, ModuleState.AWAITING)


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

    @property
    def outlooks(self) -> list[tuple[str, str, int]]:
        return [(key, Outlook.LABELS[key], self.counts[key]) for key in Outlook.ORDER]

    @property
    def current_week(self) -> Week | None:
        today = timezone.localdate(self.now)
        return next((w for w in reversed(self.weeks) if w.starts <= today), None)


def _epoch(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def module_states(
    required: list[tuple[int, str]], stored: dict | None, now: int
) -> list[tuple[int, str, int | None, int | None]]:
    """Each required module's (id, state at ``now``, completed at, expected until) from a
    leader's stored per-module moments (epoch seconds), by the progress rules.
    ``required``: the required modules' (id, key in the stored moments)."""
    stored = stored or {}
    states = []
    for module_id, key in required:
        completed_at, expected_until, missed_from = stored.get(key) or (None, None, None)
        state = module_state(completed_at, expected_until, missed_from, now)
        states.append((module_id, state, completed_at, expected_until))
    return states


def outlook_of(
    states: list[tuple[int, str, int | None, int | None]],
    holds_place: bool,
    own_cohort: int | None,
    chances: Chances,
    end: int,
) -> tuple[str, int | None]:
    """One leader's outlook from their required modules' states (:func:`module_states`),
    and the first required module that neither is completed nor held in time (for the
    reason)."""
    done = 0
    missing: list[int] = []
    for module_id, state, _completed_at, expected_until in states:
        if state == ModuleState.COMPLETED:
            done += 1
        elif not (state in HELD and expected_until <= end):
            missing.append(module_id)
    if states and done == len(states):
        return Outlook.COMPLETED, None
    if not missing:
        return Outlook.ON_COURSE, None
    if not holds_place:
        return (Outlook.AT_RISK if chances.open_cohorts else Outlook.CANNOT_FINISH), missing[0]
    lacking = [m for m in missing if not chances.makeup_for(m, own_cohort)]
    if lacking:
        return Outlook.CANNOT_FINISH, lacking[0]
    return Outlook.AT_RISK, missing[0]


def forecast(
    scope: Scope,
    programme: Programme,
    now: dt.datetime,
    *,
    unit: Department | None = None,
    department: Department | None = None,
    listed: int = 200,
    series: bool = True,
) -> Forecast:
    """The forecast for the leaders of ``scope`` (HR: the municipality, or one ``unit``
    or ``department``). ``listed``: at most this many leaders in each list (the counts are
    over all); ``series``: the weekly series too. A fixed number of queries: the pages'
    summaries ask for the counts only.

    Leaders with the same seat and the same stored moments have the same outlook and the
    same moments in the series: the standings are read grouped so (a few thousand groups
    at a national scale, rather than every leader), and each group is decided once by
    the progress rules (:func:`module_states`, :func:`outlook_of`). The lists read only
    the leaders neither completed nor on course (:func:`annotate_holding`), by name,
    until both are full."""
    end = end_of(programme)
    modules = list(programme.modules.order_by("order"))
    required = [(m.pk, str(m.pk)) for m in modules if m.required]
    titles = {m.pk: m.title for m in modules}
    found = chances(programme, now)
    leaders = report_leaders(
        scope, Filters(programme=programme, unit=unit, department=department, now=now)
    ).annotate(
        seat=F("standing__seated_in"),
        stored=Cast("standing__modules", TextField()),
    )
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

    counts = dict.fromkeys(Outlook.ORDER, 0)
    without_place: Counter[str] = Counter()
    moments: list[Counter[int]] = [Counter() for _ in range(4)]
    total = 0
    groups = (
        leaders.annotate(
            area=Case(
                When(
                    standing__seated_in__isnull=True,
                    then=Coalesce("department__parent__name", "department__name"),
                ),
                default=None,
            )
        )
        .values("seat", "stored", "area")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for group in groups:
        n = group["n"]
        outlook, _module, states = decide(group["seat"], group["stored"])
        total += n
        counts[outlook] += n
        if group["seat"] is None and outlook != Outlook.COMPLETED:
            without_place[group["area"]] += n
        if series:
            _add_moments(moments, states, n)
    cannot, risky = (
        _stranded_lists(leaders, now, end, listed, decide, titles, found) if listed else ([], [])
    )
    weeks = series and _weeks(
        programme, now, end, total, len(required), *(sorted(c.items()) for c in moments)
    )
    seats = _seat_gap(without_place, found, end, timezone.localdate(now))
    return Forecast(
        programme=programme,
        end=end,
        now=now,
        leaders=total,
        modules_required=len(required),
        counts=counts,
        weeks=weeks or [],
        seats=seats,
        cannot_finish=cannot,
        at_risk=risky,
    )


Moments = list[tuple[int, int]]  # (Unix seconds, how many), sorted


def _add_moments(moments: list[Counter[int]], states, n: int) -> None:
    """Add ``n`` leaders with these module states to the weekly series' moments: the
    required modules' completions as recorded and as held (if everyone attends what they
    hold now), and the leaders' likewise."""
    completions, booked, leaders_done, leaders_booked = moments
    held = []
    for _id, state, completed_at, expected_until in states:
        if state == ModuleState.COMPLETED:
            completions[completed_at] += n
            held.append(completed_at)
        elif state in HELD:
            held.append(expected_until)
    for moment in held:
        booked[moment] += n
    if states and len(held) == len(states):
        leaders_booked[max(held)] += n
        if all(state == ModuleState.COMPLETED for _id, state, _c, _e in states):
            leaders_done[max(held)] += n


def _stranded_lists(
    leaders, now, end, listed, decide, titles, found
) -> tuple[list[Stranded], list[Stranded]]:
    """The first ``listed`` leaders by name who can no longer finish, and who are at risk:
    read from those neither completed nor on course, until both lists are full."""
    cannot: list[Stranded] = []
    risky: list[Stranded] = []
    on_course = Q(holds_all=True, held_last__lte=end)
    rest = (
        annotate_holding(leaders, now)
        .annotate(rest=Case(When(on_course, then=False), default=True))
        .filter(completed_at__isnull=True, rest=True)
        .order_by("name", "pk")
        .values_list("pk", "name", "department__name", "enrolment_status", "seat", "stored")
    )
    for pk, name, dept, status, seat, stored in rest.iterator(chunk_size=500):
        outlook, module_id, _states = decide(seat, stored)
        target = cannot if outlook == Outlook.CANNOT_FINISH else risky
        if outlook in (Outlook.CANNOT_FINISH, Outlook.AT_RISK) and len(target) < listed:
            holds = seat is not None
            target.append(
                _stranded(pk, name, dept, outlook, holds, status, module_id, titles, found)
            )
        if len(cannot) >= listed and len(risky) >= listed:
            break
    return cannot, risky


def summary(
    scope: Scope,
    programme: Programme,
    now: dt.datetime,
    *,
    unit: Department | None = None,
    department: Department | None = None,
) -> Forecast:
    """The outlooks' counts only, for the summaries on HR's start page, the reports,
    *Mit team* and the outcome view (four queries)."""
    return forecast(scope, programme, now, unit=unit, department=department, listed=0, series=False)


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
