"""Who sees which departments: HR all, a manager their own, a leader none, nobody by URL."""

import pytest
from django.urls import reverse

from programme.models import Department, Leader


@pytest.fixture
def people(leader, colleague, outsider, programme, modules):
    return leader, colleague, outsider


def names_in_overview(client) -> set[str]:
    response = client.get(reverse("reports:overview"))
    assert response.status_code == 200
    return {row.name for row in response.context["rows"]}


def test_hr_sees_every_department(client, hr, people, department_a, department_b):
    client.force_login(hr)
    assert names_in_overview(client) == {department_a.name, department_b.name}


def test_a_superuser_sees_every_department(client, superuser, people, department_b):
    client.force_login(superuser)
    assert department_b.name in names_in_overview(client)


def test_staff_outside_the_hr_group_is_not_hr(client, people):
    from tests.conftest import make_user

    client.force_login(make_user("staff@albertslund.dk", is_staff=True))
    assert client.get(reverse("reports:overview")).status_code == 403


def test_a_manager_sees_only_their_own_departments(client, manager_a, people, department_a):
    client.force_login(manager_a)
    assert names_in_overview(client) == {department_a.name}


def test_a_manager_cannot_see_another_departments_drill_down(client, manager_a, department_b):
    client.force_login(manager_a)
    response = client.get(reverse("reports:department", args=[department_b.pk]))
    assert response.status_code == 404
    assert department_b.name not in response.content.decode()


def test_a_manager_cannot_filter_the_overview_by_another_department(
    client, manager_a, people, department_b
):
    client.force_login(manager_a)
    response = client.get(reverse("reports:overview"), {"department": department_b.pk})
    assert response.status_code == 404


def test_a_manager_cannot_download_another_departments_csv(
    client, manager_a, people, department_b, outsider
):
    client.force_login(manager_a)
    response = client.get(reverse("reports:export"), {"department": department_b.pk})
    assert response.status_code == 404
    assert outsider.name not in response.content.decode()


def test_a_managers_csv_without_a_department_holds_only_their_leaders(
    client, manager_a, people, leader, outsider
):
    client.force_login(manager_a)
    response = client.get(reverse("reports:export"))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert leader.name in body
    assert outsider.name not in body


def test_an_unknown_department_is_a_404_like_a_foreign_one(client, hr, programme):
    client.force_login(hr)
    missing = (Department.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    assert client.get(reverse("reports:department", args=[missing])).status_code == 404


@pytest.mark.parametrize("name", ["reports:overview", "reports:export"])
def test_a_leader_who_manages_nothing_gets_403(client, leader, programme, name):
    client.force_login(leader.user)
    assert client.get(reverse(name)).status_code == 403


def test_a_leader_gets_403_for_a_drill_down_too(client, leader, department_a):
    client.force_login(leader.user)
    response = client.get(reverse("reports:department", args=[department_a.pk]))
    assert response.status_code == 403


@pytest.mark.parametrize("name", ["reports:overview", "reports:export"])
def test_anonymous_visitors_are_sent_to_sign_in(client, programme, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_manager_who_is_also_a_leader_sees_their_department(client, department_a, people):
    manager = Leader.objects.get(name="Søren Ærbø")
    department_a.managers.add(manager.user)
    client.force_login(manager.user)
    assert names_in_overview(client) == {department_a.name}


def test_a_manager_chooses_only_among_cohorts_their_leaders_are_in(
    client, manager_a, hr, people, cohort, other_cohort
):
    import booking
    from tests.conftest import NOW

    leader, _colleague, outsider = people
    booking.enrol(leader=leader, cohort=cohort, now=NOW)
    booking.enrol(leader=outsider, cohort=other_cohort, now=NOW)
    client.force_login(manager_a)
    choices = client.get(reverse("reports:overview")).context["form"].fields["cohort"].queryset
    assert list(choices) == [cohort]
    client.force_login(hr)
    choices = client.get(reverse("reports:overview")).context["form"].fields["cohort"].queryset
    assert set(choices) == {cohort, other_cohort}
