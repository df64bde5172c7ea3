"""The read API, ``/api/v1/``: django-ninja writes its OpenAPI 3.1 document from this code.

Every endpoint needs a client's token (``Authorization: Bearer <token>``; missing,
unknown, expired or revoked: 401) and a scope (else 403); each call is counted and
limited (:mod:`api.usage`: over the limit, 429 with ``Retry-After``). Lists come a
cursor page at a time (:mod:`api.pages`), the leaders and attendance only of the
client's departments (:mod:`api.reads`).
"""

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from ninja import NinjaAPI, Query
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer

from api import pages, reads, tokens, usage
from api.docs import ReadableDocs
from api.models import ApiClient, Scope
from api.schemas import (
    AttendancePage,
    CohortPage,
    Invalid,
    LeaderPage,
    Problem,
    ProgrammeList,
    SessionPage,
)
from programme import clock
from programme.models import Programme
from programme.progress import module_state

DESCRIPTION = """
Read-only access to the digital-leadership programme for the municipality's HR and BI
systems: the programme and its modules, cohorts and sessions, leaders with their
standing (the numbers of the completion report and its CSV), and attendance.

Access: HR creates an API client in the portal's admin (*API-klienter*) with its
scopes and departments and hands its token to IT, which sends it as
`Authorization: Bearer <token>`. A missing, unknown, expired or revoked token gets 401,
a scope the client lacks 403, more than the client's calls a minute 429 with
`Retry-After` (seconds).

Lists come a page at a time, in the order of their ids: follow `next` (pass it as
`cursor`) until it is null. Each row that matches is given once, also when data changes
while you read. To sync, ask with `updated_since` set to the `synced_at` of your
previous run.
"""


class RateLimited(Exception):
    def __init__(self, wait: int) -> None:
        super().__init__(wait)
        self.wait = wait


class ClientToken(HttpBearer):
    """An API client's token: the client, counted and limited, or None (401)."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiClient | None:
        now = clock.now()
        client = tokens.client_for(token, now)
        if client is None:
            return None
        match = request.resolver_match
        endpoint = match.url_name if match is not None else request.path[:100]
        wait = usage.wait_seconds(client)
        usage.count_call(client, endpoint, now, refused=wait is not None)
        if wait is not None:
            raise RateLimited(wait)
        return client


class PortalAPI(NinjaAPI):
    """Answers that no browser or proxy keeps: they hold people's data."""

    def create_response(self, request, data, *, status=None, temporal_response=None):
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        patch_cache_control(response, private=True, no_store=True)
        return response


api_v1 = PortalAPI(
    title="Digital ledelse – API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=ClientToken(),
    docs=ReadableDocs(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)

ERRORS = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 422: Invalid, 429: Problem}


@api_v1.exception_handler(RateLimited)
def rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    detail = f"Too many calls: wait {exc.wait} seconds."
    response = api_v1.create_response(request, {"detail": detail}, status=429)
    response["Retry-After"] = str(exc.wait)
    return response


@api_v1.exception_handler(AuthenticationError)
def unauthorised(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    detail = "A valid API token is needed: Authorization: Bearer <token>."
    response = api_v1.create_response(request, {"detail": detail}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api_v1.exception_handler(pages.BadCursor)
def bad_cursor(request: HttpRequest, exc: pages.BadCursor) -> HttpResponse:
    detail = "The cursor is not one this list gave: start again without it."
    return api_v1.create_response(request, {"detail": detail}, status=400)


def require(request: HttpRequest, scope: str) -> ApiClient:
    client: ApiClient = request.auth  # type: ignore[attr-defined]
    if not client.has_scope(scope):
        raise HttpError(403, f"This client lacks the scope {scope}.")
    return client


def since(moment: dt.datetime | None) -> dt.datetime | None:
    """``updated_since`` as an aware moment (a naive one is the portal's local time)."""
    if moment is None:
        return None
    try:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment.astimezone(dt.UTC)
    except (OverflowError, ValueError) as exc:
        raise HttpError(400, "updated_since is out of range.") from exc


# Query parameters. Ids within PostgreSQL's integer; codes as long as departments' codes.
def _id(description: str) -> Any:
    return Annotated[int | None, Query(ge=1, le=2_147_483_647, description=description)]


ProgrammeId = _id("A programme's id; without it, the current one.")
CohortId = _id("Only this cohort (its id).")
DepartmentCode = Annotated[
    str | None, Query(min_length=1, max_length=20, description="A department's code.")
]
AreaCode = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=20,
        description="An administration or centre's code: its own leaders and its departments'.",
    ),
]
UpdatedSince = Annotated[
    dt.datetime | None,
    Query(
        description=(
            "Only rows changed at or after this moment: ISO 8601, e.g. 2016-01-18T09:00:00Z "
            "(an offset's + URL-encoded as %2B; without an offset, Danish time)."
        )
    ),
]
Cursor = Annotated[
    str | None, Query(min_length=1, max_length=2000, description="`next` of the last page.")
]
Limit = Annotated[
    int, Query(ge=1, le=pages.MAX_LIMIT, description=f"Rows per page (at most {pages.MAX_LIMIT}).")
]


@api_v1.get(
    "/programmes",
    response={200: ProgrammeList, **ERRORS},
    url_name="programmes",
    summary="Programmes and their modules",
    tags=["programme"],
)
def programmes(request: HttpRequest):
    """Every programme, the most recent first, with its modules in order. Scope
    `programme:read`."""
    require(request, Scope.PROGRAMME)
    found = Programme.objects.order_by("-starts_on", "pk").prefetch_related("modules")
    items = [
        {
            "id": programme.pk,
            "name": programme.name,
            "description": programme.description,
            "starts_on": programme.starts_on,
            "ends_on": programme.ends_on,
            "modules": sorted(programme.modules.all(), key=lambda m: (m.order, m.pk)),
        }
        for programme in found
    ]
    return {"items": items}


@api_v1.get(
    "/cohorts",
    response={200: CohortPage, **ERRORS},
    url_name="cohorts",
    summary="Cohorts",
    tags=["programme"],
)
def cohorts(
    request: HttpRequest,
    programme: ProgrammeId = None,
    cursor: Cursor = None,
    limit: Limit = pages.DEFAULT_LIMIT,
):
    """A programme's cohorts with their seats taken and waitlists. Scope `programme:read`."""
    require(request, Scope.PROGRAMME)
    position = pages.start("cohorts", reads.Wanted(programme=programme), cursor, clock.now())
    rows = reads.cohorts(reads.programme_or_404(position.wanted.programme))
    fields = ("pk", "programme_id", "name", "capacity", "enrolment_deadline")
    found, after = pages.page(
        "cohorts", rows, position, limit, (*fields, "seats_taken", "waitlist_length", "starts_at")
    )
    items = [{**row, "id": row["pk"], "programme": row["programme_id"]} for row in found]
    return {"items": items, "next": after, "synced_at": position.synced_at}


@api_v1.get(
    "/sessions",
    response={200: SessionPage, **ERRORS},
    url_name="sessions",
    summary="Sessions, with location and facilitator",
    tags=["programme"],
)
def sessions(
    request: HttpRequest,
    programme: ProgrammeId = None,
    cohort: CohortId = None,
    cursor: Cursor = None,
    limit: Limit = pages.DEFAULT_LIMIT,
):
    """A programme's sessions: when, where and who runs them. Scope `programme:read`."""
    require(request, Scope.PROGRAMME)
    wanted = reads.Wanted(programme=programme, cohort=cohort)
    position = pages.start("sessions", wanted, cursor, clock.now())
    programme_row = reads.programme_or_404(position.wanted.programme)
    rows = reads.sessions(programme_row, position.wanted)
    fields = (
        "pk",
        "cohort_id",
        "cohort__name",
        "module_id",
        "module__title",
        "starts_at",
        "ends_at",
        "closed_at",
        "location_id",
        "location__name",
        "location__address",
        "location__capacity",
        "facilitator_id",
        "facilitator__name",
        "facilitator__organisation",
    )
    found, after = pages.page("sessions", rows, position, limit, fields)
    return {
        "items": [_session(row) for row in found],
        "next": after,
        "synced_at": position.synced_at,
    }


def _session(row: dict) -> dict:
    facilitator = None
    if row["facilitator_id"] is not None:
        facilitator = {
            "id": row["facilitator_id"],
            "name": row["facilitator__name"],
            "organisation": row["facilitator__organisation"],
        }
    return {
        "id": row["pk"],
        "cohort": row["cohort_id"],
        "cohort_name": row["cohort__name"],
        "module": row["module_id"],
        "module_title": row["module__title"],
        "starts_at": row["starts_at"],
        "ends_at": row["ends_at"],
        "closed_at": row["closed_at"],
        "location": {
            "id": row["location_id"],
            "name": row["location__name"],
            "address": row["location__address"],
            "capacity": row["location__capacity"],
        },
        "facilitator": facilitator,
    }


@api_v1.get(
    "/leaders",
    response={200: LeaderPage, **ERRORS},
    url_name="leaders",
    summary="Leaders and their standing",
    tags=["reports"],
)
def leaders(
    request: HttpRequest,
    programme: ProgrammeId = None,
    department: DepartmentCode = None,
    area: AreaCode = None,
    cohort: CohortId = None,
    updated_since: UpdatedSince = None,
    cursor: Cursor = None,
    limit: Limit = pages.DEFAULT_LIMIT,
):
    """The leaders of the client's departments (those still with the municipality) and
    where each stands: the numbers of the completion report and its CSV. Scope
    `reports:read`."""
    client = require(request, Scope.REPORTS)
    now = clock.now()
    wanted = reads.Wanted(
        programme=programme,
        department=department,
        area=area,
        cohort=cohort,
        updated_since=since(updated_since),
    )
    # Leaders' timestamps are the database's own (history, standings): the real time.
    position = pages.start("leaders", wanted, cursor, timezone.now())
    programme_row = reads.programme_or_404(position.wanted.programme)
    modules = list(programme_row.modules.order_by("order", "pk"))
    rows = reads.leaders(client, programme_row, position.wanted, now)
    found, after = pages.page("leaders", rows, position, limit, reads.LEADER_FIELDS)
    at = int(now.timestamp())
    items = [_leader(row, modules, at) for row in found]
    return {"items": items, "next": after, "synced_at": position.synced_at}


def _leader(row: dict, modules: list, at: int) -> dict:
    stored = row["stored_modules"] or {}
    completed_at = row["completed_at"]
    return {
        "id": row["pk"],
        "employee_number": row["employee_number"],
        "name": row["name"],
        "email": row["user__email"],
        "title": row["title"],
        "level": row["level"],
        "department": row["department__code"],
        "department_name": row["department__name"],
        "area": row["department__parent__code"],
        "cohort": row["cohort_name"],
        "place": row["enrolment_status"],
        "modules_done": row["modules_done"],
        "modules_required": row["modules_required"],
        "completed": bool(row["is_completed"]),
        "completed_on": timezone.localdate(completed_at) if completed_at else None,
        "behind": bool(row["is_behind"]),
        "modules": [_module(module.pk, stored.get(str(module.pk)), at) for module in modules],
        "updated_at": row["updated_at"],
    }


def _module(pk: int, moments: list | None, at: int) -> dict:
    if moments is None:
        return {"module": pk, "state": "not_booked", "attended_on": None}
    if moments[0] is not None:
        attended = dt.datetime.fromtimestamp(moments[0], tz=dt.UTC)
        return {"module": pk, "state": "completed", "attended_on": timezone.localdate(attended)}
    return {"module": pk, "state": module_state(*moments, at), "attended_on": None}


@api_v1.get(
    "/attendance",
    response={200: AttendancePage, **ERRORS},
    url_name="attendance",
    summary="Attendance at sessions",
    tags=["attendance"],
)
def attendance(
    request: HttpRequest,
    programme: ProgrammeId = None,
    department: DepartmentCode = None,
    area: AreaCode = None,
    cohort: CohortId = None,
    updated_since: UpdatedSince = None,
    cursor: Cursor = None,
    limit: Limit = pages.DEFAULT_LIMIT,
):
    """Attendance recorded for the leaders of the client's departments (still with the
    municipality); `updated_since` compares when it was last recorded. Scope
    `attendance:read`."""
    client = require(request, Scope.ATTENDANCE)
    now = clock.now()
    wanted = reads.Wanted(
        programme=programme,
        department=department,
        area=area,
        cohort=cohort,
        updated_since=since(updated_since),
    )
    position = pages.start("attendance", wanted, cursor, now)
    programme_row = reads.programme_or_404(position.wanted.programme)
    rows = reads.attendance(client, programme_row, position.wanted, now)
    found, after = pages.page("attendance", rows, position, limit, reads.ATTENDANCE_FIELDS)
    items = [
        {
            "id": row["pk"],
            "leader": row["leader_id"],
            "employee_number": row["leader__employee_number"],
            "session": row["session_id"],
            "module": row["session__module_id"],
            "cohort": row["session__cohort_id"],
            "status": row["status"],
            "source": row["source"],
            "recorded_at": row["recorded_at"],
        }
        for row in found
    ]
    return {"items": items, "next": after, "synced_at": position.synced_at}
