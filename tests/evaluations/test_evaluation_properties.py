"""No combination of the session evaluations' numbers and texts narrows a group below the
minimum, whoever asks, on whichever page, at whatever moments.

Hypothesis draws two modules with a session in each of two cohorts, run by two
facilitators (or by nobody), leaders who attended some of the sessions (both of a
module's, now and then), their answers arriving one at a time in a drawn order (a second
answer to a module is refused), and perhaps the moment no evaluation can arrive any more
(the hourly job combines the leftovers per module). After every event it reads what HR
(per module, facilitator and session, and the programme) and each facilitator (their
sessions and their sessions together) are shown, and every session's page with its
texts, as HR and as its facilitator. For each shown line it takes *the evaluations behind
it* from the block table, read here apart from the portal's code, from the unit the line
says it is: the line's count is their number, its averages their means as this test
recorded the answers, its texts theirs, sorted. Then:

(a) each block holds k different leaders;
(b) any two shown sets, across roles, pages and moments so far, differ by nobody or by
    at least k different leaders, each way;
(c) a line whose numbers changed, changed its set by at least k.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from evaluations import rules
from programme.models import (
    HR_GROUP,
    Attendance,
    Cohort,
    Department,
    Facilitator,
    Leader,
    Module,
    Programme,
    Session,
    StatisticsEntry,
    User,
)
from tests.conftest import local, room

_COMMON = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
}
PROFILES = {
    "dev": hypothesis_settings(max_examples=8, derandomize=True, **_COMMON),
    "ci": hypothesis_settings(max_examples=40, derandomize=False, print_blob=True, **_COMMON),
}
PROFILE = PROFILES.get(os.environ.get("HYPOTHESIS_PROFILE", "dev"), PROFILES["dev"])

# Sessions: module m in cohort c meets on day 11 + 2m + c of January 2016, 9-15.
SESSIONS = [(m, c) for m in range(2) for c in range(2)]
ANSWERS_FROM = local(2016, 1, 16)
TEXTS = ["", "Mere dialog", "Færre slides", "Øve i teamet"]


@dataclass
class Story:
    k: int
    run_by: list[int | None]  # per session: a facilitator's index, or nobody
    attended: list[list[int]]  # per leader: the sessions they were present at
    answers: list[tuple[int, int, int, int, int]]  # leader, session, relevance, facilitation, text
    ends: bool


@st.composite
def stories(draw) -> Story:
    leaders = draw(st.integers(3, 9))
    attended = []
    for _ in range(leaders):
        mine = []
        for module in range(2):
            # None, either cohort's session, or (now and then) both.
            choice = draw(st.sampled_from([[], [0], [1], [0], [1], [0, 1]]))
            mine += [SESSIONS.index((module, cohort)) for cohort in choice]
        attended.append(mine)
    pairs = [(n, s) for n, mine in enumerate(attended) for s in mine]
    order = draw(st.permutations(pairs))
    answering = order[: draw(st.integers(len(order) // 2, len(order)))]
    score = st.integers(1, 5)
    return Story(
        k=draw(st.sampled_from([2, 3])),
        run_by=[draw(st.sampled_from([0, 1, None])) for _ in SESSIONS],
        attended=attended,
        answers=[
            (n, s, draw(score), draw(score), draw(st.integers(0, len(TEXTS) - 1)))
            for n, s in answering
        ],
        ends=draw(st.booleans()),
    )


@dataclass
class World:
    programme: Programme
    sessions: list[Session]
    leaders: list[Leader]
    hr: Client
    facilitators: list[Client]
    # This test's record: evaluation pk -> (leader index, relevance, facilitation, text).
    recorded: dict[int, tuple[int, int, int, str]] = field(default_factory=dict)


def build(story: Story) -> World:
    programme = Programme.objects.create(
        name="Egenskaber", starts_on=dt.date(2015, 11, 1), ends_on=dt.date(2016, 7, 31)
    )
    modules = [Module.objects.create(programme=programme, order=n, title=f"M{n}") for n in (1, 2)]
    cohorts = [
        Cohort.objects.create(
            programme=programme,
            name=f"Hold {n + 1}",
            capacity=40,
            enrolment_deadline=dt.date(2016, 1, 31),
        )
        for n in range(2)
    ]
    facilitators, clients = [], []
    for n in range(2):
        user = User.objects.create(email=f"underviser{n}@egenskab.dk")
        facilitators.append(Facilitator.objects.create(name=f"Underviser {n}", user=user))
        client = Client()
        client.force_login(user)
        clients.append(client)
    sessions = []
    for (module, cohort), run_by in zip(SESSIONS, story.run_by, strict=True):
        start = local(2016, 1, 11 + 2 * module + cohort)
        sessions.append(
            Session.objects.create(
                cohort=cohorts[cohort],
                module=modules[module],
                starts_at=start,
                ends_at=start + dt.timedelta(hours=6),
                location=room(f"Lokale {module}{cohort}"),
                facilitator=facilitators[run_by] if run_by is not None else None,
            )
        )
    department = Department.objects.create(name="Afdeling", code="A")
    leaders = []
    for n, mine in enumerate(story.attended):
        leader = Leader.objects.create(
            user=User.objects.create(email=f"leder{n}@egenskab.dk"),
            employee_number=f"E{n}",
            name=f"Leder {n}",
            department=department,
        )
        for s in mine:
            Attendance.objects.create(leader=leader, session=sessions[s], status="present")
        leaders.append(leader)
    hr_user = User.objects.create(email="hr@egenskab.dk", is_staff=True)
    hr_user.groups.add(Group.objects.get(name=HR_GROUP))
    hr = Client()
    hr.force_login(hr_user)
    return World(programme, sessions, leaders, hr, clients)


# -- What is shown ----------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    unit: str
    people: int
    numbers: tuple
    texts: tuple | None = None


def _line(row, texts: bool = False) -> Line:
    return Line(
        row.unit,
        row.people,
        (row.relevance, row.facilitation),
        tuple(row.texts) if texts else None,
    )


def shown(world: World) -> dict[tuple, Line]:
    """Every line every role is shown now, keyed by (who, page, unit)."""
    lines: dict[tuple, Line] = {}
    overview = world.hr.get(reverse("evaluations:overview")).context["overview"]
    for part in ("sessions", "modules", "facilitators"):
        for row in getattr(overview, part):
            lines[("hr", part, row.unit)] = _line(row)
    lines[("hr", "total", overview.total.unit)] = _line(overview.total)
    for n, client in enumerate(world.facilitators):
        mine = client.get(reverse("evaluations:mine")).context["overview"]
        for row in mine.sessions:
            lines[(f"facilitator{n}", "sessions", row.unit)] = _line(row)
        lines[(f"facilitator{n}", "total", mine.total.unit)] = _line(mine.total)
    for session in world.sessions:
        url = reverse("evaluations:session", args=[session.pk])
        viewers = [("hr", world.hr)]
        if session.facilitator_id is not None:
            n = [f.pk for f in Facilitator.objects.order_by("pk")].index(session.facilitator_id)
            viewers.append((f"facilitator{n}", world.facilitators[n]))
        for who, client in viewers:
            row = client.get(url).context["row"]
            lines[(who, "session page", row.unit)] = _line(row, texts=True)
    return lines


# -- What lies behind a line, read from the blocks here -------------------------------


def blocks(world: World) -> dict[int, tuple[str, str, frozenset[int]]]:
    """Each block's leaf, parent and evaluations."""
    found: dict[int, tuple[str, str, set[int]]] = {}
    for block, leaf, parent, subject in StatisticsEntry.objects.filter(
        scope__kind="evaluation", block__isnull=False
    ).values_list("block", "block__leaf", "block__parent", "subject"):
        found.setdefault(block, (leaf, parent, set()))[2].add(int(subject.split(":")[1]))
    return {pk: (leaf, parent, frozenset(m)) for pk, (leaf, parent, m) in found.items()}


def behind(world: World, every: dict, unit: str) -> frozenset[int]:
    if not unit:
        return frozenset()
    if unit.startswith("programme:"):
        return frozenset().union(*(m for _l, _p, m in every.values()))
    if unit.startswith("module:"):
        return frozenset().union(*(m for _l, p, m in every.values() if p == unit))
    leaves = set(unit.split("+"))
    assert all(leaf.startswith("session:") for leaf in leaves), unit
    return frozenset().union(*(m for leaf, _p, m in every.values() if leaf in leaves))


def _mean(values: list[int]) -> Decimal:
    return (Decimal(sum(values)) / len(values)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def expected(world: World, members: frozenset[int], texts: bool) -> Line:
    if not members:
        return Line("", 0, (None, None), () if texts else None)
    rows = [world.recorded[pk] for pk in members]
    return Line(
        "",
        len(members),
        (_mean([r[1] for r in rows]), _mean([r[2] for r in rows])),
        tuple(sorted(r[3] for r in rows if r[3])) if texts else None,
    )


def leaders_in(world: World, members: frozenset[int]) -> set[int]:
    return {world.recorded[pk][0] for pk in members}


def far_apart(world: World, a: frozenset, b: frozenset, k: int) -> bool:
    return all(len(leaders_in(world, side)) in (0, *range(k, 100)) for side in (a - b, b - a))


# -- The property -----------------------------------------------------------------------


@pytest.mark.django_db
@hypothesis_settings(PROFILE)
@given(story=stories())
# One leader's leftovers in both modules: over the programme they would fill a block of 2.
@example(
    story=Story(
        k=2,
        run_by=[0, 1, 0, None],
        attended=[[0, 2], [0], [0, 2]],
        answers=[(0, 0, 5, 5, 1), (1, 0, 4, 4, 2), (2, 0, 1, 1, 3), (2, 2, 1, 2, 0)],
        ends=True,
    )
)
def test_no_shown_average_or_text_ever_narrows_a_group_below_the_minimum(story, settings):
    settings.ASSESSMENT_MIN_GROUP = story.k
    with transaction.atomic():
        try:
            run(story, settings)
        finally:
            transaction.set_rollback(True)


def run(story: Story, settings) -> None:
    world = build(story)
    k = story.k
    moments = [
        (ANSWERS_FROM + dt.timedelta(minutes=i), ("answer", *answer))
        for i, answer in enumerate(story.answers)
    ]
    if story.ends:
        moments.append((rules.statistics_close_at(world.programme), ("end",)))
    ever: set[frozenset] = set()
    before: dict[tuple, tuple[Line, frozenset]] = {}
    for at, event in moments:
        settings.PORTAL_CLOCK = at.isoformat()
        if event[0] == "answer":
            n, s, relevance, facilitation, text = event[1:]
            try:
                evaluation = rules.submit(
                    leader=world.leaders[n],
                    session=world.sessions[s],
                    relevance=relevance,
                    facilitation=facilitation,
                    different=TEXTS[text],
                    now=at,
                )
            except rules.EvaluationError:
                pass  # their second session of a module: refused, not counted
            else:
                world.recorded[evaluation.pk] = (n, relevance, facilitation, TEXTS[text])
        else:
            call_command("close_places", stdout=open(os.devnull, "w"))  # noqa: SIM115
        every = blocks(world)
        # (a) every block: k evaluations by k different leaders.
        for _leaf, _parent, members in every.values():
            assert len(members) == k and len(leaders_in(world, members)) == k
        now: dict[tuple, tuple[Line, frozenset]] = {}
        for key, line in shown(world).items():
            members = behind(world, every, line.unit)
            want = expected(world, members, texts=line.texts is not None)
            assert (line.people, line.numbers, line.texts) == (
                want.people,
                want.numbers,
                want.texts,
            ), (event, key, line, sorted(members))
            now[key] = (line, members)
        # (b) any two shown sets, now and at every moment so far.
        for members in {m for _line, m in now.values()} - ever:
            for other in ever | {m for _line, m in now.values()}:
                assert far_apart(world, members, other, k), (event, sorted(members), sorted(other))
            ever.add(members)
        # (c) a line whose numbers changed, changed by at least k.
        for key, (line, members) in now.items():
            if key in before and before[key][0] != line:
                assert len(members ^ before[key][1]) >= k, (event, key, before[key], line)
        before = now
