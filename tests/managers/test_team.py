"""*Mit team*: a manager's leaders with place, next session, progress, behind, whether they
answered the self-assessment (never a score) and their initiatives; sorted, filtered,
paged, and downloaded as CSV and xlsx with exactly the page's columns."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from outcomes.models import AssessmentResponse, Initiative, Questionnaire
from programme.models import Attendance, Department, Enrolment
from tests.conftest import NOW, make_leader, make_manager

TEAM = reverse("managers:team")


def make_initiative(leader, programme, status, changed_at) -> Initiative:
    return Initiative.objects.create(
        leader=leader,
        programme=programme,
        title=f"Initiativ for {leader.name}",
        problem="Borgerne venter",
        expected_benefit="Kortere ventetid",
        it=True,
        status=status,
        created_at=NOW,
        changed_at=changed_at,
    )


@pytest.fixture
def story(leader, colleague, outsider, cohort, other_cohort, modules, programme, settings):
    """At 20 February 2016: Søren attended the first module late and missed the second
    (behind), answered the baseline and has two initiatives; Åse has no place; Bo waits
    for Hold 2; Bodil is in another department."""
    settings.PORTAL_CLOCK = "2016-02-20T09:00"
    first, second, _ = cohort.sessions.order_by("starts_at")
    Enrolment.objects.create(leader=leader, cohort=cohort, status=Enrolment.Status.ENROLLED)
    Attendance.objects.create(leader=leader, session=first, status=Attendance.Status.LATE)
    Attendance.objects.create(leader=leader, session=second, status=Attendance.Status.ABSENT)
    AssessmentResponse.objects.create(
        leader=leader,
        programme=programme,
        questionnaire=Questionnaire.current(),
        round=AssessmentResponse.Round.BASELINE,
        free_text="Hemmeligt",
        submitted_at=NOW,
    )
    make_initiative(leader, programme, Initiative.Status.IDEA, NOW)
    make_initiative(leader, programme, Initiative.Status.IN_PROGRESS, NOW + dt.timedelta(days=3))
    waiting = make_leader("bo@albertslund.dk", "Bo Bertelsen", leader.department, "1003")
    Enrolment.objects.create(
        leader=waiting, cohort=other_cohort, status=Enrolment.Status.WAITLISTED
    )
    return leader


def page_rows(response) -> dict[str, list]:
    assert response.status_code == 200
    return {cells[0]: cells for _leader, cells in response.context["rows"]}


def download_csv(client, **params) -> list[list[str]]:
    response = client.get(reverse("managers:export"), {"dialect": "standard", **params})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def download_xlsx(client, **params) -> list[list]:
    response = client.get(reverse("managers:export_xlsx"), params)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_a_manager_sees_every_leader_of_their_department_with_each_column(client, manager_a, story):
    client.force_login(manager_a)
    response = client.get(TEAM)
    rows = page_rows(response)
    assert set(rows) == {"Søren Ærbø", "Åse Østergaard", "Bo Bertelsen"}
    assert [str(h["label"]) for h in response.context["headers"]] == [
        "Navn",
        "Afdeling",
        "Plads",
        "Næste mødegang",
        "Moduler gennemført",
        "Bagud",
        "Selvevaluering besvaret",
        "Initiativer",
    ]
    assert rows["Søren Ærbø"] == [
        "Søren Ærbø",
        "Center for Økonomi og Styring",
        "Hold 1",
        dt.date(2016, 3, 8),
        "1 af 2",
        "Ja",
        "Ja",
        "2, seneste: I gang",
    ]
    assert rows["Åse Østergaard"][2:] == ["Ikke tilmeldt", "", "0 af 2", "Nej", "Nej", "Ingen"]
    assert rows["Bo Bertelsen"][2:4] == ["Venteliste: Hold 2", ""]


def test_the_self_assessment_shows_yes_or_no_never_what_was_answered(client, manager_a, story):
    client.force_login(manager_a)
    text = client.get(TEAM).text
    assert "Hemmeligt" not in text
    for name in ("managers:export", "managers:export_xlsx"):
        body = b"".join(client.get(reverse(name)).streaming_content)
        assert b"Hemmeligt" not in body


def test_each_name_links_to_the_leaders_row_in_the_reports_drill_down(client, manager_a, story):
    client.force_login(manager_a)
    text = client.get(TEAM).text
    link = reverse("reports:department", args=[story.department_id]) + f"#leader-{story.pk}"
    assert f'href="{link}"' in text
    drill_down = client.get(reverse("reports:department", args=[story.department_id]))
    assert f'id="leader-{story.pk}"' in drill_down.text


def test_a_leader_outside_the_scope_is_never_listed(client, manager_a, story, outsider):
    client.force_login(manager_a)
    assert outsider.name not in client.get(TEAM).text
    assert outsider.name not in {row[0] for row in download_csv(client)}
    assert outsider.name not in {row[0] for row in download_xlsx(client)}
    other = {"department": outsider.department_id}
    assert client.get(TEAM, other).status_code == 404
    assert client.get(reverse("managers:export"), other).status_code == 404
    assert client.get(reverse("managers:export_xlsx"), other).status_code == 404


@pytest.mark.parametrize("name", ["managers:team", "managers:export", "managers:export_xlsx"])
def test_a_plain_leader_is_refused(client, story, name):
    client.force_login(story.user)
    assert client.get(reverse(name)).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, programme):
    response = client.get(TEAM)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_area_manager_sees_the_leaders_of_every_department_under_the_area(
    client, story, outsider, department_a, department_b
):
    area = Department.objects.create(name="Børne- og Velfærdsforvaltningen", code="BVF")
    Department.objects.filter(pk__in=[department_a.pk, department_b.pk]).update(parent=area)
    boss = make_leader("dorte@albertslund.dk", "Dorte Direktør", area, "3001")
    client.force_login(make_manager("direktoer@albertslund.dk", area))
    names = set(page_rows(client.get(TEAM)))
    assert names == {"Søren Ærbø", "Åse Østergaard", "Bo Bertelsen", outsider.name, boss.name}
    only_b = page_rows(client.get(TEAM, {"department": department_b.pk}))
    assert set(only_b) == {outsider.name}


def test_a_department_manager_does_not_see_a_sibling_department(
    client, manager_a, story, outsider, department_a, department_b
):
    area = Department.objects.create(name="Børne- og Velfærdsforvaltningen", code="BVF")
    Department.objects.filter(pk__in=[department_a.pk, department_b.pk]).update(parent=area)
    client.force_login(manager_a)
    assert outsider.name not in page_rows(client.get(TEAM))
    assert client.get(TEAM, {"department": department_b.pk}).status_code == 404


def test_hr_sees_the_whole_municipality_a_page_at_a_time(client, hr, story, outsider, monkeypatch):
    import managers.views

    monkeypatch.setattr(managers.views, "LEADERS_PER_PAGE", 3)
    client.force_login(hr)
    first = client.get(TEAM)
    second = client.get(TEAM, {"page": 2})
    assert list(page_rows(first)) == ["Bo Bertelsen", "Bodil Bæk", "Søren Ærbø"]
    assert list(page_rows(second)) == ["Åse Østergaard"]
    assert first.context["page"].paginator.count == 4
    assert "page=2" in first.text


@pytest.mark.parametrize(
    ("sort", "first"),
    [
        ("name", "Bo Bertelsen"),
        ("-name", "Åse Østergaard"),
        ("behind", "Søren Ærbø"),
        ("next_session", "Søren Ærbø"),
        ("-progress", "Søren Ærbø"),
        ("-assessment", "Søren Ærbø"),
        ("-initiatives", "Søren Ærbø"),
        ("place", "Søren Ærbø"),
        ("-place", "Bo Bertelsen"),
    ],
)
def test_every_column_sorts(client, manager_a, story, sort, first):
    client.force_login(manager_a)
    response = client.get(TEAM, {"sort": sort})
    assert next(iter(page_rows(response))) == first
    column = sort.lstrip("-")
    header = next(h for h in response.context["headers"] if sort.lstrip("-") in h["query"])
    assert header["aria_sort"] == ("descending" if sort.startswith("-") else "ascending"), column


def test_an_unknown_sort_falls_back_to_names(client, manager_a, story):
    client.force_login(manager_a)
    assert next(iter(page_rows(client.get(TEAM, {"sort": "password"})))) == "Bo Bertelsen"


@pytest.mark.parametrize(
    ("status", "names"),
    [
        ("behind", {"Søren Ærbø"}),
        ("not_enrolled", {"Åse Østergaard"}),
        ("completed", set()),
    ],
)
def test_the_status_filter_uses_the_reports_rules(client, manager_a, story, status, names):
    client.force_login(manager_a)
    response = client.get(TEAM, {"status": status})
    assert set(page_rows(response)) == names
    assert {row[0] for row in download_csv(client, status=status)[1:]} == names


def test_a_bad_filter_is_a_400_with_the_message_not_a_crash(client, manager_a, story):
    client.force_login(manager_a)
    assert client.get(TEAM, {"status": "everyone"}).status_code == 400
    assert client.get(reverse("managers:export"), {"status": "everyone"}).status_code == 400


def test_the_csv_and_the_workbook_have_exactly_the_pages_columns_and_rows(client, manager_a, story):
    client.force_login(manager_a)
    response = client.get(TEAM, {"sort": "-name"})
    head = [str(h["label"]) for h in response.context["headers"]]
    shown = [
        [cell.isoformat() if isinstance(cell, dt.date) else cell for cell in cells]
        for _leader, cells in response.context["rows"]
    ]
    as_csv = download_csv(client, sort="-name")
    assert as_csv[0] == head
    assert as_csv[1:] == shown
    as_xlsx = download_xlsx(client, sort="-name")
    assert as_xlsx[0] == head
    workbook_rows = [
        [
            cell.date().isoformat()
            if isinstance(cell, dt.datetime)
            else ("" if cell is None else cell)
            for cell in row
        ]
        for row in as_xlsx[1:]
    ]
    assert workbook_rows == shown


def test_a_name_that_looks_like_a_formula_is_neutralised_in_the_files(
    client, manager_a, story, department_a
):
    make_leader("f@albertslund.dk", "=HYPERLINK(1)", department_a, "1099")
    client.force_login(manager_a)
    assert "'=HYPERLINK(1)" in {row[0] for row in download_csv(client)}
    assert "=HYPERLINK(1)" in page_rows(client.get(TEAM))


def queries(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_page_and_files_ask_the_same_queries_for_1x_and_10x_leaders(
    client, manager_a, story, department_a, cohort, programme
):
    client.force_login(manager_a)
    urls = [TEAM, reverse("managers:export"), reverse("managers:export_xlsx")]
    before = [queries(client, url) for url in urls]
    for n in range(30):
        extra = make_leader(f"l{n}@albertslund.dk", f"Leder {n}", department_a, f"5{n:03}")
        make_initiative(extra, programme, Initiative.Status.PLANNED, NOW)
        AssessmentResponse.objects.create(
            leader=extra,
            programme=programme,
            questionnaire=Questionnaire.current(),
            round=AssessmentResponse.Round.BASELINE,
            submitted_at=NOW,
        )
    assert [queries(client, url) for url in urls] == before


def test_the_filters_are_the_reports_with_a_search_box_past_a_long_list(
    client, hr, story, outsider, monkeypatch
):
    import reports.forms

    monkeypatch.setattr(reports.forms, "LONG_LIST", 1)
    client.force_login(hr)
    response = client.get(TEAM)
    assert 'name="department_q"' in response.text
    assert set(page_rows(client.get(TEAM, {"department_q": "bof"}))) == {outsider.name}
    assert client.get(TEAM, {"department_q": "Center"}).status_code == 400, "fits two"


def test_a_manager_filters_by_the_three_statuses_they_ask_about(client, manager_a, story):
    client.force_login(manager_a)
    choices = client.get(TEAM).context["form"].fields["status"].choices
    assert [value for value, _label in choices] == ["", "completed", "behind", "not_enrolled"]
    assert client.get(TEAM, {"status": "waitlisted"}).status_code == 400
