"""What a leader who holds too little could still take before the programme's end date:
the cohorts not started with a free seat, and the make-up sessions with a free seat, by
the one seat rule (``Cohort.with_seats``, ``Session.with_free_seats``). Read once per
forecast (:mod:`reports.forecast`), two queries whatever the number of leaders."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cached_property

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from programme.models import Cohort, Programme, Session


def end_of(programme: Programme) -> dt.datetime:
    """The end of the programme's last day, Copenhagen time: the target's 100 %."""
    day = programme.ends_on + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass(frozen=True)
class Chances:
    """What a leader who holds too little could still take before the end date."""

    # Cohorts not started, with a free seat, ending by the end date: (cohort, free seats).
    open_cohorts: list[tuple[Cohort, int]]
    # Per module: the sessions with a free seat, not started, ending by the end date, as
    # (session id, cohort id).
    makeups: dict[int, list[tuple[int, int]]]
    usual_capacity: int | None
    usual_span: dt.timedelta | None

    @property
    def free_seats(self) -> int:
        return sum(free for _cohort, free in self.open_cohorts)

    @property
    def last_day_to_enrol(self) -> dt.date | None:
        """The latest enrolment deadline of the open cohorts (self-service ends then)."""
        return max((c.enrolment_deadline for c, _free in self.open_cohorts), default=None)

    def makeup_for(self, module_id: int, own_cohort: int | None) -> bool:
        """Whether a session of the module with a free seat is in another cohort."""
        return bool(self._makeup_cohorts.get(module_id, frozenset()) - {own_cohort})

    @cached_property
    def _makeup_cohorts(self) -> dict[int, frozenset[int]]:
        return {m: frozenset(c for _s, c in found) for m, found in self.makeups.items()}


def chances(programme: Programme, now: dt.datetime) -> Chances:
    """The open cohorts and the make-up seats before the end date. Two queries."""
    end = end_of(programme)
    last = Session.objects.filter(cohort=OuterRef("pk")).order_by("-ends_at")
    cohorts = list(
        Cohort.objects.filter(programme=programme)
        .with_seats(now)
        .annotate(ends_at=Subquery(last.values("ends_at")[:1]))
        .order_by("starts_at", "pk")
    )
    open_cohorts = [
        (c, c.capacity - c.seats_taken)
        for c in cohorts
        if c.starts_at is not None
        and c.starts_at > now
        and c.ends_at <= end
        and c.capacity > c.seats_taken
    ]
    makeups: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pk, module_id, cohort_id in (
        Session.objects.filter(module__programme=programme, starts_at__gt=now, ends_at__lte=end)
        .with_free_seats(now)
        .filter(free_seats__gt=0)
        .order_by("starts_at", "pk")
        .values_list("pk", "module_id", "cohort_id")
    ):
        makeups[module_id].append((pk, cohort_id))
    capacities = Counter(c.capacity for c in cohorts)
    spans = [c.ends_at - c.starts_at for c in cohorts if c.starts_at and c.ends_at]
    return Chances(
        open_cohorts=open_cohorts,
        makeups=dict(makeups),
        # The most common size (the larger on a tie); the median span.
        usual_capacity=max(capacities, key=lambda n: (capacities[n], n)) if capacities else None,
        usual_span=statistics.median_low(spans) if spans else None,
    )
