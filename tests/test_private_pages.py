"""Pages with personal data are never kept by a browser's or a proxy's cache.

The outside tester found the dashboard, the report pages and the CSV download without
``Cache-Control: private, no-store`` (only the personal-data download had it): on a
shared PC the back button, or a caching proxy, could show one person's page to the
next. Every response to a signed-in person now carries it.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

import booking
from tests.conftest import NOW


def cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part}


@pytest.fixture
def seated(leader, cohort):
    booking.enrol(leader=leader, cohort=cohort, now=NOW)
    return leader


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("leader", lambda w: reverse("dashboard:dashboard")),
        ("leader", lambda w: reverse("dashboard:cohort_list")),
        ("leader", lambda w: reverse("dashboard:schedule_ics")),
        ("leader", lambda w: reverse("privacy:my_data")),
        ("manager_a", lambda w: reverse("reports:overview")),
        ("manager_a", lambda w: reverse("reports:department", args=[w["department_a"].pk])),
        ("manager_a", lambda w: reverse("reports:export")),
        ("manager_a", lambda w: reverse("managers:team")),
        ("manager_a", lambda w: reverse("managers:export")),
        ("leader", lambda w: reverse("accounts:profile")),
        ("hr", lambda w: reverse("admin:index")),
        ("hr", lambda w: reverse("admin:programme_leader_import")),
    ],
    ids=[
        "dashboard",
        "cohorts",
        "calendar",
        "my-data",
        "report",
        "department-report",
        "csv",
        "team",
        "team-csv",
        "profile",
        "admin",
        "import",
    ],
)
def test_every_page_for_a_signed_in_person_is_private_and_not_stored(
    client, seated, manager_a, hr, department_a, who, url
):
    people = {"leader": seated.user, "manager_a": manager_a, "hr": hr}
    client.force_login(people[who])
    response = client.get(url({"department_a": department_a}))
    assert response.status_code == 200
    assert {"private", "no-store"} <= cache_control(response)
    assert "public" not in cache_control(response)


def test_the_personal_data_download_keeps_its_stronger_header(client, seated):
    client.force_login(seated.user)
    response = client.get(reverse("privacy:my_data_json"))
    assert {"private", "no-store", "no-cache", "must-revalidate"} <= cache_control(response)


def test_public_pages_are_left_as_they_are(client, db):
    assert "no-store" not in cache_control(client.get(reverse("accessibility")))
