"""No combination of the self-assessment's numbers narrows a group below the minimum,
whatever the answers, whoever asks, under whatever filters, at whatever moments.

Hypothesis draws a small organisation (departments, some under an area, leaders placed
in departments or directly in an area, levels, cohorts, managers of a few departments
each), the baselines, then a sequence of events: follow-ups arriving one at a time,
revisions, moves between departments, and perhaps the programme's end (the outcome
page then combines the leftovers itself). After every event it reads, for HR and each
manager, every filter combination the outcome page and its CSV accept (grouping,
administration, department; and level and cohort, which must change nothing), and
takes *the set of leaders behind every shown number*: from the unit each line says it
is (the page's ``data-unit``; the CSV's group name, and for its total the filters
asked), and from the block table, read here independently of the portal's code. Each
shown line is first checked against that set: its count is the set's size, and its
averages are the means of those leaders' answers as this test recorded them when they
had first answered both rounds. Then:

(a) any two shown sets, across all scopes, filters and moments so far, differ by nobody
    or by at least the minimum, each way;
(b) each shown set and the union of the others on the same page or file, likewise;
(c) after each event, no line's numbers changed unless its set changed by at least
    the minimum.

What is read at each moment: the CSV of every combination that defines the lines
(grouping, administration, department; per role), plain and with one drawn (level,
cohort) pair, and the page of one drawn combination. ``HYPOTHESIS_PROFILE=ci`` reads the
CSV with every (level, cohort) pair and the page of every plain combination at every
moment, over more examples.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import os
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

import booking
from outcomes import assessment, report_views
from outcomes.models import Dimension, Questionnaire
from programme.models import (
    HR_GROUP,
    Cohort,
    Department,
    Leader,
    Module,
    Programme,
    Session,
    StatisticsEntry,
    User,
)
from tests.conftest import local, room

PROFILES = {
    "dev": hypothesis_settings(
        max_examples=10,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    ),
    "ci": hypothesis_settings(
        max_examples=20,
        derandomize=False,
        database=None,
        deadline=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    ),
}
PROFILE_NAME = os.environ.get("HYPOTHESIS_PROFILE", "dev")
PROFILE = PROFILES.get(PROFILE_NAME, PROFILES["dev"])
EXHAUSTIVE = PROFILE_NAME == "ci"

OUTCOMES = reverse("outcomes:report")
CSV = reverse("outcomes:report_csv")
DIMENSIONS = [d for d, _label in Dimension.choices]
LEVELS = [level for level, _label in Leader.Level.choices]
ENROLLED = local(2016, 1, 4)
BASELINE_AT = local(2016, 1, 5)
FOLLOW_UPS_FROM = local(2016, 3, 9)
AFTER_THE_END = local(2016, 8, 2)

scores = st.tuples(*[st.integers(1, 5) for _ in DIMENSIONS])


@dataclass
class Story:
    k: int
    areas: int
    parents: list[int | None]  # per department: its area's index, or none
    homes: list[int]  # per leader: a department, or (>= len(parents)) an area itself
    levels: list[str]
    cohorts: list[int]
    managed: list[set[int]]  # per manager: the units (departments or areas) they manage
    baselines: dict[int, tuple]
    events: list[tuple]
    ends: bool


@st.composite
def stories(draw) -> Story:
    areas = draw(st.integers(0, 2))
    departments = draw(st.integers(1, 3))
    units = departments + areas
    leaders = draw(st.integers(3, 9))
    leader = st.integers(0, leaders - 1)
    # Most leaders answer the baseline (a follow-up alone is never counted) and then the
    # follow-up, in a drawn order; revisions and moves come in between.
    baselines = [draw(st.one_of(scores, scores, scores, st.none())) for _ in range(leaders)]
    order = draw(st.permutations(range(leaders)))
    answering = order[: draw(st.integers(leaders // 2, leaders))]
    events = [("answer", n, draw(scores)) for n in answering]
    others = draw(
        st.lists(
            st.tuples(
                st.integers(0, len(events)),
                st.one_of(
                    st.tuples(st.just("answer"), leader, scores),
                    st.tuples(st.just("move"), leader, st.integers(0, units - 1)),
                ),
            ),
            max_size=4,
        )
    )
    for position, event in sorted(others, key=lambda pair: -pair[0]):
        events.insert(position, event)
    return Story(
        k=draw(st.sampled_from([2, 3])),
        areas=areas,
        parents=[draw(st.sampled_from([None, *range(areas)])) for _ in range(departments)],
        homes=[draw(st.integers(0, units - 1)) for _ in range(leaders)],
        levels=[draw(st.sampled_from(LEVELS)) for _ in range(leaders)],
        cohorts=[draw(st.integers(0, 1)) for _ in range(leaders)],
        managed=[
            draw(st.sets(st.integers(0, units - 1), min_size=1, max_size=2))
            for _ in range(draw(st.integers(1, 2)))
        ],
        baselines={n: values for n, values in enumerate(baselines) if values is not None},
        events=events,
        ends=draw(st.booleans()),
    )


# -- The world in the database ---------------------------------------------------------


@dataclass
class World:
    programme: Programme
    units: list[Department]  # departments first, then areas
    leaders: list[Leader]
    cohorts: list[Cohort]
    hr: Client
    hr_user: User
    managers: list[tuple[Client, User, list[Department]]]  # with every department in scope
    # What this test recorded: each leader's current answers, and the answers and
    # department as they were when both rounds were first in (None before).
    answers: dict[int, dict[str, tuple]] = field(default_factory=dict)
    counted: dict[int, tuple] = field(default_factory=dict)


def build(story: Story) -> World:
    programme = Programme.objects.create(
        name="Egenskaber", starts_on=dt.date(2015, 11, 1), ends_on=dt.date(2016, 7, 31)
    )
    modules = [
        Module.objects.create(programme=programme, order=n, title=f"M{n}", required=True)
        for n in (1, 2)
    ]
    cohorts = []
    for n in range(2):
        cohort = Cohort.objects.create(
            programme=programme,
            name=f"Hold {n + 1}",
            capacity=40,
            enrolment_deadline=dt.date(2016, 1, 31),
        )
        for module, day in zip(modules, (local(2016, 1, 12), local(2016, 3, 8)), strict=True):
            Session.objects.create(
                cohort=cohort,
                module=module,
                starts_at=day,
                ends_at=day + dt.timedelta(hours=6),
                location=room(f"Lokale {n}"),
            )
        cohorts.append(cohort)
    areas = [
        Department.objects.create(name=f"Område {n}", code=f"O{n}") for n in range(story.areas)
    ]
    departments = [
        Department.objects.create(
            name=f"Afdeling {n}",
            code=f"A{n}",
            parent=areas[parent] if parent is not None else None,
        )
        for n, parent in enumerate(story.parents)
    ]
    units = departments + areas
    leaders = []
    for n, home in enumerate(story.homes):
        user = User.objects.create(email=f"leder{n}@egenskab.dk")
        leader = Leader.objects.create(
            user=user,
            employee_number=f"E{n}",
            name=f"Leder {n}",
            level=story.levels[n],
            department=units[home],
        )
        booking.enrol(leader=leader, cohort=cohorts[story.cohorts[n]], by_staff=True, now=ENROLLED)
        leaders.append(leader)
    hr_user = User.objects.create(email="hr@egenskab.dk", is_staff=True)
    hr_user.groups.add(Group.objects.get(name=HR_GROUP))
    hr = Client()
    hr.force_login(hr_user)
    managers = []
    for n, managed in enumerate(story.managed):
        user = User.objects.create(email=f"chef{n}@egenskab.dk")
        for u in managed:
            units[u].managers.add(user)
        # A manager answers for the units they manage and every department under one.
        chosen = {units[u].pk for u in managed}
        mine = [d for d in units if d.pk in chosen or d.parent_id in chosen]
        client = Client()
        client.force_login(user)
        managers.append((client, user, sorted(mine, key=lambda d: d.name)))
    return World(programme, units, leaders, cohorts, hr, hr_user, managers)


def submit(world: World, n: int, round: str, values: tuple, now: dt.datetime) -> None:
    """Answers through the function the page calls; and this test's own record."""
    leader = Leader.objects.get(pk=world.leaders[n].pk)
    questionnaire = assessment.questionnaire_for(leader, world.programme, round)
    by_dimension = dict(zip(DIMENSIONS, values, strict=True))
    assessment.submit_answers(
        leader=leader,
        programme=world.programme,
        round=round,
        questionnaire=questionnaire,
        scores={s.pk: by_dimension[s.dimension] for s in questionnaire.statements.all()},
        free_text="",
        now=now,
    )
    mine = world.answers.setdefault(n, {})
    mine[round] = values
    if n not in world.counted and len(mine) == 2:
        department = leader.department
        world.counted[n] = (
            mine["baseline"],
            mine["follow_up"],
            department.pk,
            department.parent_id or department.pk,
        )


# -- What the pages and files show --------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One shown line: its unit (``+`` joins a union of units), its count, its numbers."""

    unit: str
    leaders: int
    numbers: tuple


def views(world: World, exhaustive: bool, draw) -> list[tuple[str, User, Client, dict]]:
    """(who, user, client, query) for every filter combination that defines the lines,
    each plain and with level and cohort (every pair, or one drawn pair each)."""
    pairs = [
        {"level": level, "cohort": cohort}
        for level, cohort in itertools.product(["", *LEVELS], ["", *(c.pk for c in world.cohorts)])
        if level or cohort
    ]
    areas = [u for u in world.units if u.units.exists()]
    hr = ("hr", world.hr_user, world.hr)
    bases = [(*hr, {"grouping": g}) for g in ("area", "department")]
    bases += [(*hr, {"department": d.pk}) for d in world.units]
    bases += [(*hr, {"unit": a.pk}) for a in areas]
    bases += [(*hr, {"unit": a.pk, "department": world.units[0].pk}) for a in areas]
    for n, (client, user, mine) in enumerate(world.managers):
        bases.append((f"manager{n}", user, client, {}))
        bases += [(f"manager{n}", user, client, {"department": d.pk}) for d in mine]
    found = []
    for who, user, client, query in bases:
        found.append((who, user, client, query))
        extra = pairs if exhaustive else [draw(st.sampled_from(pairs))]
        found += [(who, user, client, {**query, **pair}) for pair in extra]
    return found


def page_lines(client: Client, query: dict) -> list[Line]:
    response = client.get(OUTCOMES, query)
    html = response.content.decode()
    if response.status_code == 400:  # a filter the form refuses (a manager's cohort list)
        assert "data-unit" not in html
        return []
    assert response.status_code == 200, (query, response.status_code)
    section = html.split('id="assessment-heading"')[1].split('id="initiatives-heading"')[0]
    lines = []
    for unit, rest in re.findall(r'<tr data-unit="([^"]*)">(.*?)</tr>', section, re.S):
        count = re.search(r'data-leaders="(\d+)"', rest)
        if count is None:
            continue
        cells = [
            re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", rest)
        ]
        lines.append(Line(unit, int(count.group(1)), tuple(cells[1:])))
    return lines


def csv_lines(world: World, who: str, user: User, query: dict) -> list[Line]:
    """The CSV's lines, each named by the unit its name and the filters asked say.

    The download's view is called as the URL calls it, without the middleware around
    it (the property reads hundreds of files; the middleware is tested elsewhere)."""
    request = RequestFactory().get(CSV, query)
    request.user = user
    response = report_views.outcomes_csv(request)
    if response.status_code == 400:  # a filter the form refuses: no file
        return []
    assert response.status_code == 200, (query, response.status_code)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))[1:]
    by_name = {u.name: u for u in world.units}
    found: dict[tuple[str, str], list] = {}
    for kind, name, count, _dimension, *numbers in rows:
        if count.isdigit():
            found.setdefault((kind, name), [int(count)]).extend(numbers)
    lines = []
    for (kind, name), (count, *numbers) in found.items():
        if kind == "I alt":
            unit = expected_total(world, who, query)
        elif kind == "Forvaltning eller center":
            unit = assessment.area_unit(by_name[name].pk)
        else:
            unit = assessment.department_unit(by_name[name].pk)
        lines.append(Line(unit, count, tuple(numbers)))
    return lines


def expected_total(world: World, who: str, query: dict) -> str:
    """What the total is over, from the filters asked (this test's own reading)."""
    if "department" in query:
        return assessment.department_unit(query["department"])
    if who != "hr":
        _client, _user, mine = world.managers[int(who.removeprefix("manager"))]
        return "+".join(assessment.department_unit(d.pk) for d in mine)
    if "unit" in query:
        return assessment.area_unit(query["unit"])
    return assessment.whole_unit(world.programme)


# -- The sets behind them, read independently --------------------------------------------


def blocks_of(world: World) -> dict[int, tuple[str, str, frozenset[int]]]:
    """Each block: (leaf, parent, the leaders in it), from the entries' rows."""
    pk_to_index = {leader.pk: n for n, leader in enumerate(world.leaders)}
    blocks: dict[int, tuple[str, str, set[int]]] = {}
    rows = StatisticsEntry.objects.filter(
        scope__whole=assessment.whole_unit(world.programme), block__isnull=False
    ).values_list("block_id", "block__leaf", "block__parent", "subject", "leaf", "parent")
    for block, leaf, parent, subject, entry_leaf, entry_parent in rows:
        n = pk_to_index[int(subject.removeprefix("leader:"))]
        # The entry is where the leader was when counted (moves do not move it).
        _before, _after, department, area = world.counted[n]
        assert (entry_leaf, entry_parent) == (
            assessment.department_unit(department),
            assessment.area_unit(area),
        )
        blocks.setdefault(block, (leaf, parent, set()))[2].add(n)
    return {b: (leaf, parent, frozenset(members)) for b, (leaf, parent, members) in blocks.items()}


def leaders_behind(world: World, blocks, unit: str) -> frozenset[int]:
    if "+" in unit:
        return frozenset().union(*(leaders_behind(world, blocks, u) for u in unit.split("+")))
    if unit == assessment.whole_unit(world.programme):
        return frozenset().union(*(members for _l, _p, members in blocks.values()))
    return frozenset().union(
        *(members for leaf, parent, members in blocks.values() if unit in (leaf, parent))
    )


def _one_decimal(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _danish(value: Decimal, signed: bool = False) -> str:
    text = str(value).replace(".", ",")
    return f"+{text}" if signed and value > 0 else text


def expected_numbers(world: World, members: frozenset[int], *, page: bool) -> tuple:
    """The means of the leaders' answers as recorded when they were counted."""
    numbers = []
    for d in range(len(DIMENSIONS)):
        before = _one_decimal(Decimal(sum(world.counted[n][0][d] for n in members)) / len(members))
        after = _one_decimal(Decimal(sum(world.counted[n][1][d] for n in members)) / len(members))
        if page:
            numbers += [_danish(before), _danish(after), _danish(after - before, signed=True)]
        else:
            numbers += [_danish(before), _danish(after), _danish(after - before)]
    return tuple(numbers)


def far_apart(a: frozenset, b: frozenset, k: int) -> bool:
    return all(len(side) == 0 or len(side) >= k for side in (a - b, b - a))


# -- The property ---------------------------------------------------------------------------


def look(world: World, k: int, exhaustive: bool, draw) -> dict[tuple, tuple[Line, frozenset]]:
    """Every shown line now, keyed by (who, query, format, unit), each checked against the
    set of leaders behind it, and (b) checked per page and file. Every view's CSV; the
    page of one drawn view (of every view when ``exhaustive``)."""
    blocks = blocks_of(world)
    assert all(len(members) == k for _l, _p, members in blocks.values())
    shown: dict[tuple, tuple[Line, frozenset]] = {}
    every = views(world, exhaustive, draw)
    plain = [view for view in every if not {"level", "cohort"} & set(view[3])]
    pages = plain if exhaustive else [draw(st.sampled_from(every))]
    answers = [
        (who, query, "csv", csv_lines(world, who, user, query)) for who, user, _c, query in every
    ]
    answers += [(who, query, "page", page_lines(client, query)) for who, _u, client, query in pages]
    for who, query, form, lines in answers:
        sets = []
        for line in lines:
            members = leaders_behind(world, blocks, line.unit)
            assert line.leaders == len(members), (who, query, form, line)
            assert line.numbers == expected_numbers(world, members, page=form == "page"), (
                who,
                query,
                form,
                line,
            )
            sets.append(members)
            shown[(who, tuple(sorted(query.items())), form, line.unit)] = (line, members)
        for n, members in enumerate(sets):  # (b)
            others = frozenset().union(*(s for m, s in enumerate(sets) if m != n))
            if others:
                assert far_apart(members, others, k), (who, query, form, sets)
    return shown


@pytest.mark.django_db
@hypothesis_settings(PROFILE)
@given(story=stories(), data=st.data())
def test_no_shown_numbers_ever_narrow_a_group_below_the_minimum(story, data, settings):
    settings.ASSESSMENT_MIN_GROUP = story.k
    settings.LANGUAGE_CODE = "da"
    with transaction.atomic():
        try:
            run(story, data.draw, settings)
        finally:
            transaction.set_rollback(True)


def run(story: Story, draw, settings) -> None:
    assert Questionnaire.current() is not None
    world = build(story)
    k = story.k
    for n, values in story.baselines.items():
        submit(world, n, "baseline", values, BASELINE_AT + dt.timedelta(minutes=n))
    ever: set[frozenset] = set()
    before: dict[tuple, tuple[Line, frozenset]] = {}
    moments = [
        (FOLLOW_UPS_FROM + dt.timedelta(hours=h), event) for h, event in enumerate(story.events)
    ]
    if story.ends:
        moments.append((AFTER_THE_END, ("end",)))
    moments.insert(0, (FOLLOW_UPS_FROM - dt.timedelta(hours=1), ("start",)))
    for at, event in moments:
        if event[0] == "answer":
            submit(world, event[1], "follow_up", event[2], at)
        elif event[0] == "move":
            Leader.objects.filter(pk=world.leaders[event[1]].pk).update(
                department=world.units[event[2]]
            )
        settings.PORTAL_CLOCK = (at + dt.timedelta(minutes=1)).isoformat()
        if event[0] == "end":
            # The first visit after the end combines the leftovers (the hourly job may
            # not have run yet).
            assert world.hr.get(OUTCOMES).status_code == 200
        now = look(world, k, EXHAUSTIVE, draw)
        # (a) any two shown sets, now and at every moment so far.
        for members in {m for _line, m in now.values()} - ever:
            for other in ever | {m for _line, m in now.values()}:
                assert far_apart(members, other, k), (event, sorted(members), sorted(other))
            ever.add(members)
        # (c) a line whose numbers changed, changed by at least k leaders.
        for key, (line, members) in now.items():
            if key in before and before[key][0] != line:
                assert len(members ^ before[key][1]) >= k, (event, key, before[key], line)
        before = now
