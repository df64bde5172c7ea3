"""Who may open what: every URL name in the project against every role.

``EXPECTED`` has one row per URL name: the method, the objects in the URL, and the
status each role gets, in the order of ``ROLES``. The URL names come from walking
the resolver (namespaces included), so a new route without a row fails
``test_every_url_name_has_a_row``. Objects in URLs belong to ``leader`` (department
A), so ``colleague`` (also A) and ``manager_b`` show what happens when someone
changes an id to another person's. Admin URLs are covered as a group: the index and
every registered model's changelist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from axes.models import AccessAttempt
from django.conf import settings as project_settings
from django.contrib import admin
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import booking
from approvals.models import EnrolmentRequest
from evaluations import rules as evaluations
from groups.models import GroupMembership, LearningGroup
from materials.models import Material
from outcomes.models import Initiative
from programme.models import AbsenceNotice, Attendance, MakeUpBooking
from tests.conftest import (
    NOW,
    hold_1,
    hold_2,
    make_department_a,
    make_department_b,
    make_hr,
    make_manager,
    make_modules,
    make_programme,
    make_superuser,
    the_colleague,
    the_leader,
    the_outsider,
)

ROLES = ["anonymous", "leader", "colleague", "manager_a", "manager_b", "hr", "superuser"]

OK = 200
FOUND = 302  # a redirect somewhere other than sign-in, e.g. back with a message
UNAUTHORISED = 401  # the API without a valid token
LOGIN = "login"  # 302 to the sign-in page
ADMIN_LOGIN = "admin login"  # 302 to the admin's sign-in page
FORBIDDEN = 403
NOT_FOUND = 404
NOT_ALLOWED = 405


@dataclass(frozen=True)
class Row:
    expected: tuple  # one status per role, in the order of ROLES
    method: str = "get"
    kwargs: Callable[[SimpleNamespace], dict] | None = None

    def __post_init__(self):
        assert len(self.expected) == len(ROLES)


def everyone(status) -> tuple:
    return (status,) * len(ROLES)


def signed_in(status, anonymous=LOGIN) -> tuple:
    return (anonymous,) + (status,) * (len(ROLES) - 1)


#                anonymous leader colleague manager_a manager_b hr superuser
EXPECTED: dict[str, Row] = {
    # The leaders' pages. Cohorts and sessions are the programme's, not a person's.
    # HR (and superusers) without a leader profile land on HR's start page, managers who
    # are not leaders on "Mit team".
    "dashboard:dashboard": Row((LOGIN, OK, OK, FOUND, FOUND, FOUND, FOUND)),
    "hr:start": Row((LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK)),
    "dashboard:cohort_list": Row(signed_in(OK)),
    "dashboard:cohort_detail": Row(signed_in(OK), kwargs=lambda w: {"pk": w.cohort.pk}),
    "dashboard:session_ics": Row(signed_in(OK), kwargs=lambda w: {"pk": w.session.pk}),
    "dashboard:schedule_ics": Row((LOGIN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)),
    # The leader's calendar feed: its secret address is the only key, with or without a
    # sign-in (a calendar program has none); a wrong key is a 404 for everyone
    # (tests/dashboard/test_calendar_feed.py). Renewing it is the signed-in leader's own.
    "dashboard:calendar_feed": Row(everyone(OK), kwargs=lambda w: {"token": w.feed_token}),
    "dashboard:renew_calendar_feed": Row(
        (LOGIN, FOUND, FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN), method="post"
    ),
    "dashboard:enrol": Row(
        (LOGIN, FOUND, FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
        method="post",
        kwargs=lambda w: {"pk": w.other_cohort.pk},
    ),
    # The leader's own enrolment and make-up: everybody else gets a 404.
    "dashboard:cancel": Row(
        (LOGIN, FOUND, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
        method="post",
        kwargs=lambda w: {"pk": w.enrolment.pk},
    ),
    # The leader's own request for a place (ENROLMENT_APPROVAL=manager), withdrawn.
    "dashboard:withdraw_request": Row(
        (LOGIN, FOUND, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
        method="post",
        kwargs=lambda w: {"pk": w.place_request.pk},
    ),
    "dashboard:book_makeup": Row(
        (LOGIN, FOUND, FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
        method="post",
        kwargs=lambda w: {"pk": w.makeup_session.pk},
    ),
    "dashboard:cancel_makeup": Row(
        (LOGIN, FOUND, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
        method="post",
        kwargs=lambda w: {"pk": w.makeup.pk},
    ),
    # "Meld afbud" for a session of the leader's own (the colleague has no seat: 404).
    "dashboard:report_absence": Row(
        (LOGIN, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
        kwargs=lambda w: {"pk": w.absence_session.pk},
    ),
    # The leader's own kursusbevis (404 until the programme is completed).
    "dashboard:certificate": Row(
        (LOGIN, NOT_FOUND, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)
    ),
    # The facilitator's screens: a session run by someone else is a 404; HR sees all.
    # (tests/rooms/test_check_in.py has the facilitator's own session.)
    "checkin:sessions": Row(signed_in(OK)),
    "checkin:screen": Row(
        (LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK, OK),
        kwargs=lambda w: {"pk": w.session.pk},
    ),
    "checkin:mark_present": Row(
        (LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, FOUND, FOUND),
        method="post",
        kwargs=lambda w: {"pk": w.session.pk, "leader_pk": w.leader.pk},
    ),
    "checkin:close": Row(
        (LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, FOUND, FOUND),
        method="post",
        kwargs=lambda w: {"pk": w.session.pk},
    ),
    # Checking in: the code is checked before signing in; a wrong one is gone (410),
    # and without a scanned code there is nothing to confirm (409).
    "checkin:enter": Row(everyone(OK)),
    "checkin:code": Row(everyone(410), kwargs=lambda w: {"code": "ABC234"}),
    "checkin:confirm": Row(signed_in(409)),
    # Public: a certificate's verification (a code that was never issued: 404).
    "verify_certificate": Row(everyone(NOT_FOUND), kwargs=lambda w: {"code": "ABCDEFGHJKMNPQRS"}),
    # The self-assessment and initiatives: the leader's own; nobody else has a page with
    # a leader's answers. The initiative belongs to ``leader``: the colleague gets a 404.
    "outcomes:self_assessment": Row((LOGIN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)),
    "outcomes:assessment_result": Row((LOGIN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)),
    "outcomes:initiative_list": Row((LOGIN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)),
    "outcomes:initiative_new": Row((LOGIN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)),
    # The catalogue of ideas: what leaders shared with all leaders; leaders and HR read it,
    # a manager who is no leader does not.
    "outcomes:catalogue": Row((LOGIN, OK, OK, FORBIDDEN, FORBIDDEN, OK, OK)),
    # Module materials: a leader's own list; a file to a leader with a seat at its session
    # (``leader``; the colleague has none: 404) and to HR; 403 without a leader profile.
    "materials:list": Row((LOGIN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)),
    "materials:file": Row(
        (LOGIN, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, OK, OK),
        kwargs=lambda w: {"pk": w.material.pk},
    ),
    # Session evaluations: a leader's own is shown to them only (``leader`` evaluated the
    # kick-off; the colleague was not there: 404); nobody else reads one, in any role.
    # The averages: HR, and a facilitator for their own sessions (none of these roles
    # runs one; tests/evaluations has the facilitator).
    "evaluations:answer": Row(
        (LOGIN, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
        kwargs=lambda w: {"pk": w.session.pk},
    ),
    "evaluations:overview": Row((LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK)),
    "evaluations:mine": Row(
        (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)
    ),
    "evaluations:session": Row(
        (LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK, OK),
        kwargs=lambda w: {"pk": w.session.pk},
    ),
    # "Vil samarbejde" on ``leader``'s shared initiative: a leader's button only (its owner
    # is told it is their own); nobody without a leader profile.
    "outcomes:collaborate": Row(
        (LOGIN, FOUND, FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
        method="post",
        kwargs=lambda w: {"pk": w.initiative.pk},
    ),
    "outcomes:initiative_edit": Row(
        (LOGIN, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
        kwargs=lambda w: {"pk": w.initiative.pk},
    ),
    # A learning group's page: its members' and HR's. The group holds ``leader`` only:
    # the colleague (same department) and the managers are told it does not exist.
    "groups:detail": Row(
        (LOGIN, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK, OK),
        kwargs=lambda w: {"pk": w.group.pk},
    ),
    # Reports: managers see their own departments, HR all; leaders nothing.
    "outcomes:report": Row((LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK, OK)),
    "outcomes:report_csv": Row((LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK, OK)),
    "outcomes:initiatives_csv": Row((LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK, OK)),
    "reports:overview": Row((LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK, OK)),
    "reports:export": Row((LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK, OK)),
    "reports:forecast": Row((LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK, OK)),
    "reports:forecast_csv": Row((LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK, OK)),
    "reports:export_xlsx": Row((LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK, OK)),
    # The compliance lists and their reminders: a manager's own departments only.
    "reports:compliance": Row(
        (LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK, OK), kwargs=lambda w: {"status": "behind"}
    ),
    # "Mit team": a manager's leaders (their own departments), HR's whole municipality.
    "managers:team": Row((LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK, OK)),
    "managers:export": Row((LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK, OK)),
    "managers:export_xlsx": Row((LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK, OK)),
    # A leader's place in a manager's hands: their own leaders only (the leader is in A:
    # B's manager is told it does not exist, as in the reports); HR for anyone. Its
    # buttons (POST, same URL) are refused the same way (tests/managers/test_place.py).
    "managers:place": Row(
        (LOGIN, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND, OK, OK),
        kwargs=lambda w: {"leader_pk": w.leader.pk},
    ),
    # Reserved seats: a manager's own reservations (B's manager is told A's does not
    # exist), HR every one; the buttons (POST, same URL) the same (tests/managers/).
    "managers:reservations": Row((LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK, OK)),
    "managers:reservation": Row(
        (LOGIN, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND, OK, OK),
        kwargs=lambda w: {"pk": w.reservation.pk},
    ),
    # Absences reported in advance: a manager's own leaders' (the notice is the leader's, in
    # A: B's manager is told it does not exist); HR answers for anyone. Without a choice
    # the button goes back to the page with a message.
    "managers:absences": Row((LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK, OK)),
    "managers:decide_absence": Row(
        (LOGIN, FORBIDDEN, FORBIDDEN, FOUND, NOT_FOUND, FOUND, FOUND),
        method="post",
        kwargs=lambda w: {"pk": w.notice.pk},
    ),
    # Requests for a place: a manager's own leaders' (B's manager is told the request
    # does not exist), HR's every one. A decision without an answer chosen is a 400.
    "managers:approvals": Row((LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK, OK)),
    "managers:decide": Row(
        (LOGIN, FORBIDDEN, FORBIDDEN, 400, NOT_FOUND, 400, 400),
        method="post",
        kwargs=lambda w: {"pk": w.place_request.pk},
    ),
    "reports:department": Row(
        (LOGIN, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND, OK, OK),
        kwargs=lambda w: {"pk": w.department_a.pk},
    ),
    # Personal data: only one's own; HR's pages for HR.
    "privacy:my_data": Row((LOGIN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)),
    "privacy:my_data_json": Row((LOGIN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)),
    "privacy:my_data_csv": Row((LOGIN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)),
    "privacy:anonymise": Row(
        (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK),
        kwargs=lambda w: {"pk": w.leader.pk},
    ),
    "privacy:lockouts": Row((LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK)),
    "privacy:unlock": Row(
        (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FOUND, FOUND),
        method="post",
        kwargs=lambda w: {"pk": w.attempt.pk},
    ),
    # "Min profil": everyone's own, whoever they are.
    "accounts:profile": Row(signed_in(OK)),
    # Signing in and out, and the password pages (Django's own views).
    "login": Row(everyone(OK)),
    "logout": Row(everyone(LOGIN), method="post"),
    "password_change": Row(signed_in(OK)),
    "password_change_done": Row(signed_in(OK)),
    "password_reset": Row(everyone(OK)),
    "password_reset_done": Row(everyone(OK)),
    "password_reset_confirm": Row(
        everyone(OK), kwargs=lambda w: {"uidb64": "MQ", "token": "not-a-token"}
    ),
    "password_reset_complete": Row(everyone(OK)),
    # An invitation's link (an invalid token shows the page with "not valid").
    "invitation_confirm": Row(
        everyone(OK), kwargs=lambda w: {"uidb64": "MQ", "token": "not-a-token"}
    ),
    # Single sign-on: not configured here, so not there (tests/accounts/test_sso.py has it on).
    "sso_start": Row(everyone(NOT_FOUND)),
    "sso_callback": Row(everyone(NOT_FOUND)),
    # The language buttons are on the sign-in page too.
    "set_language": Row(everyone(FOUND), method="post"),
    # The read API takes a client's token, never a sign-in: 401 for everyone here (the
    # tokens' own rows are API_EXPECTED below). Its OpenAPI document and page are public.
    "api:programmes": Row(everyone(UNAUTHORISED)),
    "api:cohorts": Row(everyone(UNAUTHORISED)),
    "api:sessions": Row(everyone(UNAUTHORISED)),
    "api:leaders": Row(everyone(UNAUTHORISED)),
    "api:attendance": Row(everyone(UNAUTHORISED)),
    "api:openapi-json": Row(everyone(OK)),
    "api:openapi-view": Row(everyone(OK)),
    "api:api-root": Row(everyone(NOT_FOUND)),
    # Public.
    "healthz": Row(everyone(OK)),
    "accessibility": Row(everyone(OK)),
}

# The admin as a group: HR holds permissions on the programme's models (and may view
# logins), on the outbox's e-mails (post_office) and on the API's clients; axes' records
# and auth groups are for superusers.
HR_ADMIN_APPS = {"programme", "mail", "outcomes", "post_office", "api", "groups", "materials"}


def url_names(resolver=None, namespace: str | None = None) -> list[str]:
    """Every named route, ``namespace:name``; unnamed routes as ``namespace:<pattern>``."""
    resolver = resolver or get_resolver()
    names = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            full = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
            names += url_names(pattern, full)
        elif isinstance(pattern, URLPattern):
            name = pattern.name or f"<unnamed {pattern.pattern}>"
            names.append(f"{namespace}:{name}" if namespace else name)
    return names


def project_url_names() -> list[str]:
    return sorted({name for name in url_names() if not name.startswith("admin:")})


def test_every_url_name_has_a_row():
    missing = [name for name in project_url_names() if name not in EXPECTED]
    assert missing == [], f"add rows to EXPECTED in {__file__} for: {missing}"


def test_every_row_is_a_url_name():
    assert sorted(set(EXPECTED) - set(project_url_names())) == []


def make_world() -> SimpleNamespace:
    """The leader has a seat in Hold 1 and a make-up seat in Hold 2, where A's manager has
    reserved a seat; one sign-in is blocked."""
    department_a, department_b = make_department_a(), make_department_b()
    programme = make_programme()
    modules = make_modules(programme)
    cohort, other_cohort = hold_1(programme, modules), hold_2(programme, modules)
    leader = the_leader(department_a)
    colleague = the_colleague(department_a)
    the_outsider(department_b)
    manager_a = make_manager("chef.a@albertslund.dk", department_a)
    manager_b = make_manager("chef.b@albertslund.dk", department_b)
    hr, superuser = make_hr(), make_superuser()
    enrolment = booking.enrol(leader=leader, cohort=cohort, now=NOW)
    sessions = list(other_cohort.sessions.order_by("starts_at"))
    makeup = MakeUpBooking.objects.create(leader=leader, session=sessions[1], booked_at=NOW)
    feed_token = leader.renew_calendar_token()
    reservation = booking.reserve(manager=manager_a, cohort=other_cohort, seats=1, now=NOW)
    place_request = EnrolmentRequest.objects.create(
        leader=leader, cohort=other_cohort, requested_at=NOW
    )
    initiative = Initiative.objects.create(
        leader=leader,
        programme=cohort.programme,
        title="Digital post",
        problem="Borgerne venter",
        expected_benefit="Kortere ventetid",
        it=True,
        created_at=NOW,
        changed_at=NOW,
        shared_at=NOW,  # in the catalogue of ideas
    )
    material = Material(title="Slides", session=cohort.sessions.order_by("starts_at")[0])
    material.days_before = 3650  # shown from long before: the matrix is about who, not when
    material.file.save("slides.pdf", ContentFile(b"%PDF-1.4"), save=False)
    material.save()
    absence_session = cohort.sessions.order_by("starts_at")[1]
    notice = AbsenceNotice.objects.create(
        leader=leader, session=absence_session, reason=AbsenceNotice.Reason.ILLNESS, reported_at=NOW
    )
    group = LearningGroup.objects.create(programme=cohort.programme, cohort=cohort, name="Gruppe 1")
    GroupMembership.objects.create(group=group, leader=leader)
    # The leader was at the kick-off (12 January) and evaluated it.
    kickoff = cohort.sessions.order_by("starts_at").first()
    Attendance.objects.create(leader=leader, session=kickoff, status=Attendance.Status.PRESENT)
    evaluations.submit(
        leader=leader, session=kickoff, relevance=4, facilitation=5, different="Mere", now=NOW
    )
    attempt = AccessAttempt.objects.create(
        username="blocked@albertslund.dk",
        ip_address="10.0.0.9",
        failures_since_start=project_settings.AXES_FAILURE_LIMIT,
    )
    return SimpleNamespace(
        material=material,
        leader=leader,
        department_a=department_a,
        cohort=cohort,
        other_cohort=other_cohort,
        session=cohort.sessions.order_by("starts_at").first(),
        enrolment=enrolment,
        makeup=makeup,
        makeup_session=sessions[0],
        absence_session=absence_session,
        notice=notice,
        feed_token=feed_token,
        reservation=reservation,
        place_request=place_request,
        attempt=attempt,
        initiative=initiative,
        group=group,
        users={
            "anonymous": None,
            "leader": leader.user,
            "colleague": colleague.user,
            "manager_a": manager_a,
            "manager_b": manager_b,
            "hr": hr,
            "superuser": superuser,
        },
    )


@pytest.fixture(scope="module")
def shared_world(module_transaction):
    """The world, made once per test process for the hundreds of tests here (each test's
    writes are rolled back: tests/conftest.py's ``module_transaction``)."""
    with module_transaction():
        return make_world()


@pytest.fixture
def world(db, settings, shared_world):
    """This test's view of the shared world, on the portal's clock at NOW."""
    settings.PORTAL_CLOCK = NOW.isoformat()
    return SimpleNamespace(**vars(shared_world))


def outcome(response) -> int | str:
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        if location.startswith(reverse("login")):
            return LOGIN
    return response.status_code


def request_as(client, world, role: str, method: str, url: str):
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    return getattr(client, method)(url)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_access(client, world, name, role):
    row = EXPECTED[name]
    url = reverse(name, kwargs=row.kwargs(world) if row.kwargs else None)
    response = request_as(client, world, role, row.method, url)
    assert outcome(response) == row.expected[ROLES.index(role)], f"{row.method.upper()} {url}"


def admin_url_names() -> list[str]:
    names = ["admin:index"]
    for model in admin.site._registry:
        names.append(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return sorted(names)


def admin_expected(name: str, role: str):
    if role == "anonymous":
        # The admin's index sends to its own sign-in; the rest meet LoginRequiredMiddleware.
        return ADMIN_LOGIN if name == "admin:index" else LOGIN
    if role == "superuser":
        return OK
    if role == "hr":
        short = name.removeprefix("admin:")
        hr_app = any(short.startswith(f"{app}_") for app in HR_ADMIN_APPS)
        return OK if name == "admin:index" or hr_app else FORBIDDEN
    return ADMIN_LOGIN  # signed in, but not staff


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", admin_url_names())
def test_admin_access(client, world, name, role):
    response = request_as(client, world, role, "get", reverse(name))
    assert outcome(response) == admin_expected(name, role)


# The admin pages we added ourselves, beyond the lists: the leader import. Its preview
# belongs to the HR user who uploaded it; anyone else is sent back to the upload page.
#                anonymous leader colleague manager_a manager_b hr superuser
ADMIN_PAGES: dict[str, Row] = {
    "admin:programme_leader_import": Row(
        (LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK, OK)
    ),
    "admin:programme_leader_import_preview": Row(
        (LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK, FOUND),
        kwargs=lambda w: {"batch_id": w.import_preview.pk},
    ),
    "admin:programme_leader_import_confirm": Row(
        (LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, FOUND, FOUND),
        method="post",
        kwargs=lambda w: {"batch_id": w.import_preview.pk},
    ),
    # A confirmed import's status page: its own HR user's only.
    "admin:programme_leader_import_job": Row(
        (LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK, FOUND),
        kwargs=lambda w: {"job_id": w.import_job.pk},
    ),
}


@pytest.fixture
def import_preview(world):
    """HR's checked file, waiting to be confirmed; and an earlier one, confirmed."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from hr import import_jobs, imports

    text = (
        "Medarbejdernummer;Navn;E-mail;Stilling;Ledelsesniveau;Afdeling\r\n"
        "7001;Ny Leder;ny.leder@albertslund.dk;;Teamleder;ØKS\r\n"
    )
    table = imports.read_upload(SimpleUploadedFile("ledere.csv", text.encode()))
    hr = world.users["hr"]
    earlier = imports.store_preview(imports.check(table, by=hr), by=hr, file_name="ledere.csv")
    world.import_job = import_jobs.queue(earlier.pk, by=hr, invite=False)
    world.import_preview = imports.store_preview(
        imports.check(table, by=hr), by=hr, file_name="ledere.csv"
    )
    return world


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ADMIN_PAGES))
def test_admin_page_access(client, import_preview, name, role):
    row = ADMIN_PAGES[name]
    world = import_preview
    url = reverse(name, kwargs=row.kwargs(world) if row.kwargs else None)
    response = request_as(client, world, role, row.method, url)
    assert outcome(response) == row.expected[ROLES.index(role)], f"{row.method.upper()} {url}"


def test_every_import_page_has_a_row():
    pages = {name for name in url_names() if name.startswith("admin:programme_leader_import")}
    assert pages == set(ADMIN_PAGES)


def test_the_admin_group_covers_every_admin_url_name():
    """Only the admin's own site: no project view hides under /admin/ without a row."""
    registered = {f"{m._meta.app_label}_{m._meta.model_name}" for m in admin.site._registry}
    site_views = {
        "index",
        "login",
        "logout",
        "password_change",
        "password_change_done",
        "autocomplete",
        "jsi18n",
        "view_on_site",
        "app_list",
    }
    strays = []
    for name in url_names():
        if not name.startswith("admin:"):
            continue
        short = name.removeprefix("admin:")
        if short in site_views or short.startswith("<unnamed"):
            continue
        if short == "auth_user_password_change":  # UserAdmin's own page
            continue
        if not any(short.startswith(f"{model}_") for model in registered):
            strays.append(name)
    assert strays == []


# The read API by token: what each kind of token gets from each endpoint. The clients
# read department A (the leader's and the colleague's), except "all".
#                 none  bad  expired revoked programme reports attendance all
API_TOKENS = ["none", "bad", "expired", "revoked", "programme", "reports", "attendance", "all"]
API_EXPECTED: dict[str, tuple] = {
    "api:programmes": (401, 401, 401, 401, OK, FORBIDDEN, FORBIDDEN, OK),
    "api:cohorts": (401, 401, 401, 401, OK, FORBIDDEN, FORBIDDEN, OK),
    "api:sessions": (401, 401, 401, 401, OK, FORBIDDEN, FORBIDDEN, OK),
    "api:leaders": (401, 401, 401, 401, FORBIDDEN, OK, FORBIDDEN, OK),
    "api:attendance": (401, 401, 401, 401, FORBIDDEN, FORBIDDEN, OK, OK),
}


def test_every_api_endpoint_has_a_token_row():
    names = {name for name in project_url_names() if name.startswith("api:")}
    assert names - {"api:openapi-json", "api:openapi-view", "api:api-root"} == set(API_EXPECTED)


@pytest.fixture
def api_tokens(world):
    """A token of each kind; the scoped ones read department A only."""
    import datetime as dt

    from api.models import Scope
    from programme.models import Attendance, Leader
    from tests.api.conftest import make_client

    a = [world.department_a]
    # Attendance of A's leader (the world's, who evaluated the session) and of B's
    # outsider, for the attendance list.
    outsider = Leader.objects.get(employee_number="2001")
    for leader in (world.leader, outsider):
        Attendance.objects.get_or_create(
            leader=leader, session=world.session, defaults={"status": "present"}
        )
    tokens = {"none": None, "bad": "dlp_00000000_not-a-token"}
    tokens["expired"] = make_client("expired", departments=a, expires_at=NOW - dt.timedelta(1))[1]
    tokens["revoked"] = make_client("revoked", departments=a, revoked_at=NOW)[1]
    for scope in ("programme", "reports", "attendance"):
        tokens[scope] = make_client(scope, [Scope(f"{scope}:read")], departments=a)[1]
    tokens["all"] = make_client("all")[1]
    return tokens


@pytest.mark.parametrize("kind", API_TOKENS)
@pytest.mark.parametrize("name", sorted(API_EXPECTED))
def test_api_access(client, world, api_tokens, name, kind):
    token = api_tokens[kind]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    response = client.get(reverse(name), **headers)
    assert response.status_code == API_EXPECTED[name][API_TOKENS.index(kind)]
    assert response["Content-Type"] == "application/json; charset=utf-8"
    if name in ("api:leaders", "api:attendance") and response.status_code == OK:
        # Department A's leaders only (all: B's outsider too), never B's for A's clients.
        numbers = {item["employee_number"] for item in response.json()["items"]}
        in_a = set(world.department_a.leaders.values_list("employee_number", flat=True))
        everyone_allowed = in_a | {"2001"} if kind == "all" else in_a
        assert numbers and numbers <= everyone_allowed
        assert ("2001" in numbers) == (kind == "all")
