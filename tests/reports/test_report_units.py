"""HR's overview at national scale: a line per administration or centre (a department's
parent), its departments one click further, every number from the same one aggregate."""

import csv
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

import demo as demo_data
from programme.models import Department, Leader, Programme, User
from reports.rules import Filters, department_summary, full_scope, report_leaders

COUNTS = ("leaders", "enrolled", "waitlisted", "not_enrolled", "completed", "behind")


@pytest.fixture(scope="class")
def national_data(class_transaction):
    """Ten times the demo: 75 departments, 67 of them grouped into 3 areas. Made once for
    the tests of ``TestNationalScale`` (tests/conftest.py's ``class_transaction``)."""
    with class_transaction():
        demo_data.seed(leaders=1500)


@pytest.fixture
def national(db, national_data):
    return Department.objects.filter(parent__isnull=False, code__startswith="O")


def overview(client, **params):
    client.force_login(User.objects.get(email=demo_data.HR_EMAIL))
    response = client.get(reverse("reports:overview"), params)
    assert response.status_code == 200
    return response


class TestNationalScale:
    """HR's overview at ten times the demo."""

    def test_hr_sees_one_line_per_area_and_standalone_centre_not_every_department(
        self, client, national
    ):
        response = overview(client)
        rows = response.context["rows"]
        areas = Department.objects.filter(units__isnull=False).distinct()
        standalone = Department.objects.filter(parent__isnull=True, units__isnull=True)
        assert {row.pk for row in rows} == {d.pk for d in areas} | {
            d.pk for d in standalone if d.leaders.exists()
        }
        assert len(rows) < Department.objects.count() / 5
        assert {row.pk for row in rows if row.is_unit} == {d.pk for d in areas}
        assert len(response.context["chart"]["bars"]) == len(rows), "the chart shows the groups"
        html = response.text
        area = areas.order_by("name").first()
        assert f'href="?unit={area.pk}"' in html
        assert "Gennemførelse pr. forvaltning eller center" in html

    def test_every_leader_is_counted_once_and_the_groups_add_up_to_the_departments(
        self, client, national
    ):
        grouped = overview(client).context
        filters = Filters(programme=Programme.current())
        departments, total = department_summary(report_leaders(full_scope(), filters))
        assert grouped["total"].leaders == total.leaders == Leader.objects.count() == 1500
        for name in COUNTS:
            assert getattr(grouped["total"], name) == getattr(total, name)
            assert sum(getattr(row, name) for row in grouped["rows"]) == getattr(total, name)
        parent = dict(Department.objects.values_list("pk", "parent"))
        for row in grouped["rows"]:
            inside = [d for d in departments if (parent[d.pk] or d.pk) == row.pk]
            assert row.behind == sum(d.behind for d in inside)
            assert row.completed == sum(d.completed for d in inside)

    def test_an_area_drills_down_to_its_departments_whose_numbers_add_up_to_its_line(
        self, client, national
    ):
        rows = {row.pk: row for row in overview(client).context["rows"]}
        area = Department.objects.filter(units__isnull=False).order_by("name").first()
        drilled = overview(client, unit=area.pk).context
        assert not drilled["by_unit"]
        assert {row.pk for row in drilled["rows"]} == set(
            area.units.filter(leaders__isnull=False).values_list("pk", flat=True)
        )
        for name in COUNTS:
            assert sum(getattr(row, name) for row in drilled["rows"]) == getattr(
                rows[area.pk], name
            )
        assert not any(row.is_unit for row in drilled["rows"])

    def test_the_export_follows_the_chosen_area(self, client, national):
        area = Department.objects.filter(units__isnull=False).order_by("name").first()
        client.force_login(User.objects.get(email=demo_data.HR_EMAIL))
        response = client.get(reverse("reports:export"), {"unit": area.pk, "dialect": "standard"})
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))[1:]
        assert len(rows) == Leader.objects.filter(department__parent=area).count() > 0

    def test_a_manager_sees_their_departments_without_grouping(self, client, national):
        department = Department.objects.filter(parent__isnull=False).order_by("pk").first()
        manager = User.objects.create_user(email="chef@example.org", password="x")
        department.managers.add(manager)
        client.force_login(manager)
        response = client.get(reverse("reports:overview"))
        assert response.status_code == 200
        assert [row.pk for row in response.context["rows"]] == [department.pk]
        assert "unit" not in response.context["form"].fields
        assert not response.context["by_unit"]

    def test_an_unknown_area_is_a_404_not_an_empty_report(self, client, national):
        standalone = Department.objects.get(code="ØKS")  # has no departments under it
        client.force_login(User.objects.get(email=demo_data.HR_EMAIL))
        assert client.get(reverse("reports:overview"), {"unit": standalone.pk}).status_code == 404


def test_departments_nest_two_levels_deep_at_most(db):
    area = Department.objects.create(name="Område", code="O1")
    unit = Department.objects.create(name="Afdeling", code="A1", parent=area)
    deeper = Department(name="Team", code="T1", parent=unit)
    with pytest.raises(ValidationError, match="selv en del af"):
        deeper.full_clean()
    area.parent = Department.objects.create(name="Top", code="T0")
    with pytest.raises(ValidationError):
        area.full_clean()  # it has departments under it
    with pytest.raises(IntegrityError), transaction.atomic():
        Department.objects.filter(pk=area.pk).update(parent=area.pk)


def test_the_filter_selects_keep_the_choice_and_escape_the_names(client, db, programme):
    area = Department.objects.create(name='Område <Øst> & "Vest"', code="O9")
    department = Department.objects.create(name="Afdeling 1", code="A9", parent=area)
    client.force_login(User.objects.create_user(email="hr2@example.org", is_superuser=True))
    html = client.get(reverse("reports:overview"), {"department": department.pk}).text
    assert f'<option value="{department.pk}" selected>Afdeling 1</option>' in html
    assert "Område &lt;Øst&gt; &amp; &quot;Vest&quot;</option>" in html
    assert re.search(r'<select [^>]*name="department"', html)
    assert re.search(r'<select [^>]*id="id_department"', html)
