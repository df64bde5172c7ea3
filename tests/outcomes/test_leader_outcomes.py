"""The leader's own side: their initiatives, their picture before and after, and the
personal data (export and anonymisation) of both."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

import booking
from accounts.personal_data import personal_data
from accounts.privacy import anonymise_leader
from outcomes.models import Answer, AssessmentResponse, Initiative, InitiativeStatusChange
from tests.conftest import NOW, local, session_reads
from tests.outcomes.test_outcome_reports import make_initiative, respond

NEW = reverse("outcomes:initiative_new")
LIST = reverse("outcomes:initiative_list")
RESULT = reverse("outcomes:assessment_result")
DASHBOARD = reverse("dashboard:dashboard")


def initiative_data(**extra) -> dict:
    data = {
        "title": "Digital post til forældre",
        "problem": "Breve på papir når ikke frem",
        "dimensions": ["it", "people"],
        "expected_benefit": "Færre opkald",
        "status": "idea",
        "abandoned_reason": "",
        "next_step_on": "2016-02-01",
    }
    data.update(extra)
    return data


@pytest.fixture
def signed_in(client, settings, leader, programme):
    settings.PORTAL_CLOCK = NOW.isoformat()
    client.force_login(leader.user)
    return client


def test_the_dashboard_prompts_for_an_initiative_until_one_exists(signed_in, leader, programme):
    assert NEW in signed_in.get(DASHBOARD).text
    make_initiative(leader, programme)
    assert "Registrér dit eget digitaliseringsinitiativ" not in signed_in.get(DASHBOARD).text


def test_a_leader_registers_an_initiative_and_its_status_is_kept_as_history(
    signed_in, leader, programme
):
    response = signed_in.post(NEW, initiative_data())
    assert response.status_code == 302
    initiative = Initiative.objects.get(leader=leader)
    assert initiative.dimensions == ["it", "people"]
    assert initiative.other_department is None

    url = reverse("outcomes:initiative_edit", args=[initiative.pk])
    signed_in.post(url, initiative_data(status="in_progress"))
    signed_in.post(url, initiative_data(status="in_progress", title="Digital post"))
    history = list(InitiativeStatusChange.objects.filter(initiative=initiative))
    assert [c.status for c in history] == ["idea", "in_progress"]
    assert "Statushistorik" in signed_in.get(LIST).text


def test_an_abandoned_initiative_needs_a_reason(signed_in, leader, programme):
    response = signed_in.post(NEW, initiative_data(status="abandoned"))
    assert response.status_code == 400
    assert "Skriv, hvorfor initiativet blev opgivet." in response.text
    assert not Initiative.objects.exists()


def test_an_initiative_across_areas_names_the_other_department(signed_in, leader, department_b):
    response = signed_in.post(NEW, initiative_data(crosses_areas="on"))
    assert "Vælg det center/den afdeling, det går på tværs ind i." in response.text
    signed_in.post(NEW, initiative_data(crosses_areas="on", other_department=department_b.pk))
    assert Initiative.objects.get().other_department == department_b


def test_an_initiative_needs_a_dimension(signed_in):
    response = signed_in.post(NEW, initiative_data(dimensions=[]))
    assert response.status_code == 400
    assert "Vælg mindst én dimension, initiativet berører." in response.text


def test_a_leader_cannot_see_or_change_a_colleagues_initiative(
    client, settings, leader, colleague, programme
):
    theirs = make_initiative(colleague, programme, title="Kollegaens idé")
    client.force_login(leader.user)
    url = reverse("outcomes:initiative_edit", args=[theirs.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, initiative_data()).status_code == 404
    assert "Kollegaens idé" not in client.get(LIST).text
    theirs.refresh_from_db()
    assert theirs.title == "Kollegaens idé"


# --- The leader's picture after the follow-up -------------------------------------------


@pytest.fixture
def both_rounds(leader, programme, cohort):
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    before = respond(leader, programme, "baseline", lambda s: 2 if s.dimension == "it" else 3)
    after = respond(leader, programme, "follow_up", lambda s: 4 if s.dimension == "it" else 3)
    before.free_text = "Jeg vil lære at bruge data"
    before.save()
    return before, after


def test_before_the_follow_up_there_is_no_picture_yet(signed_in, leader, programme):
    respond(leader, programme, "baseline", lambda s: 3)
    response = signed_in.get(RESULT)
    assert "når du har besvaret opfølgningsrunden" in response.text
    assert "<svg" not in response.text


def test_after_the_follow_up_the_leader_sees_chart_table_and_own_words(signed_in, both_rounds):
    response = signed_in.get(RESULT)
    text = response.text
    assert '<svg role="img"' in text
    scores = {s.dimension: s for s in response.context["scores"]}
    assert (str(scores["it"].before), str(scores["it"].after), str(scores["it"].change)) == (
        "2.0",
        "4.0",
        "2.0",
    )
    assert str(scores["people"].change) == "0.0"
    # The table, in Danish numbers, and the bar widths from the same scores (300 = 5).
    assert '<td class="text-end">2,0</td>' in text and "+2,0" in text
    it_row = next(r for r in response.context["chart"]["rows"] if r["score"].dimension == "it")
    assert (it_row["before_width"], it_row["after_width"]) == (120, 240)
    assert "Jeg vil lære at bruge data" in text
    assert "<script" not in text.split("</main>")[0]


# Session and user with the leader (2), the programme, the responses, the averages.
RESULT_QUERIES = 5


@pytest.mark.parametrize("colleagues", [1, 10])
def test_the_picture_runs_a_fixed_number_of_queries(
    client, leader, programme, both_rounds, department_a, colleagues, django_assert_num_queries
):
    from tests.conftest import make_leader

    for n in range(colleagues * 5):
        other = make_leader(f"y{n}@albertslund.dk", f"Y{n}", department_a, f"6{n:04d}")
        respond(other, programme, "baseline", lambda s: 1)
        respond(other, programme, "follow_up", lambda s: 5)
    client.force_login(leader.user)
    client.get(RESULT)
    # The header reuses the programme and the user's roles: nothing more.
    with django_assert_num_queries(RESULT_QUERIES - 1 + session_reads()):
        response = client.get(RESULT)
    assert str(response.context["scores"][1].after) == "4.0"


# Session and user with the leader and roles (2), the programme (shared with the
# header), the place with its dates, an earlier round's version, the current version,
# its statements, this round's earlier answers.
FORM_QUERIES = 8


@pytest.mark.parametrize("others", [1, 10])
def test_the_questionnaire_page_runs_a_fixed_number_of_queries(
    client, settings, leader, programme, cohort, department_a, others, django_assert_num_queries
):
    from tests.conftest import make_leader

    settings.PORTAL_CLOCK = local(2016, 1, 8).isoformat()
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    for n in range(others * 5):
        other = make_leader(f"z{n}@albertslund.dk", f"Z{n}", department_a, f"7{n:04d}")
        respond(other, programme, "baseline", lambda s: 1)
    client.force_login(leader.user)
    client.get(reverse("outcomes:self_assessment"))
    with django_assert_num_queries(FORM_QUERIES - 1 + session_reads()):
        response = client.get(reverse("outcomes:self_assessment"))
    assert response.context["form"] is not None


# --- Personal data -----------------------------------------------------------------------


def test_my_data_includes_the_answers_and_the_initiatives(client, leader, programme, both_rounds):
    make_initiative(leader, programme, "abandoned", title="Robotstøvsuger")
    client.force_login(leader.user)
    data = json.loads(client.get(reverse("privacy:my_data_json")).content)
    rounds = {a["round"]: a for a in data["self_assessments"]}
    assert rounds["Før (udgangspunkt)"]["free_text"] == "Jeg vil lære at bruge data"
    assert any(line.endswith("= 2") for line in rounds["Før (udgangspunkt)"]["answers"])
    assert data["initiatives"][0]["title"] == "Robotstøvsuger"
    csv_text = client.get(reverse("privacy:my_data_csv")).content.decode("utf-8-sig")
    assert "Robotstøvsuger" in csv_text and "Jeg vil lære at bruge data" in csv_text


def test_anonymisation_keeps_the_numbers_and_removes_the_words(leader, programme, both_rounds):
    make_initiative(leader, programme, "abandoned", title="Søren Ærbøs robot")
    answers_before = sorted(Answer.objects.values_list("statement_id", "score"))
    leader.left_on = dt.date(2016, 1, 1)
    leader.save()
    anonymise_leader(leader, now=NOW)
    assert sorted(Answer.objects.values_list("statement_id", "score")) == answers_before
    assert set(AssessmentResponse.objects.values_list("free_text", flat=True)) == {""}
    initiative = Initiative.objects.get()
    assert "Ærbø" not in initiative.title
    assert (initiative.problem, initiative.expected_benefit) == ("", "")
    assert initiative.status == "abandoned"
    data = personal_data(leader)
    assert all(a["free_text"] == "" for a in data["self_assessments"])


# Session and user with the leader and roles (2), the programme (shared with the
# header), the initiatives, their status history.
LIST_QUERIES = 5


@pytest.mark.parametrize("count", [1, 10])
def test_the_initiative_list_runs_a_fixed_number_of_queries(
    client, leader, programme, department_b, count, django_assert_num_queries
):
    for n in range(count):
        make_initiative(
            leader, programme, "abandoned", title=f"Idé {n}", other_department=department_b
        )
    client.force_login(leader.user)
    client.get(LIST)
    with django_assert_num_queries(LIST_QUERIES - 1 + session_reads()):
        response = client.get(LIST)
    assert response.text.count("<article") == count
