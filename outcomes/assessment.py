"""The self-assessment: when each round is open, saving answers, and what may be shown.

Two rounds per leader and programme. The **baseline** is open from the leader's
enrolment (their seat in a cohort) until the end of their cohort's first session;
the **follow-up** from the start of their cohort's last session until the programme
ends. A leader may revise their answers while the round is open.

A leader's answers are theirs alone. Anyone else sees only averages over whole blocks
of ``settings.ASSESSMENT_MIN_GROUP`` leaders (:mod:`reports.disclosure`), never a
person's answers, not even HR. When a leader has answered both rounds, their answers
are counted in the statistics as they are then (:func:`count_in_statistics`); later
revisions change only their own picture.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import formats, timezone
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from outcomes.models import Answer, AssessmentResponse, Dimension, Questionnaire
from programme.models import Department, Enrolment, Leader, Programme, Session
from reports import disclosure
from reports.csv_export import neutralise
from reports.rules import Scope

Round = AssessmentResponse.Round


class AssessmentError(Exception):
    """Why answers could not be saved, in words for the leader."""


@dataclass(frozen=True)
class Window:
    """When a round is open: ``opens_at <= now < closes_at``."""

    round: str
    opens_at: dt.datetime
    closes_at: dt.datetime

    def is_open(self, now: dt.datetime) -> bool:
        return self.opens_at <= now < self.closes_at

    @property
    def label(self) -> str:
        return str(Round(self.round).label)


def place_with_dates(leader: Leader, programme: Programme) -> Enrolment | None:
    """The leader's seat, with ``first_session_ends_at`` and ``last_session_starts_at``."""
    sessions = Session.objects.filter(cohort=OuterRef("cohort")).order_by()
    return (
        Enrolment.objects.filter(
            leader=leader, programme=programme, status=Enrolment.Status.ENROLLED
        )
        .annotate(
            first_session_ends_at=Subquery(sessions.order_by("starts_at").values("ends_at")[:1]),
            last_session_starts_at=Subquery(
                sessions.order_by("-starts_at").values("starts_at")[:1]
            ),
        )
        .first()
    )


def windows(programme: Programme, place: Enrolment | None) -> dict[str, Window]:
    """Each round's window for a leader with this seat (none without a seat or sessions)."""
    if place is None or place.first_session_ends_at is None:
        return {}
    return {
        Round.BASELINE: Window(Round.BASELINE, place.requested_at, place.first_session_ends_at),
        Round.FOLLOW_UP: Window(
            Round.FOLLOW_UP, place.last_session_starts_at, programme.window()[1]
        ),
    }


def open_round(programme: Programme, place: Enrolment | None, now: dt.datetime) -> Window | None:
    """The round the leader can answer now, if any (the two never overlap in practice;
    should a cohort have a single session, the baseline goes first)."""
    for window in windows(programme, place).values():
        if window.is_open(now):
            return window
    return None


def questionnaire_for(leader: Leader, programme: Programme, round: str) -> Questionnaire | None:
    """What the leader answers: the version they answered before (so before and after
    compare), else the current one."""
    earlier = (
        AssessmentResponse.objects.filter(leader=leader, programme=programme)
        .select_related("questionnaire")
        .order_by("round" if round == Round.BASELINE else "-round")
        .first()
    )
    if earlier is not None:
        return earlier.questionnaire
    return Questionnaire.current()


@transaction.atomic
def submit_answers(
    *,
    leader: Leader,
    programme: Programme,
    round: str,
    questionnaire: Questionnaire,
    scores: dict[int, int],
    free_text: str,
    now: dt.datetime,
) -> AssessmentResponse:
    """Save a round's answers, all or nothing; the round must be open now.

    ``scores`` maps each of the questionnaire's statement ids to 1–5.
    """
    # One writer per leader at a time: a double submit waits, then replaces.
    Leader.objects.select_for_update().filter(pk=leader.pk).first()
    window = open_round(programme, place_with_dates(leader, programme), now)
    if window is None or window.round != round:
        raise AssessmentError(_("This round of the self-assessment is not open now."))
    statements = set(questionnaire.statements.values_list("pk", flat=True))
    if set(scores) != statements or not statements:
        raise AssessmentError(_("Please answer every statement."))
    if any(score not in range(1, 6) for score in scores.values()):
        raise AssessmentError(_("Every answer is a number from 1 to 5."))
    response, _created = AssessmentResponse.objects.update_or_create(
        leader=leader,
        programme=programme,
        round=round,
        defaults={"questionnaire": questionnaire, "free_text": free_text, "submitted_at": now},
    )
    response.answers.all().delete()
    Answer.objects.bulk_create(
        Answer(response=response, statement_id=pk, score=score) for pk, score in scores.items()
    )
    # The first time both rounds are in, the answers are counted as they are now.
    count_in_statistics(programme, Leader.objects.filter(pk=leader.pk))
    return response


# --- The leader's own picture -----------------------------------------------------------


@dataclass
class DimensionScore:
    dimension: str
    label: str
    before: Decimal | None = None
    after: Decimal | None = None

    @property
    def change(self) -> Decimal | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


# The trigger that refuses an answer to another version's statement (programme's
# migration 0010).
SAME_QUESTIONNAIRE_TRIGGER = "answer_same_questionnaire"


@contextmanager
def answers_checked_at_the_end() -> Iterator[None]:
    """For writing many answers in one transaction (the demo's millions): on PostgreSQL,
    the trigger that refuses an answer to another version's statement, two lookups per
    row, is off, and the same rule is checked over every answer in one query at the end;
    any answer that breaks it fails the block with ``IntegrityError``, as the trigger
    would have. The block is a transaction (a savepoint inside one): if anything in it
    fails, the trigger is on again with the rest undone, even when the caller goes on.
    Other sessions writing answers wait until the transaction ends. Elsewhere than
    PostgreSQL, nothing changes."""
    if connection.vendor != "postgresql":
        yield
        return
    table = connection.ops.quote_name(Answer._meta.db_table)

    def switch(on: bool) -> None:
        # Checks waiting for the commit run first: a table with checks waiting cannot
        # be altered.
        connection.check_constraints()
        with connection.cursor() as cursor:
            state = "ENABLE" if on else "DISABLE"
            cursor.execute(f"ALTER TABLE {table} {state} TRIGGER {SAME_QUESTIONNAIRE_TRIGGER}")

    with transaction.atomic():
        switch(False)
        yield
        switch(True)
        if Answer.objects.exclude(statement__questionnaire=F("response__questionnaire")).exists():
            raise IntegrityError("answer to another questionnaire")


def _one_decimal(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _ordered_scores(values: dict[tuple[str, str], Decimal | None]) -> list[DimensionScore]:
    return [
        DimensionScore(
            dimension=dimension,
            label=str(label),
            before=values.get((Round.BASELINE, dimension)),
            after=values.get((Round.FOLLOW_UP, dimension)),
        )
        for dimension, label in Dimension.choices
    ]


def own_scores(responses: list[AssessmentResponse]) -> list[DimensionScore]:
    """A leader's average per dimension in each round (one query)."""
    sums = (
        Answer.objects.filter(response__in=responses)
        .values("response__round", "statement__dimension")
        .annotate(total=Sum("score"), n=Count("pk"))
        .order_by()
    )
    return _ordered_scores(
        {
            (row["response__round"], row["statement__dimension"]): _one_decimal(
                Decimal(row["total"]) / row["n"]
            )
            for row in sums
        }
    )


# --- Counting answers in the statistics (reports/disclosure.py) ------------------------

KIND = "self_assessment"


def whole_unit(programme: Programme) -> str:
    return f"programme:{programme.pk}"


def department_unit(pk: int) -> str:
    return f"department:{pk}"


def area_unit(pk: int) -> str:
    """An administration or centre: a department's parent, or a department without one."""
    return f"area:{pk}"


@cache  # one text per measure, shared by every leader's sums
def _measure(round: str, dimension: str) -> str:
    return f"{round}:{dimension}"


def count_in_statistics(programme: Programme, leaders: QuerySet[Leader]) -> int:
    """Count in the statistics each of ``leaders`` who has now answered both rounds and is
    not counted yet: their sums per round and dimension, their department and its area,
    all as they are now, frozen (:mod:`reports.disclosure`). Returns how many were new.

    The one way answers reach the statistics, for one leader's follow-up
    (:func:`submit_answers`) and for many (the demo data). A leader counted already is
    left as they were counted: a revision changes their own picture, not the statistics.
    """
    both = answered_both(leaders, programme).values("pk")
    sums = (
        Answer.objects.filter(response__programme=programme, response__leader__in=both)
        .values_list("response__leader", "response__round", "statement__dimension")
        .annotate(total=Sum("score"), n=Count("pk"))
        .order_by()
    )
    values: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    # Streamed, not held: for a national demo the sums are millions of rows.
    for leader, round, dimension, total, n in sums.iterator(chunk_size=10_000):
        values[leader][_measure(round, dimension)] = (total, n)
    if not values:
        return 0
    # Arrived when the later round was submitted (the follow-up, as it is now).
    arrivals = dict(
        AssessmentResponse.objects.filter(programme=programme, leader__in=list(values))
        .values("leader")
        .annotate(last=Max("submitted_at"))
        .values_list("leader", "last")
        .order_by()
    )
    places = Leader.objects.filter(pk__in=list(values)).values_list(
        "pk", "department_id", "department__parent_id"
    )
    whole = whole_unit(programme)
    return disclosure.add(
        KIND,
        [
            disclosure.Contribution(
                subject=f"leader:{pk}",
                path=disclosure.Path(
                    leaf=department_unit(department),
                    parent=area_unit(parent or department),
                    whole=whole,
                ),
                arrived_at=arrivals[pk],
                values=values[pk],
            )
            for pk, department, parent in places
        ],
    )


def close_statistics(programme: Programme, now: dt.datetime) -> bool:
    """Once the follow-up has closed for everyone (the programme's end), combine the
    answers still waiting for a block across departments. Idempotent; False if not yet
    ended or done already."""
    if now < programme.window()[1] or disclosure.is_closed(KIND, whole_unit(programme)):
        return False
    return disclosure.close(KIND, whole_unit(programme), now)


def close_ended_programmes(now: dt.datetime) -> int:
    """:func:`close_statistics` for every programme that has ended (the hourly job)."""
    ended = Programme.objects.filter(ends_on__lt=timezone.localdate(now))
    return sum(close_statistics(programme, now) for programme in ended)


# --- The programme owner's view ----------------------------------------------------------


def min_group() -> int:
    return disclosure.min_group()


def answered_both(leaders: QuerySet[Leader], programme: Programme) -> QuerySet[Leader]:
    """The leaders who answered both rounds: only they count, so before and after compare."""
    rounds = AssessmentResponse.objects.filter(leader=OuterRef("pk"), programme=programme)
    return leaders.filter(
        Exists(rounds.filter(round=Round.BASELINE)), Exists(rounds.filter(round=Round.FOLLOW_UP))
    )


class Grouping:
    """How HR's view groups the departments: per administration or centre, or one by one."""

    AREA = "area"
    DEPARTMENT = "department"

    CHOICES = [
        (AREA, _("Administrations and centres")),
        (DEPARTMENT, _("Departments")),
    ]


@dataclass
class GroupScores:
    """One unit's averages, over whole blocks of leaders (``leaders``, a multiple of the
    minimum); ``too_few`` when no block has formed in it yet."""

    unit: str
    name: str
    leaders: int = 0
    scores: list[DimensionScore] = field(default_factory=list)

    @property
    def too_few(self) -> bool:
        return self.leaders == 0


def _scores(unit: str, name: str, cell: disclosure.Cell | None) -> GroupScores:
    group = GroupScores(unit=unit, name=name)
    if cell is None or not cell.people:
        return group
    group.leaders = cell.people
    group.scores = _ordered_scores(
        {
            (round, dimension): _one_decimal(Decimal(total) / n)
            for round, _round_label in Round.choices
            for dimension, _label in Dimension.choices
            for total, n in [cell.sums.get(_measure(round, dimension), (0, 0))]
            if n
        }
    )
    return group


def aggregates(
    scope: Scope,
    programme: Programme,
    *,
    department: Department | None = None,
    unit: Department | None = None,
    grouping: str = Grouping.AREA,
) -> tuple[list[GroupScores], GroupScores]:
    """The averages per dimension before and after, per unit of the organisation, and
    their total: the page and the CSV show exactly these. Three queries.

    Only the organisation's own units are groups (a department, an administration or
    centre, the whole programme, a manager's departments together), each over the whole
    blocks in it (:func:`reports.disclosure.tally`). Nothing else narrows them: not
    the level, not the cohort. ``department`` shows that one; else a manager sees their
    departments and their total; HR sees one administration or centre's departments
    (``unit``), or the whole programme by ``grouping``.
    """
    whole = whole_unit(programme)
    if department is not None or not scope.is_hr:
        listed = [department] if department is not None else list(scope.departments)
        rows = [(department_unit(d.pk), d.name) for d in listed]
        cells, total = disclosure.tally(KIND, whole, by="leaf", leaves=[key for key, _ in rows])
        # A manager's total is their departments' union, written as such.
        total_unit = "+".join(key for key, _name in rows)
        total_name = (
            department.name if department is not None else str(_("Your departments together"))
        )
    elif unit is not None:
        total_unit = area_unit(unit.pk)
        cells, total = disclosure.tally(KIND, whole, by="leaf", parent=total_unit)
        rows = [
            (department_unit(d.pk), d.name)
            for d in Department.objects.filter(Q(parent=unit) | Q(pk=unit.pk))
            # Leaders placed in the administration itself: a line when they form a block.
            if d.pk != unit.pk or department_unit(d.pk) in cells
        ]
        total_name = unit.name
    else:
        by_area = grouping != Grouping.DEPARTMENT
        cells, total = disclosure.tally(KIND, whole, by="parent" if by_area else "leaf")
        if by_area:
            rows = [(area_unit(d.pk), d.name) for d in Department.objects.filter(parent=None)]
        else:
            rows = [(department_unit(d.pk), d.name) for d in Department.objects.all()]
        total_unit, total_name = whole, str(_("The whole programme"))
    groups = [_scores(key, name, cells.get(key)) for key, name in rows]
    return sorted(groups, key=lambda g: g.name), _scores(total_unit, total_name, total)


def csv_header() -> list[str]:
    return [
        gettext("Grouped by"),
        gettext("Group"),
        gettext("Leaders behind the averages"),
        gettext("Dimension"),
        gettext("Before"),
        gettext("After"),
        pgettext("difference", "Change"),
    ]


def _number(value: Decimal | None) -> str:
    # Danish spreadsheets read a decimal comma; the file is for people, not machines.
    return "" if value is None else formats.number_format(value, 1)


def csv_rows(kind: str, group: GroupScores) -> list[list]:
    """One row per dimension; a group without a block says so, with no numbers."""
    name = neutralise(group.name)
    if group.too_few:
        return [[kind, name, "", "", gettext("too few answers yet"), "", ""]]
    return [
        [
            kind,
            name,
            group.leaders,
            score.label,
            _number(score.before),
            _number(score.after),
            _number(score.change),
        ]
        for score in group.scores
    ]
