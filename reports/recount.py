"""Counting departments again for the kept counts (:mod:`reports.tallies`): the same
queries as the live reports (:func:`reports.rules.department_summary` over
:func:`reports.rules.report_leaders`) and the same outlook rules as the forecast
(:mod:`reports.outlooks`), each department's :class:`Needs` and counts written to its
:class:`~programme.models.DepartmentTally` with the version they were counted under and
until when the clock alone leaves them right.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections import Counter
from dataclasses import dataclass, field

from django.db import router, transaction
from django.db.models import Count, F, TextField
from django.db.models.functions import Cast

from programme import pagecache
from programme.models import Department, DepartmentTally, Programme, TallyNeed
from reports.chances import end_of
from reports.outlooks import Outlook, add_moments, module_states, need_of
from reports.rules import DepartmentRow, Filters, Scope, department_summary, report_leaders

COUNTS = ("leaders", "enrolled", "waitlisted", "completed", "behind")


@dataclass
class Needs:
    """What a group of leaders needs toward the end date, before the seats are known."""

    total: int = 0
    completed: int = 0
    on_course: int = 0
    # Without a place (none, or only on a waitlist), and not completed.
    unseated: int = 0
    # Without a place and needing one: how many.
    place: int = 0
    # Seated, missing modules: (own cohort, missing module ids) -> how many.
    makeups: Counter = field(default_factory=Counter)
    # The weekly series' moments (reports.outlooks.add_moments).
    moments: list[Counter] = field(default_factory=lambda: [Counter() for _ in range(4)])


def version_of(current: dict, every: str, pk: int) -> str:
    """A department's kept counts' version: its own and every department's."""
    return f"{current.get(pk, '0')}|{every}"


def count(
    programme: Programme, ids: list[int], now: dt.datetime, current: dict, every: str
) -> tuple[dict[int, dict], dict[int, Needs]]:
    """Count these departments' leaders again (two queries) and keep them, the parts with
    their rows, in one transaction that holds the rows (four): two pages counting the
    same department one after the other each leave a whole count. Returns each one's
    row as written (with its new ``revision``) and its :class:`Needs`."""
    scope = Scope(departments=Department.objects.filter(pk__in=ids), is_hr=True)
    leaders = report_leaders(scope, Filters(programme=programme, now=now))
    rows, _total = department_summary(leaders)
    by_department = {row.pk: row for row in rows}
    needs, until = _needs_by_department(programme, leaders, now)
    # Who is still in the municipality is decided by the day: a count lasts the day.
    midnight = pagecache.next_change([], now)
    tallies = {}
    for pk in ids:
        row = by_department.get(pk) or DepartmentRow(pk=pk, name="", code="")
        need = needs.get(pk) or Needs()
        tallies[pk] = {
            "department_id": pk,
            "version": version_of(current, every, pk),
            "counted_at": now,
            "valid_until": min(until.get(pk, midnight), midnight),
            **{name: getattr(row, name) for name in COUNTS},
            "outlook_completed": need.completed,
            "on_course": need.on_course,
            "unseated": need.unseated,
            "need_place": need.place,
            "moments": [[[m, n] for m, n in counter.items()] for counter in need.moments],
            "revision": secrets.randbelow(2**62),
        }
    using = router.db_for_write(DepartmentTally)
    with transaction.atomic(using=using):
        DepartmentTally.objects.using(using).bulk_create(
            [DepartmentTally(programme=programme, **tallies[pk]) for pk in sorted(tallies)],
            update_conflicts=True,
            unique_fields=["programme", "department"],
            update_fields=[f for f in tallies[ids[0]] if f != "department_id"],
        )
        # The upsert holds the rows until this commits: another page counting the same
        # departments waits at its own upsert, then replaces the whole.
        by_pk = dict(
            DepartmentTally.objects.using(using)
            .filter(programme=programme, department__in=ids)
            .order_by("department_id")
            .values_list("department_id", "pk")
        )
        TallyNeed.objects.using(using).filter(tally__in=by_pk.values()).delete()
        TallyNeed.objects.using(using).bulk_create(
            TallyNeed(
                tally_id=by_pk[pk],
                own_cohort=own,
                missing=",".join(str(m) for m in missing),
                leaders=n,
            )
            for pk, need in needs.items()
            for (own, missing), n in need.makeups.items()
        )
    return tallies, needs


def _needs_by_department(programme: Programme, leaders, now: dt.datetime):
    """Each department's :class:`Needs`, and the first moment after ``now`` at which the
    clock alone changes one of its counts (a module's state, a leader falling behind)."""
    required = [(m.pk, str(m.pk)) for m in programme.modules.filter(required=True)]
    end_s, now_s = int(end_of(programme).timestamp()), int(now.timestamp())
    groups = (
        leaders.annotate(
            seat=F("standing__seated_in"),
            stored=Cast("standing__modules", TextField()),
            behind_from=F("standing__behind_from"),
        )
        .values("department", "seat", "stored", "behind_from")
        .annotate(n=Count("pk"))
        .order_by()
    )
    needs: dict[int, Needs] = {}
    until: dict[int, dt.datetime] = {}
    decided: dict[tuple, tuple] = {}
    for group in groups:
        seat, stored, n = group["seat"], group["stored"], group["n"]
        key = (seat, stored)
        if key not in decided:
            moments = json.loads(stored) if stored else {}
            states = module_states(required, moments, now_s)
            upcoming = [s for m in moments.values() for s in m if s is not None and s > now_s]
            decided[key] = (*need_of(states, end_s), states, min(upcoming, default=None))
        settled, missing, states, next_s = decided[key]
        department = group["department"]
        found = needs.setdefault(department, Needs())
        found.total += n
        if settled == Outlook.COMPLETED:
            found.completed += n
        elif settled == Outlook.ON_COURSE:
            found.on_course += n
        elif seat is None:
            found.place += n
        else:
            found.makeups[seat, tuple(sorted(missing))] += n
        if seat is None and settled != Outlook.COMPLETED:
            found.unseated += n
        add_moments(found.moments, states, n)
        behind_from = group["behind_from"]
        for moment in (
            dt.datetime.fromtimestamp(next_s, tz=dt.UTC) if next_s is not None else None,
            behind_from if behind_from is not None and behind_from > now else None,
        ):
            if moment is not None and (department not in until or moment < until[department]):
                until[department] = moment
    return needs, until
