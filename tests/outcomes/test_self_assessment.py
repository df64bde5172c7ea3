"""The self-assessment: its rounds' windows, answering through the page, and the
questionnaire that cannot change once answered (model, admin and database)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

import booking
from outcomes import assessment
from outcomes.models import (
    Answer,
    AssessmentResponse,
    Dimension,
    Questionnaire,
    QuestionnaireFrozen,
    Statement,
)
from tests.conftest import local

FORM = reverse("outcomes:self_assessment")
RESULT = reverse("outcomes:assessment_result")
DASHBOARD = reverse("dashboard:dashboard")
ENROLLED_AT = local(2016, 1, 5)
# Hold 1 (tests/conftest.py): sessions on 12.1, 9.2 and 8.3.2016, 9-15.
FIRST_SESSION_ENDS = local(2016, 1, 12, 15)
LAST_SESSION_STARTS = local(2016, 3, 8, 9)
PROGRAMME_ENDS = local(2016, 8, 1, 0)


@pytest.fixture
def seated(leader, cohort):
    booking.enrol(leader=leader, cohort=cohort, now=ENROLLED_AT)
    return leader


def at(settings, moment: dt.datetime) -> None:
    """Start the portal's clock at ``moment`` (it runs on from there)."""
    settings.PORTAL_CLOCK = moment.isoformat()


def answers(questionnaire: Questionnaire, score=lambda statement: 3, free_text="") -> dict:
    data = {f"statement_{s.pk}": score(s) for s in questionnaire.statements.all()}
    data["free_text"] = free_text
    return data


def test_the_portal_ships_a_danish_questionnaire_over_the_five_dimensions(db):
    questionnaire = Questionnaire.current()
    statements = list(questionnaire.statements.all())
    assert 15 <= len(statements) <= 20
    assert {s.dimension for s in statements} == set(Dimension.values)
    assert "Jeg tager initiativ til at digitalisere opgaver i mit eget område." in [
        s.text for s in statements
    ]
    assert questionnaire.low_label == "Helt uenig"


def test_the_baseline_is_open_from_enrolment_until_the_first_session_ends(seated, programme):
    place = assessment.place_with_dates(seated, programme)
    second = dt.timedelta(seconds=1)
    assert assessment.open_round(programme, place, ENROLLED_AT - second) is None
    assert assessment.open_round(programme, place, ENROLLED_AT).round == "baseline"
    assert assessment.open_round(programme, place, FIRST_SESSION_ENDS - second).round == "baseline"
    assert assessment.open_round(programme, place, FIRST_SESSION_ENDS) is None


def test_the_follow_up_is_open_from_the_last_session_until_the_programme_ends(seated, programme):
    place = assessment.place_with_dates(seated, programme)
    second = dt.timedelta(seconds=1)
    assert assessment.open_round(programme, place, LAST_SESSION_STARTS - second) is None
    assert assessment.open_round(programme, place, LAST_SESSION_STARTS).round == "follow_up"
    assert assessment.open_round(programme, place, PROGRAMME_ENDS - second).round == "follow_up"
    assert assessment.open_round(programme, place, PROGRAMME_ENDS) is None


def test_a_leader_without_a_seat_has_no_round_open(client, settings, leader, cohort):
    at(settings, local(2016, 1, 8))
    client.force_login(leader.user)
    response = client.get(FORM)
    assert "ikke åben" in response.text
    assert response.context.get("form") is None


def test_the_dashboard_asks_for_the_open_round_in_the_next_step_box(client, settings, seated):
    at(settings, local(2016, 1, 8))
    client.force_login(seated.user)
    response = client.get(DASHBOARD)
    assert "Besvar selvevalueringen (Før (udgangspunkt))" in response.text
    assert FORM in response.text


def test_the_dashboard_does_not_ask_when_no_round_is_open(client, settings, seated):
    at(settings, local(2016, 2, 1))
    client.force_login(seated.user)
    assert "Besvar selvevalueringen" not in client.get(DASHBOARD).text


def test_a_leader_answers_the_baseline_and_can_revise_it_while_open(
    client, settings, seated, programme
):
    at(settings, local(2016, 1, 8))
    client.force_login(seated.user)
    questionnaire = Questionnaire.current()
    response = client.post(FORM, answers(questionnaire, free_text="Mere data"))
    assert response.status_code == 302
    saved = AssessmentResponse.objects.get(leader=seated, round="baseline")
    assert saved.answers.count() == questionnaire.statements.count()
    assert saved.free_text == "Mere data"

    client.post(FORM, answers(questionnaire, score=lambda s: 4))
    saved.refresh_from_db()
    assert {a.score for a in saved.answers.all()} == {4}
    assert AssessmentResponse.objects.filter(leader=seated).count() == 1
    # Once answered, the dashboard no longer asks.
    assert "Besvar selvevalueringen" not in client.get(DASHBOARD).text


def test_a_missing_answer_is_named_in_danish_and_nothing_is_saved(client, settings, seated):
    at(settings, local(2016, 1, 8))
    client.force_login(seated.user)
    data = answers(Questionnaire.current())
    first = Questionnaire.current().statements.order_by("order").first()
    del data[f"statement_{first.pk}"]
    response = client.post(FORM, data)
    assert response.status_code == 400
    assert "Vælg et svar fra 1 til 5 for dette udsagn." in response.text
    assert not AssessmentResponse.objects.exists()
    assert not Answer.objects.exists()


def test_an_answer_outside_the_scale_is_refused(client, settings, seated):
    at(settings, local(2016, 1, 8))
    client.force_login(seated.user)
    response = client.post(FORM, answers(Questionnaire.current(), score=lambda s: 6))
    assert response.status_code == 400
    assert not AssessmentResponse.objects.exists()


def test_answers_after_the_round_closed_are_not_saved(seated, programme):
    questionnaire = Questionnaire.current()
    scores = {s.pk: 3 for s in questionnaire.statements.all()}
    with pytest.raises(assessment.AssessmentError):
        assessment.submit_answers(
            leader=seated,
            programme=programme,
            round="baseline",
            questionnaire=questionnaire,
            scores=scores,
            free_text="",
            now=FIRST_SESSION_ENDS,
        )
    assert not AssessmentResponse.objects.exists()


def test_the_database_refuses_a_score_outside_1_to_5(seated, programme):
    response = AssessmentResponse.objects.create(
        leader=seated,
        programme=programme,
        questionnaire=Questionnaire.current(),
        round="baseline",
        submitted_at=ENROLLED_AT,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(
            response=response, statement=Questionnaire.current().statements.first(), score=0
        )


# --- A questionnaire with answers is frozen ---------------------------------------------


@pytest.fixture
def answered(seated, programme):
    questionnaire = Questionnaire.current()
    return assessment.submit_answers(
        leader=seated,
        programme=programme,
        round="baseline",
        questionnaire=questionnaire,
        scores={s.pk: 2 for s in questionnaire.statements.all()},
        free_text="",
        now=local(2016, 1, 8),
    ).questionnaire


def test_a_statement_of_an_answered_questionnaire_cannot_be_reworded(answered):
    statement = answered.statements.first()
    statement.text = "Noget helt andet"
    with pytest.raises(QuestionnaireFrozen):
        statement.save()


def test_no_statement_can_be_added_to_or_removed_from_an_answered_questionnaire(answered):
    with pytest.raises(QuestionnaireFrozen):
        Statement.objects.create(questionnaire=answered, dimension="it", order=99, text="Ny")
    with pytest.raises(QuestionnaireFrozen):
        answered.statements.last().delete()


def test_the_scale_of_an_answered_questionnaire_cannot_change(answered):
    answered.high_label = "Meget enig"
    with pytest.raises(QuestionnaireFrozen):
        answered.save()


def test_the_database_refuses_to_change_an_answered_questionnaire(answered):
    with pytest.raises(IntegrityError), transaction.atomic():
        Statement.objects.filter(questionnaire=answered).update(dimension="tasks")
    with pytest.raises(IntegrityError), transaction.atomic():
        Statement.objects.bulk_create(
            [Statement(questionnaire=answered, dimension="it", order=99, text="Ny")]
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Questionnaire.objects.filter(pk=answered.pk).update(low_label="Uenig")
    # Its title may still be corrected: it changes no answer's meaning.
    Questionnaire.objects.filter(pk=answered.pk).update(title="Selvevaluering 2016")


def test_the_database_refuses_an_answer_to_another_versions_statement(answered, seated):
    newer = answered.new_version()
    response = AssessmentResponse.objects.get(leader=seated)
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(response=response, statement=newer.statements.first(), score=3)


def test_answers_written_in_bulk_never_keep_one_to_another_versions_statement(answered, seated):
    # On PostgreSQL the trigger is off inside the block and the rule is checked over
    # every answer at its end; elsewhere the trigger refuses the row at once.
    newer = answered.new_version()
    response = AssessmentResponse.objects.get(leader=seated)
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        assessment.answers_checked_at_the_end(),
    ):
        Answer.objects.create(response=response, statement=newer.statements.first(), score=3)
    assert not response.answers.filter(statement__questionnaire=newer).exists()
    # Answers to their own version's statements pass; the trigger is on again after.
    with transaction.atomic(), assessment.answers_checked_at_the_end():
        Answer.objects.filter(response=response).update(score=4)
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(response=response, statement=newer.statements.last(), score=3)
    # A block that fails is undone, the trigger on again, even if the caller goes on.
    with transaction.atomic():
        try:
            with assessment.answers_checked_at_the_end():
                raise RuntimeError("the load stops half-way")
        except RuntimeError:
            pass
        with pytest.raises(IntegrityError), transaction.atomic():
            Answer.objects.create(response=response, statement=newer.statements.last(), score=3)


def test_a_new_version_copies_the_statements_and_can_be_changed(answered):
    newer = answered.new_version()
    assert newer.version == answered.version + 1
    assert [s.text for s in newer.statements.all()] == [s.text for s in answered.statements.all()]
    statement = newer.statements.first()
    statement.text = "Omformuleret"
    statement.save()
    assert Questionnaire.current() == newer


def test_the_follow_up_uses_the_baselines_version(answered, seated, programme):
    newer = answered.new_version()
    assert assessment.questionnaire_for(seated, programme, "follow_up") == answered
    assert Questionnaire.current() == newer


def test_hr_sees_an_answered_questionnaire_read_only_in_the_admin(client, hr, answered):
    client.force_login(hr)
    url = reverse("admin:outcomes_questionnaire_change", args=[answered.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert "låst" in response.text
    # The inline has no editable statement and no empty form to add one.
    assert 'name="statements-0-text"' not in response.text
    assert 'name="low_label"' not in response.text


def test_hr_edits_an_unanswered_questionnaire_in_the_admin(client, hr, db):
    client.force_login(hr)
    questionnaire = Questionnaire.current()
    url = reverse("admin:outcomes_questionnaire_change", args=[questionnaire.pk])
    assert 'name="statements-0-text"' in client.get(url).text


def test_hr_makes_a_new_version_with_the_admin_action(client, hr, answered):
    client.force_login(hr)
    response = client.post(
        reverse("admin:outcomes_questionnaire_changelist"),
        {"action": "make_new_version", "_selected_action": [answered.pk]},
    )
    newer = Questionnaire.objects.get(version=answered.version + 1)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:outcomes_questionnaire_change", args=[newer.pk])
    assert newer.statements.count() == answered.statements.count()
