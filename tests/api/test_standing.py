"""The API's standing is the completion report's: for every leader of the demo data the
API gives the numbers the CSV export gives; a client reads only its departments."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils import translation

import demo as demo_data
from api.models import Scope
from programme import clock
from programme.models import Attendance, Department, Leader, Programme, User
from programme.progress import ModuleState
from tests.api.conftest import make_client


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = demo_data.DEMO_AS_OF.isoformat()


def every_leader(api_get, token, path="leaders", **params) -> list[dict]:
    items, cursor = [], None
    while True:
        query = {"cursor": cursor} if cursor else {"limit": 50, **params}
        response = api_get(path, token, **query)
        assert response.status_code == 200, response.content
        body = response.json()
        items += body["items"]
        cursor = body["next"]
        if not cursor:
            return items


def csv_rows(client) -> dict[str, list[str]]:
    client.force_login(User.objects.get(email=demo_data.HR_EMAIL))
    response = client.get(reverse("reports:export"), {"dialect": "standard"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    return {row[0]: row for row in rows[1:]}


def test_the_api_gives_every_leader_the_numbers_of_the_csv(client, demo, api_get):
    _api_client, token = make_client(scopes=[Scope.REPORTS])
    modules = list(Programme.current().modules.order_by("order"))
    from_csv = csv_rows(client)
    from_api = {item["employee_number"]: item for item in every_leader(api_get, token)}
    assert len(from_api) > 100
    assert set(from_api) == set(from_csv)
    yes, no = "Ja", "Nej"
    with translation.override("da"):
        labels = {state: str(label) for state, label in ModuleState.LABELS.items()}
    places = {"enrolled": "Tilmeldt", "waitlisted": "På venteliste", None: "Ikke tilmeldt"}
    for number, item in from_api.items():
        row = from_csv[number]
        n = len(modules)
        done, required, completed_on, behind = row[7 + n : 11 + n]
        assert (item["modules_done"], item["modules_required"]) == (int(done), int(required))
        assert (item["completed_on"] or "") == completed_on, number
        assert (yes if item["behind"] else no) == behind, number
        assert (item["cohort"] or "") == row[5]
        assert places[item["place"]] == row[6]
        # Each module: attended on the same day, or in the same state.
        for module, cell in zip(item["modules"], row[7 : 7 + n], strict=True):
            if module["state"] == "completed":
                assert cell == f"Deltog {module['attended_on']}", number
            else:
                assert module["attended_on"] is None
                assert cell == labels[module["state"]], number
    # At the demo's moment some leaders have modules done, and some are behind.
    assert any(item["modules_done"] for item in from_api.values())
    assert any(item["behind"] for item in from_api.values())


def test_a_client_of_some_departments_never_reads_the_others(demo, api_get):
    manager = User.objects.get(email=demo_data.MANAGER_EMAIL)
    mine = list(Department.objects.filter(managers=manager))
    api_client, token = make_client(scopes=[Scope.REPORTS, Scope.ATTENDANCE], departments=mine)
    scope = api_client.department_scope()
    codes = set(scope.values_list("code", flat=True))
    leaders = every_leader(api_get, token)
    assert leaders
    assert {item["department"] for item in leaders} <= codes
    here = Leader.objects.filter(Leader.here_on(clock.today()), department__in=scope)
    assert len(leaders) == here.count()
    records = every_leader(api_get, token, path="attendance")
    assert records
    assert {record["leader"] for record in records} <= set(here.values_list("pk", flat=True))
    # A department outside the scope, asked for by its code: 404, and nothing of it.
    other = Department.objects.exclude(pk__in=[d.pk for d in mine]).first()
    for path in ("leaders", "attendance"):
        response = api_get(path, token, department=other.code)
        assert response.status_code == 404
        assert other.name not in response.content.decode()


def test_an_area_includes_its_departments(demo, api_get):
    area = Department.objects.create(name="Område Nord", code="NORD")
    two = list(Department.objects.filter(parent__isnull=True, leaders__isnull=False).distinct()[:2])
    Department.objects.filter(pk__in=[d.pk for d in two]).update(parent=area)
    _api_client, token = make_client(scopes=[Scope.REPORTS], departments=[area])
    leaders = every_leader(api_get, token)
    codes = set(area.units.values_list("code", flat=True)) | {area.code}
    assert leaders
    assert {item["department"] for item in leaders} <= codes
    assert {item["department"] for item in leaders} - {area.code}


def test_attendance_is_the_recorded_attendance(demo, api_get):
    _api_client, token = make_client(scopes=[Scope.ATTENDANCE])
    records = every_leader(api_get, token, path="attendance")
    here = Attendance.objects.filter(Leader.here_on(clock.today(), "leader__"))
    assert len(records) == here.filter(session__module__programme=Programme.current()).count()
    one = Attendance.objects.get(pk=records[0]["id"])
    assert (records[0]["status"], records[0]["session"]) == (one.status, one.session_id)
