"""schemathesis against the live OpenAPI document (``/api/v1/openapi.json``, read from
the running portal through WSGI): every endpoint, with a token of each scope and with
bad ones, answers no 500 and only what the document describes (status, content type,
body), and a client of one department never reads another's leaders.

Few examples per endpoint in ``make test`` (``API_FUZZ_EXAMPLES``; the PostgreSQL pass
of ``.ci/run`` with ``HYPOTHESIS_PROFILE=ci`` more)."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import booking
from api.models import Scope
from programme.models import Attendance
from tests.api.conftest import make_client
from tests.conftest import (
    NOW,
    hold_1,
    hold_2,
    make_department_a,
    make_department_b,
    make_modules,
    make_programme,
    the_colleague,
    the_leader,
    the_outsider,
)

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "0")) or (
    40 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 8
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def world(db, settings):
    """Two departments, a programme with two cohorts, places and attendance; a token of
    each kind (the scoped ones read department A only)."""
    settings.PORTAL_CLOCK = NOW.isoformat()
    settings.API_RATE_PER_MINUTE = 0
    a, b = make_department_a(), make_department_b()
    programme = make_programme()
    modules = make_modules(programme)
    cohort, _other = hold_1(programme, modules), hold_2(programme, modules)
    leader, colleague, outsider = the_leader(a), the_colleague(a), the_outsider(b)
    for person in (leader, colleague, outsider):
        booking.enrol(leader=person, cohort=cohort, now=NOW)
    session = cohort.sessions.order_by("starts_at").first()
    for person in (leader, outsider):
        Attendance.objects.create(leader=person, session=session, status="present")
    tokens = {"none": None, "garbage": "not-a-token", "unknown": "dlp_00000000_" + "x" * 43}
    tokens["expired"] = make_client("e", departments=[a], expires_at=NOW - dt.timedelta(1))[1]
    tokens["revoked"] = make_client("r", departments=[a], revoked_at=NOW)[1]
    for scope in Scope:
        tokens[scope.value] = make_client(scope.value, [scope], departments=[a])[1]
    tokens["all"] = make_client("all")[1]
    return {"tokens": tokens, "outsider": outsider.employee_number}


@pytest.fixture
def api_schema(world):
    from portal.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=os.environ.get("HYPOTHESIS_PROFILE") != "ci",
)
def test_every_endpoint_answers_as_documented_for_every_kind_of_token(case, world):
    for kind, token in world["tokens"].items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        if kind in ("none", "garbage", "unknown", "expired", "revoked"):
            assert response.status_code in (400, 401), kind
        elif response.status_code == 200 and kind != "all":
            numbers = {item.get("employee_number") for item in response.json().get("items", [])}
            assert world["outsider"] not in numbers, kind
