"""The self-assessment: when each round is open, saving answers, and what may be shown.

Two rounds per leader and programme. The **baseline** is open from the leader's
enrolment (their seat in a cohort) until the end of their cohort's first session;
the **follow-up** from the start of their cohort's last session until the programme
ends. A leader may revise their answers while the round is open.

A leader's answers are theirs alone. Anyone else sees averages of groups in which at
least ``settings.ASSESSMENT_MIN_GROUP`` leaders answered both rounds
(:func:`aggregates`), never a person's answers, not even HR.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery, Sum
from django.utils import formats
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from .csv_export import neutralise
from .models import (
    Answer,
    AssessmentResponse,
    Dimension,
    Enrolment,
    Leader,
    Programme,
    Questionnaire,
    Session,
)

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


# --- The programme owner's view ----------------------------------------------------------


@dataclass
class GroupScores:
    """One group's averages, or ``too_few`` when fewer than the minimum answered both rounds."""

    key: object
    name: str
    leaders: int = 0
    too_few: bool = True
    scores: list[DimensionScore] = field(default_factory=list)
    # (round, dimension) -> [sum of scores, number of answers], for exact totals.
    sums: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    @property
    def small(self) -> bool:
        """Below the minimum itself (a group can also be hidden to protect a small one)."""
        return self.leaders < min_group()


def min_group() -> int:
    return settings.ASSESSMENT_MIN_GROUP


def answered_both(leaders: QuerySet[Leader], programme: Programme) -> QuerySet[Leader]:
    """The leaders who answered both rounds: only they count, so before and after compare."""
    rounds = AssessmentResponse.objects.filter(leader=OuterRef("pk"), programme=programme)
    return leaders.filter(
        Exists(rounds.filter(round=Round.BASELINE)), Exists(rounds.filter(round=Round.FOLLOW_UP))
    )


def _finish(group: GroupScores, *, hide: bool = False) -> GroupScores:
    group.too_few = hide or group.leaders < min_group()
    if not group.too_few:
        group.scores = _ordered_scores(
            {key: _one_decimal(Decimal(total) / n) for key, (total, n) in group.sums.items() if n}
        )
    return group


def _also_hidden(groups: list[GroupScores]) -> set[object]:
    """Groups to hide beside the small ones, so no small group can be worked out.

    The total is shown, so the hidden groups together are the total less the shown
    ones: together they must count at least the minimum as well. The smallest shown
    groups are hidden until they do (complementary suppression).
    """
    least = min_group()
    hidden = sum(g.leaders for g in groups if g.leaders < least)
    extra = set()
    for group in sorted((g for g in groups if g.leaders >= least), key=lambda g: g.leaders):
        if hidden == 0 or hidden >= least:
            break
        extra.add(group.key)
        hidden += group.leaders
    return extra


def aggregates(
    leaders: QuerySet[Leader], programme: Programme, by: str
) -> tuple[list[GroupScores], GroupScores]:
    """Average per dimension before and after, per group (``by`` = "department" or
    "cohort") and in total, over the leaders who answered both rounds. Two queries.

    A group's average is the mean of its members' answers in that dimension and round
    (every leader answers every statement of their version, so this is also the mean
    of the leaders' own averages when they answered the same version). A group below
    the minimum shows no numbers (nor does a total below it). Nor does the smallest other
    group when one small group could otherwise be worked out from the total
    (:func:`_also_hidden`).
    """
    both = answered_both(leaders, programme)
    if by == "cohort":
        place = Enrolment.objects.filter(
            leader=OuterRef("response__leader"),
            programme=programme,
            status=Enrolment.Status.ENROLLED,
        )
        key, name = "group_key", "group_name"
        answers = Answer.objects.annotate(
            group_key=Subquery(place.values("cohort")[:1]),
            group_name=Subquery(place.values("cohort__name")[:1]),
        )
    else:
        key, name = "response__leader__department", "response__leader__department__name"
        answers = Answer.objects.all()
    answers = answers.filter(response__programme=programme, response__leader__in=both.values("pk"))
    rows = (
        answers.values(key, name, "response__round", "statement__dimension")
        .annotate(
            total=Sum("score"),
            n=Count("pk"),
            people=Count("response__leader", distinct=True),
        )
        .order_by()
    )
    groups: dict[object, GroupScores] = {}
    total = GroupScores(key=None, name=str(_("All leaders in the selection")))
    for row in rows:
        group = groups.setdefault(row[key], GroupScores(key=row[key], name=row[name] or ""))
        # Everyone in a group answered both rounds, so any (round, dimension) counts them all.
        group.leaders = max(group.leaders, row["people"])
        cell = (row["response__round"], row["statement__dimension"])
        group.sums[cell][0] += row["total"]
        group.sums[cell][1] += row["n"]
        total.sums[cell][0] += row["total"]
        total.sums[cell][1] += row["n"]
    # Each leader is in one department, and in at most one cohort (or none: a group of its own).
    total.leaders = sum(g.leaders for g in groups.values())
    extra = _also_hidden(list(groups.values()))
    result = [_finish(g, hide=g.key in extra) for g in groups.values()]
    return sorted(result, key=lambda g: g.name), _finish(total)


def response_counts(leaders: QuerySet[Leader], programme: Programme) -> dict[str, int]:
    """How many of the leaders answered each round (counts only, no scores)."""
    rows = (
        AssessmentResponse.objects.filter(programme=programme, leader__in=leaders.values("pk"))
        .values("round")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["round"]: row["n"] for row in rows}


def csv_header() -> list[str]:
    return [
        gettext("Grouped by"),
        gettext("Group"),
        gettext("Leaders who answered both rounds"),
        gettext("Dimension"),
        gettext("Before"),
        gettext("After"),
        pgettext("difference", "Change"),
    ]


def _number(value: Decimal | None) -> str:
    # Danish spreadsheets read a decimal comma; the file is for people, not machines.
    return "" if value is None else formats.number_format(value, 1)


def csv_rows(kind: str, group: GroupScores) -> list[list]:
    """One row per dimension; a group below the minimum says so, with no numbers."""
    name = neutralise(group.name)
    if group.too_few:
        return [[kind, name, "", "", gettext("too few answers"), "", ""]]
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
