"""The report filters at a municipality's size: a long list of departments or cohorts is a
search box, found by name, code or enough of either, with a message that helps when the
text fits none or several; a short list stays a list, and a download asks no query for it."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from programme.models import Cohort, Department
from reports.forms import LONG_LIST, ReportFilterForm
from reports.rules import scope_for

OVERVIEW = reverse("reports:overview")
SELECT = re.compile(r'<select[^>]* name="department"')


@pytest.fixture
def many_departments(people):
    """LONG_LIST + 1 departments besides the two the leaders are in."""
    Department.objects.bulk_create(
        Department(name=f"Afdeling for Vej og Park {n:03d}", code=f"VP{n:03d}")
        for n in range(LONG_LIST + 1)
    )


@pytest.fixture
def people(leader, colleague, outsider, programme, modules):
    return leader, colleague, outsider


@pytest.fixture
def many_cohorts(programme):
    Cohort.objects.bulk_create(
        Cohort(programme=programme, name=f"Hold {n}", capacity=20, enrolment_deadline=DEADLINE)
        for n in range(4, LONG_LIST + 10)
    )


DEADLINE = dt.date(2016, 1, 31)


def rows_named(response) -> set[str]:
    return {row.name for row in response.context["rows"]}


def test_a_short_list_is_a_list_and_a_long_one_a_search_box(client, hr, people, department_a):
    client.force_login(hr)
    html = client.get(OVERVIEW).content.decode()
    assert SELECT.search(html)
    assert 'name="department_q"' not in html

    Department.objects.bulk_create(
        Department(name=f"Afdeling {n:03d}", code=f"A{n:03d}") for n in range(LONG_LIST)
    )
    html = client.get(OVERVIEW).content.decode()
    assert not SELECT.search(html)
    assert 'name="department_q"' in html
    assert f">{department_a.name}<" not in html.split("report-filters")[1].split("</form>")[0]


@pytest.mark.parametrize("text", ["Center for Økonomi og Styring", "øks", "Økonomi"])
def test_hr_finds_a_department_by_its_name_its_code_or_enough_of_either(
    client, hr, many_departments, department_a, text
):
    client.force_login(hr)
    response = client.get(OVERVIEW, {"department_q": text})
    assert response.status_code == 200
    assert rows_named(response) == {department_a.name}


def test_text_that_fits_several_departments_names_some_of_them(client, hr, many_departments):
    client.force_login(hr)
    response = client.get(OVERVIEW, {"department_q": "vej og park"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "“vej og park” passer på mere end én afdeling, blandt andre" in html
    assert "Afdeling for Vej og Park 000" in html
    # The box keeps what was written, so it can be corrected.
    assert 'value="vej og park"' in html


def test_text_that_fits_no_department_says_so_on_the_box(client, hr, many_departments):
    client.force_login(hr)
    response = client.get(OVERVIEW, {"department_q": "Planetarium"})
    assert response.status_code == 400
    assert "Planetarium" in response.content.decode()
    assert response.context["form"].errors["department_q"]


def test_a_link_that_chooses_by_id_shows_the_name_in_the_box(
    client, hr, many_departments, department_b
):
    client.force_login(hr)
    response = client.get(OVERVIEW, {"department": department_b.pk})
    assert rows_named(response) == {department_b.name}
    assert f'name="department_q" value="{department_b.name}"' in response.content.decode()


def test_a_managers_search_never_finds_another_department(client, manager_a, people, department_b):
    client.force_login(manager_a)
    response = client.get(OVERVIEW, {"department_q": department_b.name})
    assert response.status_code == 400
    assert response.context["form"].errors["department_q"]
    assert response.context["filters"] is None


def test_a_cohort_number_means_that_cohort_not_every_cohort_holding_the_digits(
    client, hr, people, many_cohorts
):
    client.force_login(hr)
    response = client.get(OVERVIEW, {"cohort_q": "12"})
    assert response.status_code == 200
    assert response.context["filters"].cohort.name == "Hold 12"


def test_the_search_reaches_the_download_too(client, hr, many_departments, department_a):
    client.force_login(hr)
    response = client.get(reverse("reports:export"), {"department_q": "ØKS"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Søren Ærbø" in body
    assert "Bodil Bæk" not in body


def test_a_form_that_is_not_shown_asks_nothing_for_its_lists(
    hr, many_departments, django_assert_num_queries
):
    form = ReportFilterForm({}, scope=scope_for(hr))
    with django_assert_num_queries(1):  # the current programme, nothing for the lists
        form.filters()
    # Then, shown: one query per list (programme, administration, department, cohort),
    # and drawing them asks nothing more.
    with django_assert_num_queries(4):
        fields = list(form.shown_fields())
    with django_assert_num_queries(0):
        html = "".join(str(field) for field in fields)
    assert 'name="unit"' in html
