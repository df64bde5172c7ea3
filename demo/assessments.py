"""The demo's self-assessments (baselines, and follow-ups whose scores moved) and
initiatives in every status, with their status history."""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import Exists, OuterRef

from demo.data import COHORT_PATTERNS
from outcomes import assessment
from outcomes.models import (
    Answer,
    AssessmentResponse,
    Initiative,
    InitiativeStatusChange,
    Questionnaire,
)
from programme.db import analyze, copy_rows
from programme.models import Cohort, Department, Enrolment, Leader, Programme, Session

IMPROVEMENT = {"leadership": 0.6, "it": 0.9, "people": 0.3, "processes": 0.7, "tasks": 0.5}
# Cohort patterns (by index) whose leaders answered the follow-up too.
FOLLOW_UP_PATTERNS = {0, 1, 2}
FREE_TEXTS = [
    "Jeg vil gerne blive bedre til at bruge data, når vi prioriterer.",
    "Mine medarbejdere er usikre på de nye systemer; jeg vil hjælpe dem bedre.",
    "Jeg vil tænke mere på tværs af centrene.",
    "At få gevinsterne af vores digitale løsninger hjem.",
    "",
    "",
]


# Responses planned, then saved with their answers, this many at a time.
SAVED_AT_ONCE = 10_000


def _score(level: float, rng: random.Random) -> int:
    return max(1, min(5, round(level + rng.uniform(-0.9, 0.9))))


def _self_assessments(programme: Programme, as_of: dt.datetime, rng: random.Random) -> None:
    """Baselines for the leaders of cohorts that have begun; follow-ups, with scores that
    moved (and not for everyone alike), for the first cohorts. Those with both rounds are
    counted in the statistics as a follow-up through the page would count them."""
    questionnaire = Questionnaire.current()
    if questionnaire is None:
        return
    answered = set(
        AssessmentResponse.objects.filter(programme=programme).values_list("leader_id", flat=True)
    )
    # Millions of answers at a national size: their rule checked once, at the end.
    with assessment.answers_checked_at_the_end():
        _answer(programme, questionnaire, answered, as_of, rng)
        # Planned with statistics of the rows just written: without them PostgreSQL took
        # the answer tables for empty and counted 300,000 leaders' sums for minutes.
        analyze(Leader, AssessmentResponse, Answer)
    assessment.count_in_statistics(programme, Leader.objects.all())


def _answer(
    programme: Programme,
    questionnaire: Questionnaire,
    answered: set[int],
    as_of: dt.datetime,
    rng: random.Random,
) -> None:
    """Plan each leader's responses and save them, :data:`SAVED_AT_ONCE` at a time."""
    statements = list(questionnaire.statements.all())
    cohorts, sessions, places = _cohorts_and_places(programme)
    pattern = {c.pk: n % len(COHORT_PATTERNS) for n, c in enumerate(cohorts)}
    plans = []  # (response, {statement: score})
    for leader_id, place in places.items():
        own = sessions.get(place.cohort_id, [])
        if leader_id in answered or not own or own[0].ends_at > as_of or rng.random() > 0.9:
            continue
        level = rng.uniform(1.6, 3.4)
        baseline = {s: _score(level, rng) for s in statements}
        plans.append(
            (
                AssessmentResponse(
                    leader_id=leader_id,
                    programme=programme,
                    questionnaire=questionnaire,
                    round=AssessmentResponse.Round.BASELINE,
                    free_text=rng.choice(FREE_TEXTS),
                    submitted_at=min(place.requested_at + dt.timedelta(days=3), own[0].starts_at),
                ),
                baseline,
            )
        )
        if pattern[place.cohort_id] in FOLLOW_UP_PATTERNS and rng.random() < 0.85:
            moved = {d: gain * rng.uniform(0.0, 2.0) for d, gain in IMPROVEMENT.items()}
            plans.append(
                (
                    AssessmentResponse(
                        leader_id=leader_id,
                        programme=programme,
                        questionnaire=questionnaire,
                        round=AssessmentResponse.Round.FOLLOW_UP,
                        free_text=rng.choice(FREE_TEXTS),
                        submitted_at=own[-1].ends_at + dt.timedelta(days=2),
                    ),
                    {s: _score(level + moved[s.dimension], rng) for s in statements},
                )
            )
        if len(plans) >= SAVED_AT_ONCE:  # a national demo's plans would hold a gigabyte
            _save(plans)
            plans = []
    _save(plans)


def _cohorts_and_places(programme: Programme) -> tuple[list[Cohort], dict[int, list], dict]:
    """The cohorts in order of their number, each one's sessions in time (``starts_at``,
    ``ends_at``), and each seated leader's place (``cohort_id``, ``requested_at``) by
    leader: rows, not model instances (a national demo's places would hold 200 MB)."""
    cohorts = sorted(
        Cohort.objects.filter(programme=programme), key=lambda c: int(c.name.split()[-1])
    )
    sessions: dict[int, list] = {}
    for session in (
        Session.objects.filter(cohort__in=cohorts)
        .order_by("starts_at")
        .values_list("cohort_id", "starts_at", "ends_at", named=True)
    ):
        sessions.setdefault(session.cohort_id, []).append(session)
    seated = (
        Enrolment.objects.filter(
            programme=programme, status=Enrolment.Status.ENROLLED, cohort__in=cohorts
        )
        .order_by("leader_id")
        .values_list("leader_id", "cohort_id", "requested_at", named=True)
    )
    return cohorts, sessions, {e.leader_id: e for e in seated.iterator(chunk_size=5000)}


def _save(plans: list[tuple[AssessmentResponse, dict]]) -> None:
    """The planned responses in bulk, their answers (millions at a national scale)
    streamed as plain rows."""
    if not plans:
        return
    responses = AssessmentResponse.objects.bulk_create([r for r, _ in plans], batch_size=2000)
    copy_rows(
        Answer,
        ["response_id", "statement_id", "score"],
        (
            (response.pk, statement.pk, score)
            for response, (_, scores) in zip(responses, plans, strict=True)
            for statement, score in scores.items()
        ),
    )


INITIATIVE_IDEAS = [
    (
        "Digital post til borgerne",
        "Breve på papir er dyre og når ikke altid frem.",
        "Færre breve og hurtigere svar",
    ),
    (
        "Selvbetjening af pladsanvisning",
        "Forældre ringer for at høre om pladser.",
        "Færre opkald, mere tid til rådgivning",
    ),
    (
        "Tablets i hjemmeplejen",
        "Medarbejderne dokumenterer først, når de er tilbage på kontoret.",
        "Mere tid hos borgeren",
    ),
    (
        "Fælles booking af mødelokaler",
        "Lokaler står tomme, mens andre mangler plads.",
        "Bedre udnyttelse af lokalerne",
    ),
    (
        "Dataoverblik over sygefravær",
        "Vi opdager først fravær, når det er blevet langvarigt.",
        "Tidligere og bedre samtaler",
    ),
    (
        "Robot til fakturabehandling",
        "Manuelle indtastninger giver fejl og ventetid.",
        "Færre fejl og frigjort tid",
    ),
    (
        "Digital vagtplan",
        "Vagtbytte sker på sedler og i sms'er.",
        "Overblik for både leder og medarbejdere",
    ),
    (
        "Sensorer i de kommunale bygninger",
        "Vi varmer lokaler op, der ikke bruges.",
        "Lavere energiforbrug",
    ),
]
STATUS_WEIGHTS = [
    (Initiative.Status.IDEA, 25),
    (Initiative.Status.PLANNED, 25),
    (Initiative.Status.IN_PROGRESS, 30),
    (Initiative.Status.DONE, 12),
    (Initiative.Status.ABANDONED, 8),
]
STATUS_PATH = list(Initiative.Status)[:4]


def _steps(status: str) -> list[str]:
    """The statuses an initiative went through to ``status``."""
    if status == Initiative.Status.ABANDONED:
        return [Initiative.Status.IDEA, Initiative.Status.ABANDONED]
    return STATUS_PATH[: STATUS_PATH.index(status) + 1]


def _initiatives(programme: Programme, as_of: dt.datetime, rng: random.Random) -> None:
    """An initiative for most leaders of cohorts that have begun, in every status; a
    third of them shared with all leaders."""
    have = set(Initiative.objects.filter(programme=programme).values_list("leader_id", flat=True))
    started = Session.objects.filter(cohort=OuterRef("cohort"), starts_at__lte=as_of)
    seated = (
        Enrolment.objects.filter(programme=programme, status=Enrolment.Status.ENROLLED)
        .filter(Exists(started))
        .order_by("leader_id")
        .values_list("leader_id", "requested_at", "leader__department_id", named=True)
    )
    departments = list(Department.objects.order_by("pk")[:20])
    statuses = [s for s, _ in STATUS_WEIGHTS]
    weights = [w for _, w in STATUS_WEIGHTS]
    planned = []
    for place in seated.iterator(chunk_size=5000):  # not all held at once
        if place.leader_id in have or rng.random() > 0.7:
            continue
        title, problem, benefit = rng.choice(INITIATIVE_IDEAS)
        status = rng.choices(statuses, weights)[0]
        dimensions = rng.sample(list(Initiative.DIMENSION_FIELDS.values()), rng.randint(1, 3))
        other = rng.choice(departments) if rng.random() < 0.3 else None
        created = place.requested_at + dt.timedelta(days=rng.randint(10, 40))
        # Room for the steps to its status, ten days apart, before as_of.
        created = min(created, as_of - dt.timedelta(days=41))
        steps = _steps(status)
        planned.append(
            Initiative(
                leader_id=place.leader_id,
                programme=programme,
                title=title,
                problem=problem,
                expected_benefit=benefit,
                other_department=other
                if other and other.pk != place.leader__department_id
                else None,
                status=status,
                abandoned_reason="Projektet blev lagt ind under et fælleskommunalt initiativ."
                if status == Initiative.Status.ABANDONED
                else "",
                next_step_on=(as_of + dt.timedelta(days=rng.randint(7, 90))).date()
                if status not in (Initiative.Status.DONE, Initiative.Status.ABANDONED)
                else None,
                created_at=created,
                changed_at=created + dt.timedelta(days=10 * (len(steps) - 1)),
                # A third shared in the catalogue of ideas (by id: the random draws, and
                # so the rest of the demo, stay as they were).
                shared_at=created if place.leader_id % 3 == 0 else None,
                **dict.fromkeys(dimensions, True),
            )
        )
    _status_history(Initiative.objects.bulk_create(planned, batch_size=2000))


def _status_history(initiatives: list[Initiative]) -> None:
    """Each initiative's way to its status, ten days a step (streamed as rows)."""
    copy_rows(
        InitiativeStatusChange,
        ["initiative_id", "status", "reason", "changed_at"],
        (
            (
                initiative.pk,
                status,
                initiative.abandoned_reason if status == Initiative.Status.ABANDONED else "",
                initiative.created_at + dt.timedelta(days=10 * n),
            )
            for initiative in initiatives
            for n, status in enumerate(_steps(initiative.status))
        ),
    )
