"""How learning groups are formed: a pure rule, no database (the issue "Digital
leadership across areas").

Given the leaders to group, each with their department and area (the department's
parent, or the department itself when it has none), :func:`form_groups` returns the
groups:

* **How many groups.** 0 leaders: none. 1-5: one group (two would put one under 3).
  6: one group of 6, or two of 3 when that keeps two leaders of one department apart.
  7: two groups (4 and 3). 8 or more: every group holds 4-6, so the number of groups
  ``g`` lies in ``[ceil(n / 6), floor(n / 4)]`` (:func:`group_count_range`); the rule
  takes ``round(n / 5)`` (groups of about five), raised to the largest department's
  size when the range allows it, so that no department is ever doubled up in a group
  when any allowed grouping avoids it.
* **Sizes** are as equal as possible: each group holds ``floor(n / g)`` or
  ``ceil(n / g)`` leaders.
* **Who goes where.** The leaders are ordered by area, then department, then id, and
  dealt out in turn to the groups like cards. Every area and every department is a
  run of consecutive cards, so each group receives ``floor(k / g)`` or ``ceil(k / g)``
  of any area's or department's ``k`` leaders. Hence: a department is never doubled
  up in a group when it has no more leaders than there are groups; an area is in a
  group twice only when it is in every group; and the number of (group, area) pairs,
  ``sum(min(k_area, g))``, is the most any assignment to ``g`` groups can reach.

The result depends only on the set of leaders given, not on their order.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Member:
    """A leader to be grouped: their id, department id and area id."""

    leader_id: int
    department_id: int
    area_id: int


MIN_SIZE, MAX_SIZE, TARGET_SIZE = 4, 6, 5
# Under this many leaders the small-number rule applies (one or two groups, none under 3).
SMALL = 8
SMALLEST = 3


def group_count_range(n: int) -> tuple[int, int]:
    """The allowed numbers of groups for ``n`` leaders, as (fewest, most)."""
    if n == 0:
        return 0, 0
    if n < 2 * SMALLEST:
        return 1, 1
    if n < SMALL:
        # One or two groups as equal as possible, none under 3; a group of 7 is over
        # the largest size, so 7 leaders always make two groups.
        return (1 if n <= MAX_SIZE else 2), 2
    return math.ceil(n / MAX_SIZE), n // MIN_SIZE


def group_count(n: int, largest_department: int) -> int:
    """How many groups ``n`` leaders make, whose largest department has this many."""
    fewest, most = group_count_range(n)
    if n == 0:
        return 0
    wanted = max(round(n / TARGET_SIZE), largest_department)
    return min(max(wanted, fewest), most)


def form_groups(members: Iterable[Member]) -> list[list[Member]]:
    """The groups for these leaders (each leader given once), each group in the order
    dealt; deterministic for the same set of leaders."""
    ordered = sorted(set(members), key=lambda m: (m.area_id, m.department_id, m.leader_id))
    if len({m.leader_id for m in ordered}) != len(ordered):
        raise ValueError("A leader is given twice, with different departments.")
    largest = max(Counter(m.department_id for m in ordered).values(), default=0)
    count = group_count(len(ordered), largest)
    groups: list[list[Member]] = [[] for _ in range(count)]
    for index, member in enumerate(ordered):
        groups[index % count].append(member)
    return groups
