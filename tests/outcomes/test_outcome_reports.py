"""The programme owner's view: averages before and after, only for big enough groups,
in the page and the CSV, within each user's scope; the initiatives counted and listed."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

import booking
from outcomes import assessment
from outcomes.models import AssessmentResponse, Initiative, Questionnaire
from programme.models import Cohort, Department, Leader
from reports.rules import full_scope
from tests.conftest import NOW, local, make_leader, make_session

OUTCOMES = reverse("outcomes:report")
CSV = reverse("outcomes:report_csv")
INITIATIVES_CSV = reverse("outcomes:initiatives_csv")

# Five leaders in department A answer every statement with these scores at baseline;
# at follow-up the leadership statements get the second list, the rest stay the same.
BASELINE = [1, 2, 2, 3, 4]  # mean 2.4
FOLLOW_UP_LEADERSHIP = [3, 3, 4, 4, 5]  # mean 3.8


def respond(leader, programme, round, score_of) -> AssessmentResponse:
    """A leader's answers, written directly (the windows are tested in test_self_assessment),
    then counted in the statistics as the page's submit counts them."""
    questionnaire = Questionnaire.current()
    response = AssessmentResponse.objects.create(
        leader=leader,
        programme=programme,
        questionnaire=questionnaire,
        round=round,
        free_text=f"Hemmeligt fra {leader.name}",
        submitted_at=NOW,
    )
    response.answers.bulk_create(
        response.answers.model(response=response, statement=s, score=score_of(s))
        for s in questionnaire.statements.all()
    )
    assessment.count_in_statistics(programme, Leader.objects.filter(pk=leader.pk))
    return response


@pytest.fixture(autouse=True)
def _inside_the_programme(settings):
    """The pages' clock: inside the programme (after its end, the leftovers are combined)."""
    settings.PORTAL_CLOCK = NOW.isoformat()


@pytest.fixture
def big_cohort(programme, modules) -> Cohort:
    cohort = Cohort.objects.create(
        programme=programme, name="Hold 9", capacity=20, enrolment_deadline=dt.date(2016, 1, 31)
    )
    make_session(cohort, modules[0], local(2016, 1, 12))
    make_session(cohort, modules[1], local(2016, 2, 9))
    return cohort


@pytest.fixture
def answered(programme, big_cohort, leader, colleague, outsider, department_a, department_b):
    """Department A: five leaders with both rounds. Department B: four."""
    team_a = [leader, colleague] + [
        make_leader(f"a{n}@albertslund.dk", f"Leder A{n}", department_a, f"30{n}") for n in range(3)
    ]
    team_b = [outsider] + [
        make_leader(f"b{n}@albertslund.dk", f"Leder B{n}", department_b, f"40{n}") for n in range(3)
    ]
    for person in team_a + team_b:
        booking.enrol(leader=person, cohort=big_cohort, now=local(2016, 1, 4))
    for i, person in enumerate(team_a):
        respond(person, programme, "baseline", lambda s, i=i: BASELINE[i])
        respond(
            person,
            programme,
            "follow_up",
            lambda s, i=i: FOLLOW_UP_LEADERSHIP[i] if s.dimension == "leadership" else BASELINE[i],
        )
    for person in team_b:
        respond(person, programme, "baseline", lambda s: 1)
        respond(person, programme, "follow_up", lambda s: 5)
    return team_a, team_b


def by_unit(groups) -> dict:
    return {g.name: g for g in groups}


def test_the_averages_equal_a_hand_computation(answered, programme, department_a):
    groups, total = assessment.aggregates(full_scope(), programme, department=department_a)
    (group,) = groups
    assert group.leaders == 5 and not group.too_few
    scores = {s.dimension: s for s in group.scores}
    assert scores["leadership"].before == Decimal("2.4")
    assert scores["leadership"].after == Decimal("3.8")
    assert scores["leadership"].change == Decimal("1.4")
    assert scores["it"].before == scores["it"].after == Decimal("2.4")
    assert total.leaders == 5 and total.scores == group.scores


def test_a_department_of_four_shows_too_few_answers_and_the_total_gives_nothing_away(
    answered, programme, department_a, department_b
):
    groups, total = assessment.aggregates(full_scope(), programme, grouping="department")
    groups = by_unit(groups)
    b = groups["Center for Børn og Familier"]
    assert b.too_few and b.scores == [] and b.leaders == 0
    # A is shown; the total is over the same block (B's four wait for a fifth), so the
    # total less A is nothing, not B.
    assert groups["Center for Økonomi og Styring"].leaders == 5
    assert total.leaders == 5
    assert total.scores == groups["Center for Økonomi og Styring"].scores


def test_the_page_shows_a_managers_departments_only(client, answered, manager_a):
    client.force_login(manager_a)
    response = client.get(OUTCOMES)
    assert response.status_code == 200
    assert "Center for Økonomi og Styring" in response.text
    assert "Center for Børn og Familier" not in response.text
    assert "3,8" in response.text  # A's leadership after, in Danish
    assert "5 ledere" in response.text


def test_a_department_with_four_answers_shows_for_faa_besvarelser(client, answered, manager_b):
    client.force_login(manager_b)
    response = client.get(OUTCOMES)
    assert "for få besvarelser endnu" in response.text
    assert "5,0" not in response.text and "1,0" not in response.text
    # No count of the answers either (the forecast above it counts leaders, not answers).
    section = response.text.split('id="assessment-heading"')[1].split('id="initiatives-heading"')[0]
    assert "for få besvarelser endnu" in section
    assert "4 ledere" not in section


def test_a_level_filter_does_not_reach_the_averages(client, answered, manager_a):
    """A group cut by level would not be whole blocks: the self-assessment ignores it."""
    team_a, _team_b = answered
    Leader.objects.filter(pk=team_a[0].pk).update(level=Leader.Level.TEAM)
    client.force_login(manager_a)
    plain = csv_rows(client.get(CSV))
    for level in ("department", "team"):
        response = client.get(OUTCOMES, {"level": level})
        assert "2,4" in response.text
        assert csv_rows(client.get(CSV, {"level": level})) == plain


@pytest.fixture
def min_four(settings):
    settings.ASSESSMENT_MIN_GROUP = 4


def test_the_minimum_is_a_setting(client, min_four, answered, manager_b):
    client.force_login(manager_b)
    response = client.get(OUTCOMES)
    assert "for få besvarelser endnu" not in response.text
    assert "4 ledere" in response.text


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_the_csv_has_the_same_numbers_and_no_numbers_for_too_few(
    client, answered, hr, department_a
):
    client.force_login(hr)
    rows = csv_rows(client.get(CSV, {"department": department_a.pk}))
    assert rows[0][:3] == ["Fordelt på", "Gruppe", "Ledere bag gennemsnittene"]
    a_leadership = [
        r for r in rows if r[1] == "Center for Økonomi og Styring" and r[3] == "Ledelse"
    ]
    assert ["Afdeling", "Center for Økonomi og Styring", "5", "Ledelse", "2,4", "3,8", "1,4"] in (
        a_leadership
    )
    rows = csv_rows(client.get(CSV, {"grouping": "department"}))
    b_rows = [r for r in rows if r[1] == "Center for Børn og Familier"]
    assert b_rows == [
        ["Afdeling", "Center for Børn og Familier", "", "", "for få besvarelser endnu", "", ""]
    ]
    total = [r for r in rows if r[0] == "I alt"]
    assert total[0][:3] == ["I alt", "Hele forløbet", "5"]


def test_no_page_or_file_of_a_manager_or_hr_carries_a_leaders_answers_or_words(
    client, answered, hr, manager_a
):
    for user in (hr, manager_a):
        client.force_login(user)
        texts = [
            client.get(OUTCOMES).text,
            b"".join(client.get(CSV).streaming_content).decode("utf-8-sig"),
            b"".join(client.get(INITIATIVES_CSV).streaming_content).decode("utf-8-sig"),
        ]
        for text in texts:
            assert "Hemmeligt" not in text


def test_a_leader_cannot_open_the_owners_view(client, answered, leader):
    client.force_login(leader.user)
    assert client.get(OUTCOMES).status_code == 403
    assert client.get(CSV).status_code == 403


# --- Initiatives in the owner's view -------------------------------------------------------


def make_initiative(leader, programme, status="idea", **extra) -> Initiative:
    fields = {
        "title": f"Initiativ for {leader.name}",
        "problem": "Borgerne venter",
        "expected_benefit": "Kortere ventetid",
        "it": True,
        "status": status,
        "created_at": NOW,
        "changed_at": NOW,
        "abandoned_reason": "Ingen budget" if status == "abandoned" else "",
    }
    fields.update(extra)
    return Initiative.objects.create(leader=leader, programme=programme, **fields)


def test_initiatives_are_counted_per_department_by_status(
    client, hr, programme, leader, colleague, outsider
):
    make_initiative(leader, programme, "idea")
    make_initiative(leader, programme, "done")
    make_initiative(outsider, programme, "in_progress")
    client.force_login(hr)
    response = client.get(OUTCOMES)
    counts = {row.name: row for row in response.context["counts"]}
    a = counts["Center for Økonomi og Styring"]
    assert (a.leaders, a.without, a.counts) == (2, 1, [1, 0, 0, 1, 0])
    b = counts["Center for Børn og Familier"]
    assert (b.leaders, b.without, b.counts) == (1, 0, [0, 0, 1, 0, 0])


def test_initiatives_filter_by_status_and_dimension(client, hr, programme, leader, outsider):
    make_initiative(leader, programme, "idea", title="Digital post")
    make_initiative(outsider, programme, "done", title="Robot", it=False, tasks=True)
    client.force_login(hr)
    text = client.get(OUTCOMES, {"initiative_status": "done"}).text
    assert "Robot" in text and "Digital post" not in text
    text = client.get(OUTCOMES, {"dimension": "it"}).text
    assert "Digital post" in text and "Robot" not in text


def test_a_manager_sees_only_their_departments_initiatives(
    client, manager_a, programme, leader, outsider
):
    make_initiative(leader, programme, title="Digital post")
    make_initiative(outsider, programme, title="Robot")
    client.force_login(manager_a)
    text = client.get(OUTCOMES).text
    assert "Digital post" in text and "Robot" not in text
    rows = csv_rows(client.get(INITIATIVES_CSV))
    assert [r[2] for r in rows[1:]] == ["Digital post"]


def test_the_initiatives_csv_neutralises_formulas(client, hr, programme, leader):
    make_initiative(leader, programme, title='=HYPERLINK("x")', problem="+1", expected_benefit="@a")
    client.force_login(hr)
    (row,) = csv_rows(client.get(INITIATIVES_CSV))[1:]
    assert row[2].startswith("'=") and row[6] == "'+1" and row[7] == "'@a"


# --- Query counts at 1× and 10× ---------------------------------------------------------

# Session and user with roles (2), the current programme, the self-assessment's blocks
# and their sums (2) and the lines' departments, leaders per department and initiatives
# per status (2), the count of initiatives, the dimensions across areas; then rendering
# (6): the programme's name, the filter form's lists (each read once) and the page of
# initiatives (each named in test_query_budget); the forecast's outlooks (5,
# reports/forecast.py).
OUTCOME_QUERIES = 21


def _grow(programme, cohort, department_a, factor: int) -> None:
    for n in range(5 * factor):
        person = make_leader(f"x{n}@albertslund.dk", f"Leder X{n}", department_a, f"5{n:04d}")
        booking.enrol(leader=person, cohort=cohort, by_staff=True, now=local(2016, 1, 4))
        respond(person, programme, "baseline", lambda s: 2)
        respond(person, programme, "follow_up", lambda s: 4)
        make_initiative(person, programme, "planned")


@pytest.mark.parametrize("factor", [1, 10])
def test_the_owners_view_runs_a_fixed_number_of_queries(
    client, hr, programme, big_cohort, department_a, department_b, factor, django_assert_num_queries
):
    from tests.conftest import session_reads

    big_cohort.capacity = 200
    big_cohort.save()
    _grow(programme, big_cohort, department_a, factor)
    client.force_login(hr)
    client.get(OUTCOMES)
    with django_assert_num_queries(OUTCOME_QUERIES - 1 + session_reads()):
        response = client.get(OUTCOMES)
    assert response.status_code == 200


def test_the_owner_sees_a_dimension_that_initiatives_in_two_areas_touch(
    client, hr, programme, leader, colleague, outsider, department_a
):
    area = Department.objects.create(name="Center for Byudvikling", code="BYU")
    department_a.parent = area
    department_a.save()
    make_initiative(leader, programme, it=True, people=False)
    make_initiative(colleague, programme, it=True, people=True)  # the same area
    make_initiative(outsider, programme, it=True, tasks=True)
    client.force_login(hr)
    across = client.get(OUTCOMES).context["across"]
    assert [(row.dimension, row.areas) for row in across] == [
        ("it", sorted([area.name, outsider.department.name]))
    ], "people and tasks run in one area each"
