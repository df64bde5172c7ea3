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
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import booking
from api.models import Scope
from portal.wsgi import application
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

CI = os.environ.get("HYPOTHESIS_PROFILE") == "ci"
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "0")) or (25 if CI else 6)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def same_connection():
    """The portal as WSGI closes the database connection after each request (as a
    server's worker should); the test's transaction must outlive them, as in Django's
    test client."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, settings, same_connection):
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


# Read from the portal itself when the tests are collected: the document it serves.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
# Examples and random cases; the coverage phase's hundreds of boundary cases per
# endpoint (and other methods than GET: 405) only in the long profile.
schema.config.phases.update(phases=["examples", "fuzzing", *(["coverage"] if CI else [])])


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=not CI,
)
def test_every_endpoint_answers_as_documented_for_every_kind_of_token(case, world):
    for kind, token in world["tokens"].items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        if case.method.upper() != "GET":  # the coverage phase tries other methods
            assert response.status_code == 405
        elif kind in ("none", "garbage", "unknown", "expired", "revoked"):
            assert response.status_code in (400, 401), kind
        elif response.status_code == 200 and kind != "all":
            numbers = {item.get("employee_number") for item in response.json().get("items", [])}
            assert world["outsider"] not in numbers, kind
