"""What the programme is for, in a real browser: a leader answers the self-assessment by
keyboard only, registers an initiative, answers the follow-up and sees their picture; a
manager sees their departments' averages and initiatives, and too small a group hidden."""

from __future__ import annotations

import pytest
from django.urls import reverse

import booking
from outcomes.models import Initiative, Questionnaire
from programme.models import Department
from tests.conftest import NOW, make_leader
from tests.e2e.conftest import da, press_enter_on, tab_to
from tests.outcomes.test_outcome_reports import make_initiative, respond

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# After Hold 3's last session (19.4.2016) and before the programme ends: the follow-up.
FOLLOW_UP_CLOCK = "2016-04-20T09:00"


def test_a_leader_answers_by_keyboard_registers_an_initiative_and_sees_the_picture(
    world, open_cohort, settings, page, sign_in_as, live_server
):
    leader = world.colleague
    booking.enrol(leader=leader, cohort=open_cohort, now=NOW)
    sign_in_as(leader)
    page.goto(live_server.url + reverse("dashboard:dashboard"))
    assert "Besvar selvevalueringen" in page.locator("#next-heading + p").inner_text()

    # The baseline, by keyboard only: Tab into each statement's radio group, arrow keys
    # to choose 4, Tab on to the next; the free text; Enter on the button.
    press_enter_on(page, f'main a[href="{reverse("outcomes:self_assessment")}"]')
    statements = list(Questionnaire.current().statements.order_by("order"))
    tab_to(page, f"#id_statement_{statements[0].pk}_0")
    for _statement in statements:
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_free_text"
    page.keyboard.type("Jeg vil bruge data mere")
    press_enter_on(page, "main form button[type=submit]")
    assert da("Thank you: your answers are saved.") in page.locator(".messages").inner_text()

    # An initiative.
    page.goto(live_server.url + reverse("outcomes:initiative_new"))
    page.fill("#id_title", "Digital post til forældre")
    page.fill("#id_problem", "Breve på papir når ikke frem")
    page.check('input[name="dimensions"][value="it"]')
    page.fill("#id_expected_benefit", "Færre opkald")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.locator("h2", has_text="Digital post til forældre").count() == 1
    assert Initiative.objects.get(leader=leader).status == "idea"

    # The follow-up, after the last session: 5 on leadership, 3 on the rest.
    settings.PORTAL_CLOCK = FOLLOW_UP_CLOCK
    page.goto(live_server.url + reverse("outcomes:self_assessment"))
    for statement in statements:
        value = 5 if statement.dimension == "leadership" else 3
        page.check(f"#id_statement_{statement.pk}_{value - 1}")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.url == live_server.url + reverse("outcomes:assessment_result")

    assert page.locator("svg[role=img]").count() == 1
    rows = {
        row.locator("th").inner_text(): [td.inner_text() for td in row.locator("td").all()]
        for row in page.locator("table tbody tr").all()
    }
    assert rows[da("Leadership")] == ["4,0", "5,0", "+1,0"]
    assert rows["IT"] == ["4,0", "3,0", "-1,0"]
    assert "Jeg vil bruge data mere" in page.locator("main").inner_text()


def test_a_manager_sees_averages_and_initiatives_and_a_small_group_hidden(
    world, department_b, programme, page, sign_in_as, live_server
):
    manager = world.manager
    department_b.managers.add(manager)
    # Two departments of four: no block of five in either yet, so no numbers.
    department_c = Department.objects.create(name="Center for Kultur og Fritid", code="KUF")
    department_c.managers.add(manager)
    team_a = [
        make_leader(f"e2e-a{n}@albertslund.dk", f"Leder A{n}", world.department, f"80{n}")
        for n in range(5)
    ]
    team_b = [
        make_leader(f"e2e-b{k}{n}@albertslund.dk", f"Leder B{k}{n}", department, f"9{k}{n}")
        for k, department in enumerate([department_b, department_c])
        for n in range(4)
    ]
    for person in team_a + team_b:
        respond(person, programme, "baseline", lambda s: 2)
        respond(person, programme, "follow_up", lambda s: 4)
    make_initiative(team_a[0], programme, "in_progress", title="Robot til fakturaer")
    make_initiative(world.outsider, programme, "idea", title="Sensorer i skolerne")

    sign_in_as(manager)
    page.goto(live_server.url + reverse("reports:overview"))
    press_enter_on(page, f'main a[href="{reverse("outcomes:report")}"]')
    table = page.locator("#self-assessment-caption").locator("xpath=..")
    row_a = table.locator("tbody tr", has_text=world.department.name)
    assert row_a.locator("td").first.inner_text() == "5 ledere"
    assert "2,0" in row_a.inner_text() and "+2,0" in row_a.inner_text()
    row_b = table.locator("tbody tr", has_text=department_b.name)
    assert da("too few answers yet") in row_b.inner_text()
    assert "2,0" not in row_b.inner_text()
    listed = page.locator("#list-caption").locator("xpath=..").inner_text()
    assert "Robot til fakturaer" in listed
    assert "Sensorer i skolerne" in listed  # department B is the manager's too now
