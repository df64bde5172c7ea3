"""Every page's queries, pinned by name and in order, the same on the demo data and on
ten times more: a page that starts asking per leader, per row or twice for the same
thing fails here with the list of what it now asks. The read API's lists too.

The names come from :func:`tests.conftest.query_name` (verb and first table). When a
page changes on purpose, run this file with ``-vv``: the failure shows the new list.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib import admin
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import demo as demo_data
from approvals.models import EnrolmentRequest
from groups.models import GroupMembership
from programme.models import (
    Attendance,
    Cohort,
    Department,
    Enrolment,
    Leader,
    Reservation,
    Session,
    User,
)
from tests.conftest import query_name, session_queries

USER = ["select programme_user"]


def _full_case():
    """An enrolled leader with an initiative (and so its history): every page's full case."""
    return (
        Enrolment.objects.filter(status="enrolled", leader__initiatives__isnull=False)
        .order_by("pk")
        .first()
    )


def leader_user() -> User:
    return _full_case().leader.user


def on_track_user() -> User:
    """A seated leader not behind at the demo's moment: their page offers no make-ups,
    so it is kept."""
    on_track = Q(leader__standings__behind_from__isnull=True) | Q(
        leader__standings__behind_from__gt=timezone.make_aware(demo_data.DEMO_AS_OF)
    )
    return Enrolment.objects.filter(on_track, status="enrolled").order_by("pk").first().leader.user


def own_cohort() -> int:
    return _full_case().cohort_id


def own_session() -> int:
    return Session.objects.filter(cohort=own_cohort()).order_by("starts_at").first().pk


def own_group() -> int:
    """The full case's learning group (the demo forms each cohort's groups)."""
    return GroupMembership.objects.get(leader=_full_case().leader).group_id


def attended_session() -> int:
    """A session the full case attended (and evaluated: the demo's leaders mostly did)."""
    return (
        Attendance.objects.filter(leader=_full_case().leader, status="present")
        .order_by("session__starts_at")
        .first()
        .session_id
    )


def facilitated_session() -> int:
    """A session the demo's facilitator with a login ran, that has ended."""
    return (
        Session.objects.filter(facilitator__user__email=demo_data.FACILITATOR_EMAIL)
        .exclude(attendances=None)
        .order_by("starts_at")
        .first()
        .pk
    )


def first_department() -> int:
    return Department.objects.get(code="ØKS").pk


def team_leader() -> int:
    """A seated leader in the demo manager's departments: their place, in the manager's hands."""
    manager = User.objects.get(email=demo_data.MANAGER_EMAIL)
    return (
        Enrolment.objects.filter(status="enrolled", leader__department__managers=manager)
        .order_by("leader__employee_number")
        .first()
        .leader_id
    )


def team_reservation() -> int:
    """Seats reserved for the demo manager (the demo has none), held open: the page with
    the leaders who may be named."""
    import datetime as dt

    manager = User.objects.get(email=demo_data.MANAGER_EMAIL)
    reservation = Reservation.objects.filter(manager=manager).first()
    if reservation is None:
        cohort = Cohort.objects.order_by("-pk").first()
        reservation = Reservation.objects.create(
            cohort=cohort, manager=manager, seats=2, release_on=dt.date(2100, 1, 1)
        )
    return reservation.pk


LEADER_PAGES = {
    "dashboard": lambda: reverse("dashboard:dashboard"),
    "cohort list": lambda: reverse("dashboard:cohort_list"),
    "cohort detail": lambda: reverse("dashboard:cohort_detail", args=[own_cohort()]),
    "schedule ics": lambda: reverse("dashboard:schedule_ics"),
    "session ics": lambda: reverse("dashboard:session_ics", args=[own_session()]),
    "my data": lambda: reverse("privacy:my_data"),
    "my data json": lambda: reverse("privacy:my_data_json"),
    "my data csv": lambda: reverse("privacy:my_data_csv"),
    "self-assessment": lambda: reverse("outcomes:self_assessment"),
    "self-assessment result": lambda: reverse("outcomes:assessment_result"),
    "initiatives": lambda: reverse("outcomes:initiative_list"),
    "catalogue": lambda: reverse("outcomes:catalogue"),
    "materials": lambda: reverse("materials:list"),
    "profile": lambda: reverse("accounts:profile"),
    "learning group": lambda: reverse("groups:detail", args=[own_group()]),
    "report absence": lambda: reverse("dashboard:report_absence", args=[own_session()]),
    "evaluation": lambda: reverse("evaluations:answer", args=[attended_session()]),
}
REPORT_PAGES = {
    "report overview": lambda: reverse("reports:overview"),
    "report department": lambda: reverse("reports:department", args=[first_department()]),
    "report csv": lambda: reverse("reports:export") + "?dialect=standard",
    "report xlsx": lambda: reverse("reports:export_xlsx"),
    "forecast": lambda: reverse("reports:forecast"),
    "forecast csv": lambda: reverse("reports:forecast_csv") + "?dialect=standard",
    "not enrolled": lambda: reverse("reports:compliance", args=["not_enrolled"]),
    "behind": lambda: reverse("reports:compliance", args=["behind"]),
    "outcomes": lambda: reverse("outcomes:report"),
    "team": lambda: reverse("managers:team"),
    "team csv": lambda: reverse("managers:export") + "?dialect=standard",
    "team xlsx": lambda: reverse("managers:export_xlsx"),
    "team place": lambda: reverse("managers:place", args=[team_leader()]),
    "team reservations": lambda: reverse("managers:reservations"),
    "team reservation": lambda: reverse("managers:reservation", args=[team_reservation()]),
    "absences": lambda: reverse("managers:absences"),
    "team approvals": lambda: reverse("managers:approvals"),
    "profile": lambda: reverse("accounts:profile"),  # everyone's, as a manager and HR see it
}


def admin_pages() -> list[tuple[str, str, Callable[[], str]]]:
    """The admin's start page and every list, as HR where HR may see it, else as a
    superuser (user accounts and groups are the superuser's)."""
    hr = who_is("hr")
    pages = [("hr admin index", "hr", lambda: reverse("admin:index"))]
    for model in admin.site._registry:
        meta = model._meta
        who = "hr" if hr.has_perm(f"{meta.app_label}.view_{meta.model_name}") else "superuser"
        name = f"admin:{meta.app_label}_{meta.model_name}"
        pages.append(
            (f"{who} admin {meta.model_name} list", who, lambda n=name: reverse(f"{n}_changelist"))
        )
        model_admin = admin.site._registry[model]
        if model_admin.has_add_permission(FakeRequest(hr if who == "hr" else None)):
            pages.append(
                (f"{who} admin {meta.model_name} add", who, lambda n=name: reverse(f"{n}_add"))
            )
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            pages.append(
                (
                    f"{who} admin {meta.model_name} change",
                    who,
                    lambda n=name, pk=first.pk: reverse(f"{n}_change", args=[pk]),
                )
            )
    return pages


class FakeRequest:
    """Only what ModelAdmin.has_add_permission reads: the user."""

    def __init__(self, user):
        self.user = user or User(is_superuser=True, is_staff=True, is_active=True)


def who_is(who: str) -> User:
    return {
        "leader": leader_user,
        "manager": lambda: User.objects.get(email=demo_data.MANAGER_EMAIL),
        "hr": lambda: User.objects.get(email=demo_data.HR_EMAIL),
        "facilitator": lambda: User.objects.get(email=demo_data.FACILITATOR_EMAIL),
        "superuser": lambda: (
            User.objects.filter(is_superuser=True).first()
            or User.objects.create_superuser(email="root@example.org", password="x")
        ),
    }[who]()


def all_pages() -> list[tuple[str, str, Callable[[], str]]]:
    pages = [(f"leader {n}", "leader", url) for n, url in LEADER_PAGES.items()]
    pages += [(f"manager {n}", "manager", url) for n, url in REPORT_PAGES.items()]
    pages += [(f"hr {n}", "hr", url) for n, url in REPORT_PAGES.items()]
    pages.append(("hr start", "hr", lambda: reverse("hr:start")))
    # Session evaluations: HR's averages, and the facilitator's of their own sessions.
    pages.append(("hr evaluations", "hr", lambda: reverse("evaluations:overview")))
    for who in ("hr", "facilitator"):
        pages.append(
            (
                f"{who} evaluation session",
                who,
                lambda: reverse("evaluations:session", args=[facilitated_session()]),
            )
        )
    pages.append(("facilitator evaluations", "facilitator", lambda: reverse("evaluations:mine")))
    pages += admin_pages()
    return pages


def asked(client, url: str) -> list[str]:
    """The queries of the page's second visit: the steady state, after the process has
    cached what it caches for good (content types, permissions' names)."""
    response = client.get(url)
    if response.streaming:
        b"".join(response.streaming_content)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, (url, response.status_code)
    return [query_name(q["sql"]) for q in ctx.captured_queries]


# The read API's lists (/api/v1/), called with a client's token and no sign-in: after
# the token's client and today's count of its calls, what each list asks.
API_LISTS = ["programmes", "cohorts", "sessions", "leaders", "attendance"]


def measure_api() -> dict[str, list[str]]:
    from django.test import Client

    from tests.api.conftest import bearer, make_client

    _api_client, token = make_client("Budget")
    client, seen = Client(), {}
    for path in API_LISTS:
        # The first call makes today's row of the count; the second only raises it.
        assert client.get(f"/api/v1/{path}", **bearer(token)).status_code == 200
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/api/v1/{path}", **bearer(token))
        assert response.status_code == 200 and response.json()["items"], path
        seen[f"api {path}"] = [query_name(q["sql"]) for q in ctx.captured_queries]
    return seen


def measure(client) -> dict[str, list[str]]:
    seen = {}
    for name, who, url in all_pages():
        client.force_login(who_is(who))
        client.get(reverse("healthz"))  # the first request after sign-in writes the session
        queries = asked(client, url())
        prefix = session_queries() + USER
        assert queries[: len(prefix)] == prefix, (name, queries)
        seen[name] = queries[len(prefix) :]
    return seen


def ask_for_places() -> User:
    """With approval on: every leader without a place asks for one in the programme's
    last cohort (so the lists grow with the data); the first of them, whose dashboard
    then shows the request."""
    placed = Enrolment.objects.filter(status__in=Enrolment.ACTIVE).values("leader")
    waiting = list(
        Leader.objects.exclude(pk__in=placed).filter(left_on__isnull=True).order_by("pk")
    )
    cohort = Cohort.objects.order_by("-enrolment_deadline", "-pk").first()
    asked_at = timezone.make_aware(demo_data.DEMO_AS_OF)
    EnrolmentRequest.objects.bulk_create(
        [
            EnrolmentRequest(leader=leader, cohort=cohort, requested_at=asked_at)
            for leader in waiting
        ]
    )
    assert waiting
    return waiting[0].user


APPROVAL_PAGES = [
    ("approval leader dashboard with a request", "requester", "dashboard:dashboard"),
    ("approval manager approvals", "manager", "managers:approvals"),
    ("approval hr approvals", "hr", "managers:approvals"),
    ("approval hr start", "hr", "hr:start"),
]


def measure_approvals(client, requester: User) -> dict[str, list[str]]:
    seen = {}
    for name, who, url in APPROVAL_PAGES:
        client.force_login(requester if who == "requester" else who_is(who))
        client.get(reverse("healthz"))
        queries = asked(client, reverse(url))
        prefix = session_queries() + USER
        assert queries[: len(prefix)] == prefix, (name, queries)
        seen[name] = queries[len(prefix) :]
    return seen


@pytest.mark.parametrize("leaders", [150, 1500], ids=["1x", "10x"])
def test_every_page_asks_the_same_named_queries_at_1x_and_10x_the_data(
    client, db, settings, leaders
):
    demo_data.seed(leaders=leaders)
    # Each page as it is built (with REDIS_URL the dashboard is kept: measured below).
    settings.PAGE_CACHE_SECONDS = 0
    seen = measure(client)
    seen.update(measure_api())
    # Approval on (ENROLMENT_APPROVAL=manager), every leader without a place asking.
    settings.ENROLMENT_APPROVAL = "manager"
    seen.update(measure_approvals(client, ask_for_places()))
    settings.ENROLMENT_APPROVAL = "none"
    # Pages kept in the shared cache (programme/pagecache.py): session, user, versions.
    settings.PAGE_CACHE_SECONDS = 300
    settings.PORTAL_CLOCK = demo_data.DEMO_AS_OF.isoformat()  # naive: local time
    client.force_login(on_track_user())
    client.get(reverse("healthz"))
    prefix = len(session_queries() + USER)
    seen["leader dashboard kept"] = asked(client, reverse("dashboard:dashboard"))[prefix:]
    seen["leader cohort list kept"] = asked(client, reverse("dashboard:cohort_list"))[prefix:]
    for who in ("manager", "hr"):
        client.force_login(who_is(who))
        client.get(reverse("healthz"))
        seen[f"{who} report overview kept"] = asked(client, reverse("reports:overview"))[prefix:]
    expected = BUDGET
    if connection.vendor != "postgresql":
        # The exports' own statement timeout is PostgreSQL's (portal.db.statement_timeout).
        expected = {k: [q for q in v if q not in POSTGRESQL_ONLY] for k, v in expected.items()}
    else:
        # On PostgreSQL the completion CSV's lines are written by the database, one SELECT
        # over the leaders', planned without nested loops (reports/export_sql.py).
        expected = {
            k: [one for q in v for one in (BUILT_IN_SQL.get(q, [q]) if k in EXPORTS else [q])]
            for k, v in expected.items()
        }
    assert set(seen) == set(expected), "a page was added or removed: pin its queries below"
    different = {
        name: {"now": seen[name], "pinned": expected[name]}
        for name in seen
        if seen[name] != expected[name]
    }
    assert not different, "\n".join(f"{k}: {v}" for k, v in different.items())


# What each page asks after its session and user reads, pinned from a measured run.
# The user is read with their leader record and whether they are HR or a manager in
# one query (User.for_request); the programme once per request (current_programme),
# shared with the header. The admin asks permissions twice and counts a list twice
# (filtered and unfiltered). "select qualify" is the make-up choices' window query.
POSTGRESQL_ONLY = {"set_config", "reset", "set"}
EXPORTS = {"manager report csv", "hr report csv"}
BUILT_IN_SQL = {"select programme_leader": ["set_config", "select export_rows", "reset"]}
BUDGET: dict[str, list[str]] = {
    # The API: the token's client, today's count of its calls (one UPDATE), then the list.
    # The API's clients (none in the demo: no prefetch of their departments) and calls.
    "hr admin apiclient list": [
        "select auth_permission",
        "select auth_permission",
        "count subquery",
        "count subquery",
        "select api_apiclient",
        "select programme_programme",
    ],
    "hr admin apiclient add": [
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "select programme_department",
    ],
    "hr admin apiusage list": [
        "select auth_permission",
        "select auth_permission",
        "select api_apiclient",  # the client filter's choices
        "count api_apiusage",
        "count api_apiusage",
        "select api_apiusage",
        "select programme_programme",
        "select api_apiusage",  # the endpoint filter's choices
    ],
    "api programmes": [
        "select api_apiclient",
        "update api_apiusage",
        "select programme_programme",
        "select programme_module",
    ],
    "api cohorts": [
        "select api_apiclient",
        "update api_apiusage",
        "select programme_programme",
        "select programme_cohort",
    ],
    "api sessions": [
        "select api_apiclient",
        "update api_apiusage",
        "select programme_programme",
        "select programme_session",
    ],
    "api leaders": [
        "select api_apiclient",
        "update api_apiusage",
        "select programme_programme",
        "select programme_module",
        "count programme_module",
        "select programme_leader",
    ],
    "api attendance": [
        "select api_apiclient",
        "update api_apiusage",
        "select programme_programme",
        "select programme_attendance",
    ],
    "leader dashboard": [
        "select programme_programme",
        "select programme_module",
        # The leader's standing, whether they have an initiative, their learning group
        # and the self-assessment rounds they answered: one query.
        "select programme_leader",
        "select programme_enrolment",
        "select programme_session",
        "select programme_makeupbooking",
        "select programme_attendance",
        "select programme_absencenotice",  # each session's absence reported in advance
        "select qualify",
        # The sessions the leader attended and has not evaluated yet.
        "select programme_session",
    ],
    # Kept in the shared cache (programme/pagecache.py): after the session and the user,
    # only the versions the copy must carry, read from the database in one query.
    "leader dashboard kept": ["select programme_pagewrite"],
    # A session the leader attended (with its module, programme, facilitator, cohort),
    # their own evaluation of it, then the header's programme.
    "leader evaluation": [
        "select programme_session",
        "select evaluations_evaluation",
        "select programme_programme",
    ],
    # HR's averages: the header's programme, the ended sessions, the blocks and their
    # sums per session, again per module (and the whole), the modules, the facilitators'
    # sessions.
    "hr evaluations": [
        "select programme_programme",
        "select programme_session",
        "select programme_statisticsblock",
        "select programme_statisticsvalue",
        "select programme_statisticsblock",
        "select programme_statisticsvalue",
        "select programme_module",
        "select programme_session",
    ],
    # One session: the session (HR any, a facilitator their own), its blocks and sums,
    # the entries in them and their texts, then the header's programme.
    "hr evaluation session": [
        "select programme_session",
        "select programme_statisticsblock",
        "select programme_statisticsvalue",
        "select programme_statisticsentry",
        "select evaluations_evaluation",
        "select programme_programme",
    ],
    "facilitator evaluation session": [
        "select programme_session",
        "select programme_statisticsblock",
        "select programme_statisticsvalue",
        "select programme_statisticsentry",
        "select evaluations_evaluation",
        "select programme_programme",
    ],
    # The facilitator's own sessions: the header's programme, their ended sessions, the
    # blocks and sums per session.
    "facilitator evaluations": [
        "select programme_programme",
        "select programme_session",
        "select programme_statisticsblock",
        "select programme_statisticsvalue",
    ],
    # The group's page: the group, whether the leader is in it, its members (with their
    # departments and areas), then the header's programme, and the initiatives the
    # members share or work on.
    "leader learning group": [
        "select groups_learninggroup",
        "exists groups_groupmembership",
        "select groups_groupmembership",
        "select programme_programme",
        "select programme_initiative",
    ],
    # The filters' choices (programme, cohort), the counts, the groups with theirs.
    "hr admin material list": [
        "select auth_permission",
        "select auth_permission",
        "select programme_module",
        "count materials_material",
        "count materials_material",
        "select materials_material",
        "select programme_programme",
    ],
    "hr admin material add": [
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
    ],
    # The demo's materials (demo/materials.py): one to change, the module choices.
    "hr admin material change": [
        "select materials_material",
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "select programme_module",
    ],
    "hr admin learninggroup list": [
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "select programme_cohort",
        "count subquery",
        "count subquery",
        "select groups_learninggroup",
        "select programme_programme",
    ],
    "hr admin learninggroup add": [
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "select programme_programme",
        "select programme_cohort",
    ],
    # The members with their leaders in one query: the search box shows them as read.
    "hr admin learninggroup change": [
        "select groups_learninggroup",
        "select auth_permission",
        "select auth_permission",
        "select groups_groupmembership",
        "select programme_programme",
    ],
    "leader cohort list kept": ["select programme_pagewrite"],
    "manager report overview kept": ["select programme_pagewrite"],
    "hr report overview kept": ["select programme_pagewrite"],
    "leader cohort list": [
        "select programme_programme",
        "count programme_cohort",
        "select programme_enrolment",
        "select programme_cohort",
    ],
    "leader cohort detail": [
        "select programme_cohort",
        "select programme_enrolment",
        "select programme_programme",
        "select programme_session",
    ],
    "leader schedule ics": ["select programme_programme", "select programme_session"],
    "leader session ics": ["select programme_session"],
    "leader my data": ["select programme_leader", "select programme_programme"],
    "leader my data json": [
        "select programme_leader",
        "select programme_department",
        "select programme_enrolment",
        "select approvals_enrolmentrequest",
        "select programme_attendance",
        "select programme_makeupbooking",
        "select programme_absencenotice",
        "select programme_assessmentresponse",
        "select programme_answer",
        "select programme_statement",
        "select programme_initiative",
        "select programme_initiativestatuschange",
        "select outcomes_collaborator",
        "select groups_groupmembership",
        "select evaluations_evaluation",
        "select programme_invitation",
        "select post_office_email",
        "select programme_sentreminder",
        "select programme_historicalleader",
        "select axes_accesslog",
    ],
    "leader my data csv": [
        "select programme_leader",
        "select programme_department",
        "select programme_enrolment",
        "select approvals_enrolmentrequest",
        "select programme_attendance",
        "select programme_makeupbooking",
        "select programme_absencenotice",
        "select programme_assessmentresponse",
        "select programme_answer",
        "select programme_statement",
        "select programme_initiative",
        "select programme_initiativestatuschange",
        "select outcomes_collaborator",
        "select groups_groupmembership",
        "select evaluations_evaluation",
        "select programme_invitation",
        "select post_office_email",
        "select programme_sentreminder",
        "select programme_historicalleader",
        "select axes_accesslog",
    ],
    "leader self-assessment": ["select programme_programme", "select programme_enrolment"],
    "leader self-assessment result": [
        "select programme_programme",
        "select programme_assessmentresponse",
        "select programme_answer",
    ],
    "leader initiatives": [
        "select programme_programme",
        "select programme_initiative",
        "select programme_initiativestatuschange",
    ],
    "leader materials": [
        "select programme_session",
        "select materials_material",
        "select programme_programme",
    ],
    "leader catalogue": [
        "select programme_programme",
        "count programme_initiative",
        "select programme_department",
        "select programme_initiative",
        "select outcomes_collaborator",
    ],
    "manager report overview": [
        "select programme_department",
        "select programme_programme",
        "select programme_department",
        "select programme_pagewrite",
        "select programme_departmenttally",
        "select programme_departmenttally",
        "select programme_tallyneed",
        "select programme_module",
        "select programme_pagewrite",
        "select programme_programmetally",
        "select programme_programme",
        "select programme_department",
        "select programme_cohort",
    ],
    "manager report department": [
        "select programme_department",
        "select programme_department",
        "select programme_programme",
        "select programme_module",
        "count programme_module",
        "select programme_leader",
        "select programme_programme",
        "select programme_cohort",
    ],
    "manager report csv": [
        "set_config",
        "select programme_department",
        "select programme_programme",
        "select programme_module",
        "count programme_module",
        "select programme_leader",
        "reset",
    ],
    "manager report xlsx": [
        "set_config",
        "select programme_department",
        "select programme_programme",
        "select programme_module",
        "count programme_module",
        "select programme_leader",
        "reset",
    ],
    "manager not enrolled": [
        "select programme_department",
        "select programme_programme",
        "count programme_module",
        "select programme_leader",
    ],
    "manager behind": [
        "select programme_department",
        "select programme_programme",
        "count programme_module",
        "select programme_leader",
    ],
    # The test's clock is past the demo programme's end: whether its leftover answers
    # were combined (once; the first visit did it), then the manager's departments, the
    # blocks' sizes and their sums (reports/disclosure.py).
    "manager outcomes": [
        "select programme_department",
        "select programme_programme",
        "exists programme_statisticsscope",
        "select programme_department",
        "select programme_statisticsblock",
        "select programme_statisticsvalue",
        "select programme_leader",
        "select programme_initiative",
        "count programme_initiative",
        "select programme_module",
        "select programme_pagewrite",
        "select programme_programmetally",
        "select programme_department",
        "select programme_pagewrite",
        "select programme_departmenttally",
        "select programme_departmenttally",
        "select programme_tallyneed",
        "select programme_initiative",
        "select programme_programme",
        "select programme_programme",
        "select programme_department",
        "select programme_cohort",
        "select programme_initiative",
    ],
    "hr report overview": [
        "select programme_programme",
        "select programme_pagewrite",
        "select programme_programmetally",
        "select programme_module",
        "select programme_pagewrite",
        "select programme_programmetally",
        "select programme_programme",
        "select programme_department",
        "select programme_department",
        "select programme_cohort",
    ],
    "hr report department": [
        "select programme_department",
        "select programme_programme",
        "select programme_module",
        "count programme_module",
        "select programme_leader",
        "select programme_programme",
        "select programme_department",
        "select programme_cohort",
    ],
    "hr report csv": [
        "set_config",
        "select programme_programme",
        "select programme_module",
        "count programme_module",
        "select programme_leader",
        "reset",
    ],
    "hr report xlsx": [
        "set_config",
        "select programme_programme",
        "select programme_module",
        "count programme_module",
        "select programme_leader",
        "reset",
    ],
    "hr not enrolled": [
        "select programme_programme",
        "count programme_module",
        "select programme_leader",
    ],
    "hr behind": [
        "select programme_programme",
        "count programme_module",
        "select programme_leader",
    ],
    # As the manager's, with the administrations and centres read after the blocks.
    "hr outcomes": [
        "select programme_programme",
        "exists programme_statisticsscope",
        "select programme_statisticsblock",
        "select programme_statisticsvalue",
        "select programme_department",
        "select programme_leader",
        "select programme_initiative",
        "count programme_initiative",
        "select programme_module",
        "select programme_pagewrite",
        "select programme_programmetally",
        "select programme_pagewrite",
        "select programme_programmetally",
        "select programme_initiative",
        "select programme_programme",
        "select programme_programme",
        "select programme_department",
        "select programme_department",
        "select programme_cohort",
        "select programme_initiative",
    ],
    # "Mit team": the scope, the programme, the required modules' count, the page's
    # count and rows (one query with every column), then the reports' filters as they are
    # rendered (departments, cohorts; HR's administrations and centres too).
    "manager team": [
        "select programme_department",
        "select programme_programme",
        "count programme_module",
        "count programme_leader",
        "select programme_module",
        "select programme_pagewrite",
        "select programme_programmetally",
        "select programme_department",
        "select programme_pagewrite",
        "select programme_departmenttally",
        "select programme_departmenttally",
        "select programme_tallyneed",
        "select programme_leader",
        "select programme_department",
        "select programme_cohort",
    ],
    "manager team csv": [
        "set_config",
        "select programme_department",
        "select programme_programme",
        "count programme_module",
        "select programme_leader",
        "reset",
    ],
    "manager team xlsx": [
        "set_config",
        "select programme_department",
        "select programme_programme",
        "count programme_module",
        "select programme_leader",
        "reset",
    ],
    "hr team": [
        "select programme_programme",
        "count programme_module",
        "count programme_leader",
        "select programme_module",
        "select programme_pagewrite",
        "select programme_programmetally",
        "select programme_pagewrite",
        "select programme_programmetally",
        "select programme_leader",
        "select programme_department",
        "select programme_department",
        "select programme_cohort",
    ],
    "hr team csv": [
        "set_config",
        "select programme_programme",
        "count programme_module",
        "select programme_leader",
        "reset",
    ],
    "hr team xlsx": [
        "set_config",
        "select programme_programme",
        "count programme_module",
        "select programme_leader",
        "reset",
    ],
    # A leader's place in the manager's hands: the scope, the leader in it (with their
    # login and department), the programme, the leader's place with its cohort, and the
    # cohorts that take enrolments with their seats (read once for the form).
    "manager team place": [
        "select programme_department",
        "select programme_leader",
        "select programme_programme",
        "select programme_enrolment",
        "select programme_cohort",
    ],
    # Reservations: the programme and cohort filters' choices, the counts, the page.
    "hr admin reservation list": [
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "select programme_cohort",
        "count programme_reservation",
        "count programme_reservation",
        "select programme_reservation",
        "select programme_programme",
    ],
    # The managers to reserve for, and the cohorts with their programme.
    "hr admin reservation add": [
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "select programme_user",
        "select programme_cohort",
    ],
    # Reserved seats: the manager's scope (a manager only), the programme, the cohorts
    # with free seats (a manager's form; HR reserves in the admin) and the reservations
    # with their cohort and manager.
    "manager team reservations": [
        "select programme_department",
        "select programme_programme",
        "select programme_cohort",
        "select programme_reservation",
    ],
    "hr team reservations": [
        "select programme_programme",
        "select programme_reservation",
    ],
    # One reservation: it (a manager's own only), the scope of the manager it is for, the
    # leaders named and those who may be named, each in one query; the programme (header).
    "manager team reservation": [
        "select programme_department",
        "select programme_reservation",
        "select programme_department",
        "select programme_namedseat",
        "select programme_leader",
        "select programme_programme",
    ],
    "hr team reservation": [
        "select programme_reservation",
        "select programme_department",
        "select programme_namedseat",
        "select programme_leader",
        "select programme_programme",
    ],
    # Absences reported in advance: whether the manager manages a department (HR sees
    # all), those waiting, those answered lately, the programme (the header).
    "manager absences": [
        "select programme_department",
        "select programme_absencenotice",
        "select programme_absencenotice",
        "select programme_programme",
    ],
    "hr absences": [
        "select programme_absencenotice",
        "select programme_absencenotice",
        "select programme_programme",
    ],
    # "Meld afbud": the session, if the leader is expected at it; the programme (header).
    "leader report absence": [
        "select programme_session",
        "select programme_programme",
    ],
    "hr team place": [
        "select programme_leader",
        "select programme_programme",
        "select programme_enrolment",
        "select programme_cohort",
    ],
    # "Min profil": the departments managed, those under them, whether a facilitator, the
    # programme (the header), and a leader's department (HR here is no leader); a manager
    # is asked about the weekly digest: whether they turned it off.
    "leader profile": [
        "select programme_department",
        "select programme_department",
        "exists programme_facilitator",
        "select programme_programme",
        "select programme_department",
    ],
    "manager profile": [
        "select programme_department",
        "select programme_department",
        "exists programme_facilitator",
        "exists mail_mailpreference",
        "select programme_programme",
        "select programme_department",
    ],
    "hr profile": [
        "select programme_department",
        "select programme_department",
        "exists programme_facilitator",
        "select programme_programme",
    ],
    # The forecast (reports/forecast.py): the modules, the open cohorts, the make-up
    # seats, the required modules' count, the leaders' standings grouped by seat and
    # stored moments, those neither completed nor on course (for the lists), the first
    # session (for the weeks); then the filter form's lists. The first five on the
    # pages with its summary (report overview, outcomes, team, HR start). A manager's
    # departments' weekly series are summed by the database ("select tally").
    "manager forecast": [
        "select programme_department",
        "select programme_programme",
        "select programme_module",
        "select programme_pagewrite",
        "select programme_programmetally",
        "select programme_department",
        "select programme_pagewrite",
        "select programme_departmenttally",
        "select programme_departmenttally",
        "select programme_tallyneed",
        "select tally",
        "count programme_module",
        "savepoint",
        "set",
        "select programme_leader",
        "release",
        "select programme_enrolment",
        "select programme_session",
        "select programme_programme",
        "select programme_department",
    ],
    # The municipality's counts and, in a row of their own, its weekly series.
    "hr forecast": [
        "select programme_programme",
        "select programme_module",
        "select programme_pagewrite",
        "select programme_programmetally",
        "select programme_pagewrite",
        "select programme_programmetally",
        "select programme_programmetally",
        "count programme_module",
        "savepoint",
        "set",
        "select programme_leader",
        "release",
        "select programme_enrolment",
        "select programme_session",
        "select programme_programme",
        "select programme_department",
        "select programme_department",
    ],
    "manager forecast csv": [
        "select programme_department",
        "select programme_programme",
        "select programme_module",
        "select programme_pagewrite",
        "select programme_programmetally",
        "select programme_department",
        "select programme_pagewrite",
        "select programme_departmenttally",
        "select programme_departmenttally",
        "select programme_tallyneed",
        "select tally",
        "select programme_session",
    ],
    "hr forecast csv": [
        "select programme_programme",
        "select programme_module",
        "select programme_pagewrite",
        "select programme_programmetally",
        "select programme_pagewrite",
        "select programme_programmetally",
        "select programme_programmetally",
        "select programme_session",
    ],
    # Requests for a place: the manager's scope (HR's is everything), the open requests
    # with their leaders, departments and cohorts in one query, the programme (header).
    "manager team approvals": [
        "select programme_department",
        "select approvals_enrolmentrequest",
        "select programme_programme",
    ],
    "hr team approvals": ["select approvals_enrolmentrequest", "select programme_programme"],
    # Approval on (ENROLMENT_APPROVAL=manager), every leader without a place asking.
    "approval manager approvals": [
        "select programme_department",
        "select approvals_enrolmentrequest",
        "select programme_programme",
    ],
    "approval hr approvals": ["select approvals_enrolmentrequest", "select programme_programme"],
    # The dashboard of a leader with no place: their request and whether a manager
    # answers for them (else HR), then whether any cohort takes enrolments.
    "approval leader dashboard with a request": [
        "select programme_programme",
        "select programme_module",
        "select programme_leader",
        "select programme_enrolment",
        "select programme_makeupbooking",
        "select programme_attendance",
        "select programme_absencenotice",
        "select programme_enrolment",
        "select approvals_enrolmentrequest",
        "select programme_session",
        "select programme_user",
        "exists programme_cohort",
    ],
    # HR's start page lists the open requests (one query) when approval is on.
    "approval hr start": [
        "select programme_programme",
        "select programme_session",
        "select programme_session",
        "select programme_cohort",
        "select approvals_enrolmentrequest",
        "select programme_pagewrite",
        "select programme_programmetally",
        "select programme_module",
        "select programme_pagewrite",
        "select programme_programmetally",
    ],
    "hr start": [
        "select programme_programme",
        "select programme_session",
        "select programme_session",
        "select programme_cohort",
        "select programme_pagewrite",
        "select programme_programmetally",
        "select programme_module",
        "select programme_pagewrite",
        "select programme_programmetally",
    ],
    "hr admin index": [
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "select django_admin_log",
    ],
    "superuser admin group list": [
        "count auth_group",
        "count auth_group",
        "select auth_group",
        "select programme_programme",
    ],
    "superuser admin group add": ["select programme_programme", "select auth_permission"],
    "superuser admin group change": [
        "select auth_group",
        "select auth_permission",
        "select programme_programme",
        "select auth_permission",
    ],
    "superuser admin accessattempt list": [
        "count axes_accessattempt",
        "count axes_accessattempt",
        "select axes_accessattempt",
        "select programme_programme",
        "select axes_accessattempt",
        "select axes_accessattempt",
        "select axes_accessattempt",
    ],
    "superuser admin accesslog list": [
        "count axes_accesslog",
        "count axes_accesslog",
        "select axes_accesslog",
        "select programme_programme",
        "select axes_accesslog",
        "select axes_accesslog",
        "select axes_accesslog",
    ],
    "superuser admin accessfailurelog list": [
        "count axes_accessfailurelog",
        "count axes_accessfailurelog",
        "select axes_accessfailurelog",
        "select programme_programme",
        "select axes_accessfailurelog",
        "select axes_accessfailurelog",
        "select axes_accessfailurelog",
    ],
    "hr admin user list": [
        "select auth_permission",
        "select auth_permission",
        "select auth_group",
        "count programme_user",
        "count programme_user",
        "select programme_user",
        "select programme_programme",
    ],
    "hr admin user change": [
        "select programme_user",
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "select auth_group",
        "select auth_permission",
    ],
    "hr admin programme list": [
        "select auth_permission",
        "select auth_permission",
        "count programme_programme",
        "count programme_programme",
        "select programme_programme",
        "select programme_programme",
    ],
    "hr admin programme add": [
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
    ],
    "hr admin programme change": [
        "select programme_programme",
        "select auth_permission",
        "select auth_permission",
        "select programme_module",
        "select programme_programme",
    ],
    "hr admin module list": [
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "count programme_module",
        "count programme_module",
        "select programme_module",
        "select programme_programme",
    ],
    "hr admin module add": [
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "select programme_programme",
    ],
    "hr admin module change": [
        "select programme_module",
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "select programme_programme",
    ],
    "hr admin department list": [
        "select auth_permission",
        "select auth_permission",
        "select programme_department",
        "count subquery",
        "count subquery",
        "select programme_department",
        "select programme_programme",
    ],
    "hr admin department add": [
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "select programme_user",
    ],
    "hr admin department change": [
        "select programme_department",
        "select auth_permission",
        "select auth_permission",
        "select programme_user",
        "select programme_programme",
        "select programme_user",
    ],
    "hr admin leader list": [
        "select auth_permission",
        "select auth_permission",
        "select programme_cohort",
        "select programme_department",
        "count programme_leader",
        "count programme_leader",
        "select programme_leader",
        "select programme_programme",
    ],
    "hr admin leader add": [
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
    ],
    "hr admin leader change": [
        "select programme_leader",
        "select auth_permission",
        "select auth_permission",
        "exists programme_enrolment",
        "select programme_programme",
        "select programme_user",
        "select programme_department",
    ],
    "hr admin cohort list": [
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "count programme_cohort",
        "count programme_cohort",
        "select programme_cohort",
        "select programme_programme",
    ],
    # No inlines on the add page; on the change page the sessions are read-only rows
    # (with their module, room and facilitator), so no select box asks for choices.
    "hr admin cohort add": [
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "select programme_programme",
    ],
    "hr admin cohort change": [
        "select programme_cohort",
        "select auth_permission",
        "select auth_permission",
        "select programme_session",
        "select programme_enrolment",  # who holds a place
        "select programme_enrolment",  # the waitlist
        "select programme_programme",
    ],
    "hr admin certificate list": [
        "select auth_permission",
        "select auth_permission",
        "count programme_certificate",
        "count programme_certificate",
        "select programme_certificate",
        "select programme_programme",
    ],
    "hr admin location list": [
        "select auth_permission",
        "select auth_permission",
        "count programme_location",
        "count programme_location",
        "select programme_location",
        "select programme_programme",
    ],
    "hr admin location add": [
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
    ],
    "hr admin location change": [
        "select programme_location",
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
    ],
    "hr admin facilitator list": [
        "select auth_permission",
        "select auth_permission",
        "count programme_facilitator",
        "count programme_facilitator",
        "select programme_facilitator",
        "select programme_programme",
    ],
    "hr admin facilitator add": [
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
    ],
    "hr admin facilitator change": [
        "select programme_facilitator",
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "select programme_user",
    ],
    "hr admin session list": [
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "select programme_cohort",
        "select programme_module",
        "count programme_session",
        "count programme_session",
        "select programme_session",
        "select programme_programme",
        "select programme_session",
        "select programme_session",
    ],
    "hr admin session add": [
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "select programme_cohort",
        "select programme_module",
        "select programme_location",
        "select programme_facilitator",
    ],
    "hr admin session change": [
        "select programme_session",
        "select auth_permission",
        "select auth_permission",
        "select programme_module",
        "select programme_cohort",
        "select programme_programme",
        "select programme_cohort",
        "select programme_module",
        "select programme_location",
        "select programme_facilitator",
    ],
    "hr admin enrolment list": [
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "select programme_cohort",
        "select programme_department",
        "count programme_enrolment",
        "count programme_enrolment",
        "select programme_enrolment",
        "select programme_programme",
    ],
    "hr admin enrolment change": [
        "select programme_enrolment",
        "select auth_permission",
        "select auth_permission",
        "select programme_leader",
        "select programme_cohort",
        "select programme_programme",
    ],
    "hr admin makeupbooking list": [
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "select programme_cohort",
        "select programme_module",
        "count programme_makeupbooking",
        "count programme_makeupbooking",
        "select programme_makeupbooking",
        "select programme_programme",
    ],
    "hr admin makeupbooking add": [
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "select programme_session",
    ],
    "hr admin makeupbooking change": [
        "select programme_makeupbooking",
        "select auth_permission",
        "select auth_permission",
        "select programme_leader",
        "select programme_session",
        "select programme_module",
        "select programme_cohort",
        "select programme_programme",
    ],
    "hr admin attendance list": [
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "select programme_cohort",
        "select programme_module",
        "select programme_department",
        "count programme_attendance",
        "count programme_attendance",
        "select programme_attendance",
        "select programme_programme",
    ],
    "hr admin attendance add": [
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "select programme_session",
    ],
    "hr admin attendance change": [
        "select programme_attendance",
        "select auth_permission",
        "select auth_permission",
        "select programme_leader",
        "select programme_session",
        "select programme_module",
        "select programme_cohort",
        "select programme_programme",
        "select programme_user",
    ],
    "hr admin sentreminder list": [
        "select auth_permission",
        "select auth_permission",
        "count programme_sentreminder",
        "count programme_sentreminder",
        "select programme_sentreminder",
        "select programme_programme",
    ],
    "hr admin sentreminder add": [
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "select programme_leader",
        "select programme_user",
    ],
    "hr admin emailtext list": [
        "select auth_permission",
        "select auth_permission",
        "count programme_emailtext",
        "count programme_emailtext",
        "select programme_emailtext",
        "select programme_programme",
    ],
    "hr admin emailtext change": [
        "select programme_emailtext",
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "select programme_leader",
        "select programme_programme",
        "select programme_enrolment",
        "select programme_session",
        "select programme_cohort",
        "select programme_emailtext",
        "select programme_leader",
        "select programme_programme",
        "select programme_enrolment",
        "select programme_session",
        "select programme_cohort",
        "select programme_emailtext",
    ],
    # The demo's reminders and their e-mails (sent, failed, waiting) give these pages a row.
    "hr admin sentreminder change": [
        "select programme_sentreminder",
        "select auth_permission",
        "select auth_permission",
        "select programme_leader",  # the reminder's leader
        "select programme_programme",
        "select programme_leader",  # the leader field's choices
        "select programme_user",  # the "sent by" field's choices
    ],
    "hr admin email change": [
        "select post_office_email",  # for the "Send igen" button (change_view)
        "select post_office_email",  # Django's change view
        "select auth_permission",
        "select auth_permission",
        "select programme_programme",
        "select post_office_attachment",
        "select post_office_log",  # the sending attempts
    ],
    "hr admin email list": [
        "select auth_permission",
        "select auth_permission",
        "count post_office_email",
        "count post_office_email",
        "select post_office_email",
        "select programme_programme",
    ],
    "hr admin questionnaire list": [
        "select auth_permission",
        "select auth_permission",
        "count subquery",
        "count subquery",
        "select programme_questionnaire",
        "select programme_programme",
    ],
    "hr admin questionnaire add": [
        "select auth_permission",
        "select auth_permission",
        "select programme_questionnaire",
        "select programme_programme",
    ],
    "hr admin questionnaire change": [
        "select programme_questionnaire",
        "exists programme_assessmentresponse",
        "select programme_questionnaire",
        "select auth_permission",
        "select auth_permission",
        "exists programme_assessmentresponse",
        "exists programme_assessmentresponse",
        "select programme_statement",
        "exists programme_assessmentresponse",
        "exists programme_assessmentresponse",
        "select programme_programme",
    ],
}
