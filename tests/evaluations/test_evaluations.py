"""Session evaluations: a leader who attended answers once while it is open; others see
only averages over whole blocks, texts only beside them and without names; the leaders
are asked once by e-mail; the personal data holds them and anonymisation keeps only the
numbers."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.personal_data import personal_data
from accounts.privacy import anonymise_leader
from evaluations import rules
from evaluations.models import Evaluation, EvaluationRequest
from programme.models import Attendance, Facilitator, Session, StatisticsEntry
from tests.conftest import local, make_leader, make_user

FIRST_ENDS = local(2016, 1, 12, 15)  # Hold 1's first session: 12 January 2016, 9-15
AFTER = local(2016, 1, 13, 10)


@pytest.fixture
def facilitator(cohort):
    facilitator = Facilitator.objects.create(
        name="Lene Holm", user=make_user("lene@albertslund.dk")
    )
    Session.objects.filter(cohort=cohort).update(facilitator=facilitator)
    return facilitator


@pytest.fixture
def first(cohort, facilitator):
    return cohort.sessions.select_related("module").order_by("starts_at")[0]


@pytest.fixture
def k(settings):
    settings.ASSESSMENT_MIN_GROUP = 3
    return 3


def attended(leader, session, status=Attendance.Status.PRESENT):
    return Attendance.objects.create(leader=leader, session=session, status=status)


def leaders(department, n, prefix="l"):
    return [
        make_leader(f"{prefix}{i}@albertslund.dk", f"Leder {prefix}{i}", department, f"{prefix}{i}")
        for i in range(n)
    ]


def answer(leader, session, relevance=4, facilitation=5, different="", now=AFTER):
    return rules.submit(
        leader=leader,
        session=session,
        relevance=relevance,
        facilitation=facilitation,
        different=different,
        now=now,
    )


def answer_page(session):
    return reverse("evaluations:answer", args=[session.pk])


# --- Answering -------------------------------------------------------------------------


def test_a_leader_who_attended_answers_once_and_is_counted_at_once(client, settings, leader, first):
    attended(leader, first, Attendance.Status.LATE)
    settings.PORTAL_CLOCK = AFTER.isoformat()
    client.force_login(leader.user)
    assert client.get(answer_page(first)).status_code == 200
    response = client.post(
        answer_page(first), {"relevance": "4", "facilitation": "5", "different": "Mere fokus"}
    )
    assert response.status_code == 302
    evaluation = Evaluation.objects.get(leader=leader, session=first)
    assert (evaluation.relevance, evaluation.facilitation) == (4, 5)
    assert evaluation.different == "Mere fokus"
    entry = StatisticsEntry.objects.get(scope__kind="evaluation")
    assert entry.subject == f"evaluation:{evaluation.pk}"
    assert (entry.leaf, entry.parent) == (f"session:{first.pk}", f"module:{first.module_id}")
    # Their own answers, read only; a second answer is refused.
    page = client.get(answer_page(first))
    assert page.context["own"] == evaluation and "Mere fokus" in page.text
    with pytest.raises(rules.EvaluationError):
        answer(leader, first)
    assert Evaluation.objects.count() == 1


def test_a_missing_score_is_said_next_to_the_question_and_nothing_is_saved(
    client, settings, leader, first
):
    attended(leader, first)
    settings.PORTAL_CLOCK = AFTER.isoformat()
    client.force_login(leader.user)
    response = client.post(answer_page(first), {"relevance": "6", "different": "x"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"relevance", "facilitation"}
    assert Evaluation.objects.count() == 0


def test_only_leaders_recorded_present_or_late_may_evaluate(
    client, settings, leader, colleague, outsider, first
):
    attended(colleague, first, Attendance.Status.ABSENT)
    attended(outsider, first, Attendance.Status.EXCUSED)
    settings.PORTAL_CLOCK = AFTER.isoformat()
    for person in (leader, colleague, outsider):
        client.force_login(person.user)
        assert client.get(answer_page(first)).status_code == 404
        assert client.post(answer_page(first), {"relevance": 3}).status_code == 404
        with pytest.raises(rules.EvaluationError):
            answer(person, first)


def test_the_evaluation_opens_when_the_session_ends_and_closes_after_the_open_days(
    client, settings, leader, first
):
    attended(leader, first)
    closes = FIRST_ENDS + dt.timedelta(days=settings.EVALUATION_OPEN_DAYS)
    assert rules.closes_at(first) == closes
    client.force_login(leader.user)
    for moment, is_open in [
        (FIRST_ENDS - dt.timedelta(minutes=1), False),
        (FIRST_ENDS, True),
        (closes - dt.timedelta(minutes=1), True),
        (closes, False),
    ]:
        settings.PORTAL_CLOCK = moment.isoformat()
        assert client.get(answer_page(first)).context["is_open"] is is_open
        assert [s.pk for s in rules.waiting(leader, moment)] == ([first.pk] if is_open else [])
    client.post(answer_page(first), {"relevance": 1, "facilitation": 1})
    assert Evaluation.objects.count() == 0


def test_the_dashboard_asks_for_the_evaluation_until_it_is_answered(
    client, settings, leader, first
):
    attended(leader, first)
    settings.PORTAL_CLOCK = AFTER.isoformat()
    client.force_login(leader.user)
    page = client.get(reverse("dashboard:dashboard"))
    assert answer_page(first) in page.text
    answer(leader, first)
    page = client.get(reverse("dashboard:dashboard"))
    assert answer_page(first) not in page.text


def test_the_database_refuses_a_score_outside_1_to_5_and_a_second_evaluation(leader, first):
    attended(leader, first)
    with pytest.raises(IntegrityError), transaction.atomic():
        Evaluation.objects.create(
            leader=leader,
            session=first,
            module=first.module,
            relevance=6,
            facilitation=3,
            submitted_at=AFTER,
        )
    answer(leader, first)
    with pytest.raises(IntegrityError), transaction.atomic():
        Evaluation.objects.create(
            leader=leader,
            session=first,
            module=first.module,
            relevance=3,
            facilitation=3,
            submitted_at=AFTER,
        )


def test_a_leader_at_two_sessions_of_a_module_evaluates_one_and_is_asked_once(
    client, settings, leader, first, other_cohort
):
    from post_office.models import Email

    again = other_cohort.sessions.get(module=first.module)  # Hold 2's, 23 February
    attended(leader, first)
    attended(leader, again)
    later = again.ends_at + dt.timedelta(hours=1)
    assert rules.ask(later - dt.timedelta(days=30)) == 1  # the first, once ended
    assert rules.ask(later) == 0
    assert Email.objects.count() == 1
    answer(leader, first)
    assert rules.waiting(leader, later) == []
    with pytest.raises(rules.EvaluationError):
        answer(leader, again, now=later)
    client.force_login(leader.user)
    settings.PORTAL_CLOCK = later.isoformat()
    page = client.get(answer_page(again))
    assert page.context["own"].session == first and not page.context["is_open"]


# --- What others see -----------------------------------------------------------------


def test_the_facilitator_sees_a_sessions_average_only_once_a_block_has_formed(
    client, settings, k, department_a, facilitator, first
):
    people = leaders(department_a, k)
    for person in people:
        attended(person, first)
    settings.PORTAL_CLOCK = AFTER.isoformat()
    client.force_login(facilitator.user)
    mine = reverse("evaluations:mine")
    detail = reverse("evaluations:session", args=[first.pk])
    for person, score in zip(people[:-1], [2, 4], strict=True):
        answer(person, first, relevance=score, facilitation=score, different=f"Tekst {score}")
        [row] = client.get(mine).context["overview"].sessions
        assert row.too_few and row.relevance is None
        page = client.get(detail)
        assert page.context["row"].too_few and "Tekst" not in page.text
    answer(people[-1], first, relevance=3, facilitation=5, different="")
    overview = client.get(mine).context["overview"]
    [row] = overview.sessions
    assert (row.people, str(row.relevance), str(row.facilitation)) == (3, "3.0", "3.7")
    assert overview.total.people == 3
    page = client.get(detail)
    # The texts of the same leaders, sorted, without names; the empty one left out.
    assert page.context["row"].texts == ["Tekst 2", "Tekst 4"]
    for person in people:
        assert person.name not in page.text


def test_hr_sees_modules_facilitators_and_sessions_and_the_leftovers_only_combined_per_module(
    client, settings, k, hr, department_a, facilitator, cohort, other_cohort
):
    first = cohort.sessions.order_by("starts_at")[0]
    other = other_cohort.sessions.order_by("starts_at")[0]  # the same module, by nobody
    assert other.module_id == first.module_id and other.facilitator_id is None
    people = leaders(department_a, 4)
    settings.PORTAL_CLOCK = local(2016, 2, 24, 9).isoformat()
    for person in people[:2]:
        attended(person, first)
        answer(person, first, relevance=5, now=local(2016, 1, 13))
    for person in people[2:]:
        attended(person, other)
        answer(person, other, relevance=2, now=local(2016, 2, 24))
    # Two answers in another module, by two of the same leaders: with the first module's
    # leftover, three over the programme, but leftovers combine per module only (over
    # the programme, one leader's answers to several modules could fill a block).
    second = cohort.sessions.order_by("starts_at")[1]
    for person in people[:2]:
        attended(person, second)
        answer(person, second, now=local(2016, 2, 10))
    client.force_login(hr)
    overview = client.get(reverse("evaluations:overview")).context["overview"]
    assert all(row.too_few for row in overview.sessions + overview.modules + overview.facilitators)
    assert overview.total.too_few

    # Once no evaluation can arrive: three of the four combine in the module, one waits.
    end = rules.statistics_close_at(cohort.programme)
    assert not rules.close_statistics(cohort.programme, end - dt.timedelta(seconds=1))
    settings.PORTAL_CLOCK = end.isoformat()
    call_command("close_places", stdout=io.StringIO())
    overview = client.get(reverse("evaluations:overview")).context["overview"]
    modules = {row.name: row for row in overview.modules}
    assert modules[first.module.title].people == 3
    assert overview.total.people == 3
    # Sessions and facilitators are unions of sessions: no block lies in one.
    assert all(row.too_few for row in overview.sessions + overview.facilitators)
    texts = client.get(reverse("evaluations:session", args=[first.pk])).context["row"].texts
    assert texts == []


def test_nobody_but_hr_and_the_sessions_facilitator_sees_its_page(
    client, leader, manager_a, facilitator, first, other_cohort
):
    detail = reverse("evaluations:session", args=[first.pk])
    for user in (leader.user, manager_a):
        client.force_login(user)
        assert client.get(detail).status_code == 404
        assert client.get(reverse("evaluations:overview")).status_code == 403
        assert client.get(reverse("evaluations:mine")).status_code == 403
    client.force_login(facilitator.user)
    assert client.get(detail).status_code == 200
    not_theirs = other_cohort.sessions.order_by("starts_at")[0]
    assert client.get(reverse("evaluations:session", args=[not_theirs.pk])).status_code == 404
    assert client.get(reverse("evaluations:overview")).status_code == 403


# --- Asking by e-mail ----------------------------------------------------------------


def test_each_leader_who_attended_is_asked_once_by_e_mail(
    settings, leader, colleague, outsider, first, cohort
):
    from post_office.models import Email

    attended(leader, first)
    attended(colleague, first, Attendance.Status.LATE)
    attended(outsider, first, Attendance.Status.ABSENT)
    assert rules.ask(FIRST_ENDS - dt.timedelta(minutes=1)) == 0  # not ended yet
    assert rules.ask(AFTER) == 2
    assert rules.ask(AFTER) == 0
    settings.PORTAL_CLOCK = (AFTER + dt.timedelta(hours=1)).isoformat()
    call_command("close_places", stdout=io.StringIO())
    emails = {e.to[0]: e for e in Email.objects.all()}
    assert set(emails) == {leader.user.email, colleague.user.email}
    body = emails[leader.user.email].message
    assert body.startswith(f"Kære {leader.name}") and "Kick-off" in body
    assert reverse("evaluations:answer", args=[first.pk]) in body
    assert emails[leader.user.email].subject == "Hvordan var Kick-off?"
    assert EvaluationRequest.objects.count() == 2


def test_nobody_is_asked_who_answered_already_or_after_the_evaluation_closed(
    settings, leader, colleague, first
):
    attended(leader, first)
    attended(colleague, first)
    answer(leader, first)
    assert rules.ask(rules.closes_at(first)) == 0
    assert rules.ask(AFTER) == 1
    assert list(EvaluationRequest.objects.values_list("leader", flat=True)) == [colleague.pk]


# --- Personal data ---------------------------------------------------------------------


def test_the_personal_data_holds_the_evaluations_and_anonymisation_keeps_only_the_numbers(
    leader, first
):
    attended(leader, first)
    answer(leader, first, relevance=2, facilitation=3, different="Spørge mere")
    [own] = personal_data(leader)["session_evaluations"]
    assert (own["module"], own["relevance"], own["facilitator"]) == ("Kick-off", 2, 3)
    assert own["what_you_will_do_differently"] == "Spørge mere"
    leader.left_on = dt.date(2016, 1, 14)
    leader.save()
    anonymise_leader(leader, now=local(2017, 2, 1))
    evaluation = Evaluation.objects.get()
    assert (evaluation.relevance, evaluation.facilitation, evaluation.different) == (2, 3, "")
    assert StatisticsEntry.objects.filter(scope__kind="evaluation").count() == 1
