"""The learning groups' formation rule (groups/formation.py), for any leaders.

What is proved, for random organisations (1-12 areas, each with 0-6 departments under
it, leaders in the areas themselves too) and 0-200 leaders, ``g`` being the number of
groups formed:

1. every leader is in exactly one group, and the same set of leaders in another order
   gives the same groups;
2. sizes: none for 0 leaders; one group for 1-5; for 6 one group of 6 or two of 3; for
   7 groups of 4 and 3; from 8 on every group holds 4-6; always as equal as possible
   (the largest and the smallest group differ by at most one);
3. departments: no group holds two leaders of one department whenever some grouping
   that follows rule 2 avoids it, i.e. when no department has more leaders than the
   most groups rule 2 allows (checked against every such grouping by brute force up
   to 10 leaders); otherwise no group holds more than ``ceil(k / g)`` of a
   department's ``k`` leaders;
4. areas: every group holds ``floor(k / g)`` or ``ceil(k / g)`` of an area's ``k``
   leaders, so an area is in a group twice only when it is in every group, and the
   number of (group, area) pairs is ``sum(min(k, g))``: no assignment to ``g`` groups
   has more, since an area of ``k`` leaders can be in at most ``min(k, g)`` groups.
"""

from __future__ import annotations

import itertools
import math
import os
import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from groups.formation import Member, form_groups

# A pure function, so many examples are cheap: derandomized in ``make test`` (the same
# examples every run), random and ten times as many with ``HYPOTHESIS_PROFILE=ci``.
CI = os.environ.get("HYPOTHESIS_PROFILE") == "ci"
MANY = settings(max_examples=3000 if CI else 300, derandomize=not CI, deadline=None, database=None)
SMALL = settings(max_examples=1000 if CI else 150, derandomize=not CI, deadline=None, database=None)


def most_groups(n: int) -> int:
    """The most groups the size rule allows for n leaders, worked out from the rule."""
    if n < 6:
        return min(n, 1)
    if n < 8:
        return 2
    return n // 4


@st.composite
def organisations(draw, max_leaders: int = 200) -> list[Member]:
    """Leaders in departments under areas: an area's own id is a department too."""
    departments = []  # (department id, area id)
    next_id = 1
    for _area in range(draw(st.integers(1, 12))):
        area = next_id
        departments.append((area, area))
        next_id += 1
        for _unit in range(draw(st.integers(0, 6))):
            departments.append((next_id, area))
            next_id += 1
    count = draw(st.integers(0, max_leaders))
    # Skewed choices, so some departments are large and others empty.
    weights = draw(
        st.lists(st.integers(1, 20), min_size=len(departments), max_size=len(departments))
    )
    rng = random.Random(draw(st.integers(0, 2**32)))
    chosen = rng.choices(departments, weights=weights, k=count)
    return [Member(1000 + i, department, area) for i, (department, area) in enumerate(chosen)]


def check_sizes(n: int, sizes: list[int]) -> None:
    if n == 0:
        assert sizes == []
        return
    assert max(sizes) - min(sizes) <= 1
    if n <= 5:
        assert sizes == [n]
    elif n == 6:
        assert sorted(sizes) in ([6], [3, 3])
    elif n == 7:
        assert sorted(sizes) == [3, 4]
    else:
        assert all(4 <= size <= 6 for size in sizes)


@MANY
@given(organisations(), st.randoms(use_true_random=False))
def test_groups_follow_the_rule_for_any_organisation(members, rnd):
    groups = form_groups(members)
    n, g = len(members), len(groups)

    # 1. Every leader exactly once; the order given does not matter.
    placed = [m.leader_id for group in groups for m in group]
    assert sorted(placed) == sorted(m.leader_id for m in members)
    shuffled = list(members)
    rnd.shuffle(shuffled)
    assert form_groups(shuffled) == groups

    # 2. Sizes.
    check_sizes(n, [len(group) for group in groups])

    # 3. Departments.
    departments = Counter(m.department_id for m in members)
    largest = max(departments.values(), default=0)
    for group in groups:
        in_group = Counter(m.department_id for m in group)
        if largest <= most_groups(n):
            assert max(in_group.values()) == 1, "a department doubled up though avoidable"
        for department, k in in_group.items():
            assert k <= math.ceil(departments[department] / g)

    # 4. Areas.
    areas = Counter(m.area_id for m in members)
    pairs = 0
    for group in groups:
        in_group = Counter(m.area_id for m in group)
        pairs += len(in_group)
        for area, total in areas.items():
            assert total // g <= in_group.get(area, 0) <= math.ceil(total / g)
    assert pairs == sum(min(k, g) for k in areas.values())


def avoidable_by_some_grouping(members: list[Member]) -> bool:
    """Brute force: does any grouping that follows the size rule keep every
    department's leaders in different groups?"""
    n = len(members)
    for g in range(1, most_groups(n) + 1):
        for assignment in itertools.product(range(g), repeat=n):
            sizes = [assignment.count(j) for j in range(g)]
            if 0 in sizes:
                continue
            try:
                check_sizes(n, sizes)
            except AssertionError:
                continue
            seen = set(zip(assignment, (m.department_id for m in members), strict=True))
            if len(seen) == n:
                return True
    return False


@SMALL
@given(organisations(max_leaders=10))
def test_a_department_is_doubled_up_only_when_no_grouping_avoids_it(members):
    groups = form_groups(members)
    doubled = any(max(Counter(m.department_id for m in group).values()) > 1 for group in groups)
    assert doubled == (bool(members) and not avoidable_by_some_grouping(members))


# -- Examples worked out by hand -------------------------------------------------------


def ids(groups):
    return [[m.leader_id for m in group] for group in groups]


def test_no_leaders_make_no_groups():
    assert form_groups([]) == []


def test_two_leaders_make_one_group():
    assert ids(form_groups([Member(1, 10, 10), Member(2, 10, 10)])) == [[1, 2]]


def test_five_leaders_make_one_group_of_five():
    members = [Member(i, 10 + i, 10 + i) for i in range(1, 6)]
    assert ids(form_groups(members)) == [[1, 2, 3, 4, 5]]


def test_six_leaders_of_six_departments_make_one_group():
    members = [Member(i, 10 + i, 1) for i in range(1, 7)]
    assert ids(form_groups(members)) == [[1, 2, 3, 4, 5, 6]]


def test_six_leaders_two_of_one_department_make_two_groups_of_three_apart():
    # Area 1: department 11 (leaders 1, 2), 12 (3); area 2: 21 (4), 22 (5), 23 (6).
    # One group of 6 would hold 1 and 2 together; two groups of 3 keep them apart.
    # Sorted by area, department, id and dealt: [1, 3, 5], [2, 4, 6].
    members = [
        Member(1, 11, 1),
        Member(2, 11, 1),
        Member(3, 12, 1),
        Member(4, 21, 2),
        Member(5, 22, 2),
        Member(6, 23, 2),
    ]
    assert ids(form_groups(members)) == [[1, 3, 5], [2, 4, 6]]


def test_seven_leaders_make_groups_of_four_and_three():
    members = [Member(i, i, i) for i in range(1, 8)]
    assert ids(form_groups(members)) == [[1, 3, 5, 7], [2, 4, 6]]


def test_twelve_leaders_in_three_areas_each_group_has_every_department_once():
    # Areas 1, 2, 3, each with two departments of two leaders: 2 groups of 6.
    members = [Member(i, 10 + (i + 1) // 2, 1 + (i - 1) // 4) for i in range(1, 13)]
    groups = ids(form_groups(members))
    assert groups == [[1, 3, 5, 7, 9, 11], [2, 4, 6, 8, 10, 12]]


def test_a_large_department_gets_more_groups_so_its_leaders_are_apart():
    # 20 leaders would make 4 groups of 5, but department 99 has 5 leaders:
    # 5 groups of 4, one of department 99 in each.
    members = [Member(i, 99, 9) for i in range(1, 6)]
    members += [Member(i, 100 + i, 100 + i % 3) for i in range(6, 21)]
    groups = form_groups(members)
    assert [len(group) for group in groups] == [4, 4, 4, 4, 4]
    assert all(sum(m.department_id == 99 for m in group) == 1 for group in groups)


def test_a_department_too_large_to_keep_apart_is_spread_evenly():
    # 10 leaders (2 groups of 5), 5 of them in department 7: 3 and 2.
    members = [Member(i, 7, 7) for i in range(1, 6)]
    members += [Member(i, 10 + i, 10 + i) for i in range(6, 11)]
    groups = form_groups(members)
    assert sorted(sum(m.department_id == 7 for m in group) for group in groups) == [2, 3]
    assert ids(groups) == [[1, 3, 5, 7, 9], [2, 4, 6, 8, 10]]
