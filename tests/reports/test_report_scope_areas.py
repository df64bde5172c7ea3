"""A manager of an area (an administration or centre, a department's parent) answers for
every department under it; a department's manager still sees only their own department,
never a sibling under the same area, in the overview, the drill-down and the files."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from programme.models import Department
from reports.rules import scope_for
from tests.conftest import make_department_a, make_leader, make_manager


@pytest.fixture
def area(db):
    """An administration with two departments (A and B) and a leader of its own; and a
    third department outside it."""
    area = Department.objects.create(name="Børne- og Velfærdsforvaltningen", code="BVF")
    a = make_department_a()
    b = Department.objects.create(name="Center for Børn og Familier", code="BOF", parent=area)
    a.parent = area
    a.save()
    other = Department.objects.create(name="Center for By, Land og Vand", code="BLV")
    leaders = {
        "in_a": make_leader("a@albertslund.dk", "Anna Andersen", a, "1001"),
        "in_b": make_leader("b@albertslund.dk", "Bent Berg", b, "2001"),
        "in_area": make_leader("dir@albertslund.dk", "Dorte Direktør", area, "3001"),
        "outside": make_leader("o@albertslund.dk", "Ole Udenfor", other, "4001"),
    }
    return {"area": area, "a": a, "b": b, "other": other, "leaders": leaders}


@pytest.fixture
def area_manager(area):
    return make_manager("direktoer@albertslund.dk", area["area"])


@pytest.fixture
def department_manager(area):
    return make_manager("chef.a@albertslund.dk", area["a"])


def overview_names(client) -> set[str]:
    response = client.get(reverse("reports:overview"))
    assert response.status_code == 200
    return {row.name for row in response.context["rows"]}


def csv_text(client, **params) -> str:
    response = client.get(reverse("reports:export"), params)
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_an_area_managers_scope_is_the_area_and_every_department_under_it(area, area_manager):
    scope = scope_for(area_manager)
    assert not scope.is_hr
    assert set(scope.departments) == {area["area"], area["a"], area["b"]}


def test_a_department_managers_scope_is_their_department_only(area, department_manager):
    assert set(scope_for(department_manager).departments) == {area["a"]}


def test_an_area_manager_sees_the_areas_departments_in_the_overview(
    client, programme, modules, area, area_manager
):
    client.force_login(area_manager)
    assert overview_names(client) == {area["area"].name, area["a"].name, area["b"].name}


def test_an_area_manager_drills_down_into_each_department_under_the_area(
    client, programme, modules, area, area_manager
):
    client.force_login(area_manager)
    for key, leader in (("a", "in_a"), ("b", "in_b")):
        response = client.get(reverse("reports:department", args=[area[key].pk]))
        assert response.status_code == 200
        assert area["leaders"][leader].name in response.text
    outside = client.get(reverse("reports:department", args=[area["other"].pk]))
    assert outside.status_code == 404


def test_an_area_managers_csv_holds_the_areas_leaders_and_no_one_else(
    client, programme, modules, area, area_manager
):
    client.force_login(area_manager)
    body = csv_text(client)
    for key in ("in_a", "in_b", "in_area"):
        assert area["leaders"][key].name in body
    assert area["leaders"]["outside"].name not in body
    assert area["leaders"]["in_b"].name in csv_text(client, department=area["b"].pk)


def test_an_area_managers_xlsx_holds_the_areas_departments(
    client, programme, modules, area, area_manager
):
    client.force_login(area_manager)
    response = client.get(reverse("reports:export_xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    names = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert names == {area["leaders"][k].name for k in ("in_a", "in_b", "in_area")}


def test_a_department_manager_does_not_see_a_sibling_department(
    client, programme, modules, area, department_manager
):
    client.force_login(department_manager)
    assert overview_names(client) == {area["a"].name}
    assert client.get(reverse("reports:department", args=[area["b"].pk])).status_code == 404
    assert client.get(reverse("reports:export"), {"department": area["b"].pk}).status_code == 404
    body = csv_text(client)
    assert area["leaders"]["in_a"].name in body
    assert area["leaders"]["in_b"].name not in body
    assert area["leaders"]["in_area"].name not in body, "nor the area above them"
