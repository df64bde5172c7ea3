"""Pages kept rendered in the cache (programme/pagecache.py): the leader's dashboard and
the shared pages (reports, cohorts). A kept page costs the session, the user and its
versions (from the database), and no write and no passing hour leaves anyone looking at
a page that a fresh rendering would not show (the stateful test in
test_seat_and_progress_properties.py checks the dashboard over every way in)."""

import datetime as dt
import re
import threading
import time

import pytest
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import booking
from outcomes.models import Initiative, InitiativeStatusChange
from programme import page_versions, pagecache
from programme.models import (
    Attendance,
    Cohort,
    Enrolment,
    Leader,
    Location,
    MakeUpBooking,
    Module,
    Session,
    Standing,
)
from tests.conftest import (
    at_once,
    local,
    make_leader,
    make_session,
    query_name,
    session_queries,
)

NOW = "2016-01-20T10:00"
DASHBOARD = "/"
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture(autouse=True)
def _kept(settings):
    settings.PORTAL_CLOCK = NOW
    settings.PAGE_CACHE_SECONDS = 300
    cache.clear()


def page(client) -> str:
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    return _TOKEN.sub("", response.text)


def fresh(client, settings) -> str:
    """The page as it is rendered without the cache."""
    settings.PAGE_CACHE_SECONDS = 0
    try:
        return page(client)
    finally:
        settings.PAGE_CACHE_SECONDS = 300


@pytest.fixture
def seated(leader, cohort):
    """A leader on track: seated in Hold 1, present at its first session."""
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    Attendance.objects.create(
        leader=leader,
        session=cohort.sessions.get(module__order=1),
        status=Attendance.Status.PRESENT,
    )
    return leader


@pytest.fixture
def signed_in(client, seated):
    client.force_login(seated.user)
    return client


def test_a_kept_dashboard_costs_the_session_the_user_and_the_versions(signed_in):
    first = page(signed_in)
    with CaptureQueriesContext(connection) as queries:
        again = page(signed_in)
    names = [query_name(q["sql"]) for q in queries.captured_queries]
    assert names == [*session_queries(), "select programme_user", "select programme_pagewrite"]
    assert again == first
    assert "Mød op til din næste mødegang: IT den 9. februar 2016 kl. 09:00" in again


def test_without_the_cache_every_visit_builds_the_page(signed_in, settings):
    settings.PAGE_CACHE_SECONDS = 0
    page(signed_in)
    with CaptureQueriesContext(connection) as queries:
        page(signed_in)
    assert len(queries) > 6


def test_a_leader_sees_their_new_name_at_once(signed_in, seated, settings):
    page(signed_in)
    seated.name = "Søren Nyt-Navn"
    seated.save()
    assert "Søren Nyt-Navn" in page(signed_in)


def test_attendance_recorded_by_hr_shows_at_once(signed_in, seated, cohort, settings):
    page(signed_in)
    attendance = Attendance.objects.get(leader=seated)
    attendance.status = Attendance.Status.ABSENT
    attendance.save()
    assert page(signed_in) == fresh(signed_in, settings)
    assert "12.01.2016: Udeblevet" in page(signed_in)


def test_a_renamed_room_shows_at_once(signed_in, cohort, settings):
    before = page(signed_in)
    location = cohort.sessions.get(module__order=2).location
    assert location.name in before
    location.name = "Store Sal"
    location.save()
    assert "Store Sal" in page(signed_in)
    assert page(signed_in) == fresh(signed_in, settings)


def test_a_session_moved_by_hr_shows_at_once(signed_in, cohort, settings):
    page(signed_in)
    session = cohort.sessions.get(module__order=2)
    session.starts_at = local(2016, 2, 10)
    session.ends_at = local(2016, 2, 10, 15)
    session.save()
    assert "IT den 10. februar 2016 kl. 09:00" in page(signed_in)


def test_a_cancelled_place_shows_at_once(signed_in, seated, cohort, settings):
    page(signed_in)
    booking.cancel(enrolment=Enrolment.objects.get(leader=seated), now=local(2016, 1, 20))
    assert "Dit hold: Hold 1" not in page(signed_in)
    assert page(signed_in) == fresh(signed_in, settings)


def test_a_new_initiative_shows_at_once(signed_in, seated, programme, settings):
    before = page(signed_in)
    at = local(2016, 1, 20)
    Initiative.objects.create(
        leader=seated,
        programme=programme,
        title="Digital post",
        it=True,
        created_at=at,
        changed_at=at,
    )
    after = page(signed_in)
    assert after != before
    assert after == fresh(signed_in, settings)


def test_an_import_that_renames_leaders_shows_at_once(signed_in, seated, settings):
    page(signed_in)
    pagecache.leaders_changed([seated.pk])  # what the import's bulk UPDATE calls
    type(seated).objects.filter(pk=seated.pk).update(name="Importeret Navn")
    assert "Importeret Navn" in page(signed_in)


def test_the_clock_alone_moves_a_kept_page_on(signed_in, settings):
    before = page(signed_in)
    assert "IT den 9. februar 2016 kl. 09:00" in before
    settings.PORTAL_CLOCK = "2016-02-09T16:00"  # the IT session is over
    after = page(signed_in)
    assert after != before
    assert after == fresh(signed_in, settings)


def others(department, n: int, start: int = 0) -> list:
    return [
        make_leader(f"fyld{i}@albertslund.dk", f"Fyld {i}", department, f"20{i:02d}")
        for i in range(start, start + n)
    ]


def fill(cohort, leaders) -> list:
    for other in leaders:
        booking.enrol(leader=other, cohort=cohort, now=local(2016, 1, 5))
    return leaders


def test_a_waiting_place_moves_up_at_once_when_someone_ahead_leaves(
    client, leader, open_cohort, department_a, settings
):
    fill(open_cohort, others(department_a, 3))
    (ahead,) = fill(open_cohort, others(department_a, 1, start=3))  # first on the waitlist
    booking.enrol(leader=leader, cohort=open_cohort, now=local(2016, 1, 6))
    client.force_login(leader.user)
    before = page(client)
    assert cache.get(pagecache._page(leader.pk)) is not None  # kept
    booking.cancel(enrolment=Enrolment.objects.get(leader=ahead), now=local(2016, 1, 20))
    after = page(client)
    assert after != before
    assert after == fresh(client, settings)


def test_make_ups_on_offer_follow_other_leaders_bookings_at_once(
    client, leader, cohort, other_cohort, department_a, settings
):
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))  # missed the 12th
    colleagues = others(department_a, 3)
    client.force_login(leader.user)
    before = page(client)
    assert "Hold 2" in before  # a make-up in Hold 2 is offered
    assert cache.get(pagecache._page(leader.pk)) is not None  # kept
    fill(other_cohort, colleagues)  # Hold 2 is full now
    after = page(client)
    assert "Hold 2" not in after
    assert after == fresh(client, settings)


def _request(leader):
    request = RequestFactory().get(DASHBOARD)
    request.LANGUAGE_CODE = "da"
    request.META["CSRF_COOKIE"] = "secret"
    request.user = leader.user
    return request


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_copy_of_rows_read_before_a_write_commits_is_never_served(programme, leader, settings):
    """Another process reads the leader's old rows while a write is under way, and keeps
    its copy before the write commits: the copy carries the versions from before the
    write, and the commit changes them."""
    settings.PAGE_CACHE_SECONDS = 300
    now = local(2016, 1, 20)

    def another_process():
        try:
            racing = pagecache.dashboard(_request(leader), leader.pk, now)
            racing.keep("the old name", until=local(2016, 1, 21), now=now)
        finally:
            connections.close_all()

    with transaction.atomic():
        leader.name = "Nyt navn"
        leader.save()
        reader = threading.Thread(target=another_process)
        reader.start()
        reader.join()
        assert cache.get(pagecache._page(leader.pk))["html"] == "the old name"
    assert pagecache.dashboard(_request(leader), leader.pk, now).html is None


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_never_lends_its_version_to_a_later_one(programme, leader, settings):
    """A copy kept inside a transaction that rolls back carries a version that never
    commits; the next committed write's version is another (its tag), so the copy of
    the rolled-back rows is never served."""
    settings.PAGE_CACHE_SECONDS = 300
    now = local(2016, 1, 20)
    with transaction.atomic():
        leader.name = "Rullet tilbage"
        leader.save()
        pagecache.dashboard(_request(leader), leader.pk, now).keep(
            "rolled back", until=local(2016, 1, 21), now=now
        )
        transaction.set_rollback(True)
    leader.refresh_from_db()
    leader.name = "Gemt"
    leader.save()
    assert pagecache.dashboard(_request(leader), leader.pk, now).html is None


@pytest.mark.django_db(transaction=True)
def test_a_copy_is_served_until_a_write_replaces_its_version(programme, leader, settings):
    settings.PAGE_CACHE_SECONDS = 300
    now = local(2016, 1, 20)
    pagecache.dashboard(_request(leader), leader.pk, now)
    kept = pagecache.dashboard(_request(leader), leader.pk, now)
    kept.keep("a page", until=local(2016, 1, 21), now=now)
    assert pagecache.dashboard(_request(leader), leader.pk, now).html == "a page"
    other = _request(leader)
    other.META["CSRF_COOKIE"] = "another sign-in"
    assert pagecache.dashboard(other, leader.pk, now).html is None
    leader.save()
    assert pagecache.dashboard(_request(leader), leader.pk, now).html is None


def test_many_writes_are_folded_and_the_version_stays_the_same(leader, programme):
    from programme.models import PageWrite

    for _ in range(pagecache.FOLD_AT + 5):
        pagecache.leaders_changed([leader.pk])
    key = pagecache.leader_version(leader.pk)
    before = pagecache.versions([key, pagecache.ANY])  # the reader folds what it found
    assert PageWrite.objects.filter(key=key).count() == 1
    assert pagecache.versions([key, pagecache.ANY]) == before
    pagecache.leaders_changed([leader.pk])
    assert pagecache.versions([key])[key] != before[key]


# -- Shared pages: reports and cohorts ------------------------------------------------


def report(client, **query) -> str:
    response = client.get("/reports/", query)
    assert response.status_code == 200
    return _TOKEN.sub("", response.text)


def test_a_kept_report_costs_the_session_the_user_and_the_version(client, hr, seated):
    client.force_login(hr)
    first = report(client)
    with CaptureQueriesContext(connection) as queries:
        again = report(client)
    names = [query_name(q["sql"]) for q in queries.captured_queries]
    assert names == [*session_queries(), "select programme_user", "select programme_pagewrite"]
    assert again == first


def test_attendance_recorded_shows_in_the_report_at_once(client, hr, seated, cohort):
    client.force_login(hr)
    before = report(client)
    attendance = Attendance.objects.get(leader=seated)
    attendance.status = Attendance.Status.ABSENT
    attendance.save()
    after = report(client)
    assert after != before
    assert after == _fresh_report(client)


def _fresh_report(client) -> str:
    cache.clear()
    return report(client)


def test_a_manager_given_another_department_sees_it_at_once(
    client, manager_a, seated, department_b, outsider
):
    client.force_login(manager_a)
    assert outsider.department.name not in report(client)
    department_b.managers.add(manager_a)
    assert outsider.department.name in report(client)


def test_each_filter_is_kept_apart(client, hr, seated, department_a, department_b):
    client.force_login(hr)
    everything = report(client)
    one = report(client, department=department_b.pk)
    assert one != everything
    assert report(client) == everything


def test_a_kept_report_follows_the_clock_within_a_minute(client, hr, seated, settings):
    # The demo clock runs on from when each setting is first read: strings of their own.
    settings.PORTAL_CLOCK = "2016-01-20T11:00:00.000123"
    client.force_login(hr)
    report(client)
    settings.PORTAL_CLOCK = "2016-01-20T11:00:58.000123"
    with CaptureQueriesContext(connection) as queries:
        report(client)
    assert len(queries) == len(session_queries()) + 2  # still kept
    settings.PORTAL_CLOCK = "2016-01-20T11:01:01.000123"
    with CaptureQueriesContext(connection) as queries:
        report(client)
    assert len(queries) > len(session_queries()) + 2  # built again


def test_a_page_with_a_message_to_show_is_not_served_from_the_cache(
    client, leader, programme, modules
):
    closed = Cohort.objects.create(
        programme=programme, name="Hold 0", capacity=3, enrolment_deadline=dt.date(2016, 1, 10)
    )
    make_session(closed, modules[0], local(2016, 3, 1))
    client.force_login(leader.user)
    detail = f"/cohorts/{closed.pk}/"
    for _ in range(2):  # kept, for the CSRF cookie the first visit gave
        assert 'class="messages"' not in client.get(detail).text
    # Refused (the deadline has passed): a message, and nothing written.
    response = client.post(f"/cohorts/{closed.pk}/enrol/")
    assert response["Location"] == detail
    assert 'class="messages"' in client.get(detail).text


def test_another_leaders_booking_changes_the_seats_shown_at_once(client, leader, colleague, cohort):
    client.force_login(leader.user)
    before = _TOKEN.sub("", client.get("/cohorts/").text)
    booking.enrol(leader=colleague, cohort=cohort, now=local(2016, 1, 20))
    after = _TOKEN.sub("", client.get("/cohorts/").text)
    assert after != before
    cache.clear()
    assert after == _TOKEN.sub("", client.get("/cohorts/").text)


def _served_kept(client, url: str) -> tuple[str, bool]:
    """The page's text (without its CSRF tokens), and whether the cache answered."""
    response = client.get(url)
    assert response.status_code == 200
    return _TOKEN.sub("", response.text), not response.templates


def _fresh_text(client, url: str, settings) -> str:
    settings.PAGE_CACHE_SECONDS = 0
    try:
        return _TOKEN.sub("", client.get(url).text)
    finally:
        settings.PAGE_CACHE_SECONDS = 300


def test_a_departments_page_is_kept_through_writes_in_another_department(
    client, hr, seated, outsider, other_cohort, settings
):
    """Issue 30: a department's page carries that department's versions, not the one
    every write replaces."""
    client.force_login(hr)
    url = reverse("reports:department", args=[seated.department_id])
    before, _ = _served_kept(client, url)
    booking.enrol(leader=outsider, cohort=other_cohort, now=local(2016, 1, 20))
    after, kept = _served_kept(client, url)
    assert kept
    assert after == before == _fresh_text(client, url, settings)
    seated.name = "Omdøbt Leder"
    seated.save()
    after, kept = _served_kept(client, url)
    assert not kept and "Omdøbt Leder" in after


def test_a_managers_department_page_follows_the_cohorts_of_all_their_leaders(
    client, manager_a, seated, department_b, outsider, other_cohort, settings
):
    """The page's cohort filter lists the cohorts the manager's leaders are in, in every
    department of theirs: a place taken in department B changes department A's page."""
    department_b.managers.add(manager_a)
    client.force_login(manager_a)
    url = reverse("reports:department", args=[seated.department_id])
    before, _ = _served_kept(client, url)
    assert "Hold 2" not in before
    booking.enrol(leader=outsider, cohort=other_cohort, now=local(2016, 1, 20))
    after, kept = _served_kept(client, url)
    assert not kept
    assert "Hold 2" in after
    assert after == _fresh_text(client, url, settings)


def test_a_users_row_changed_shows_at_once_on_a_kept_department_page(
    client, manager_a, seated, settings
):
    """A user's row replaces only the shared pages' versions (SHARED_ROWS), and a page
    kept under its rows' versions carries that one too: a manager made staff finds the
    header's link to the administration at once."""
    client.force_login(manager_a)
    url = reverse("reports:department", args=[seated.department_id])
    before, _ = _served_kept(client, url)
    assert 'href="/admin/"' not in before
    manager_a.is_staff = True
    manager_a.save()
    after, kept = _served_kept(client, url)
    assert not kept
    assert 'href="/admin/"' in after
    assert after == _fresh_text(client, url, settings)


# -- Bulk writes: the models' QuerySet replaces the versions itself -------------------
# No signal is sent by an UPDATE, a bulk_create or a bulk_update; and nothing here
# calls pagecache: each write is as bare as the next one someone writes may be.


def _present_again(leader):
    Attendance.objects.filter(leader=leader).delete()
    return Attendance(
        leader=leader,
        session=Session.objects.get(cohort__name="Hold 1", module__order=1),
        status=Attendance.Status.PRESENT,
    )


def _renamed(leader):
    leader.name = "Omdøbt i bulk"
    return leader


BARE_BULK_WRITES = {
    "leader update": lambda leader: Leader.objects.filter(pk=leader.pk).update(name="Ny i bulk"),
    "leader bulk_update": lambda leader: Leader.objects.bulk_update([_renamed(leader)], ["name"]),
    "place update": lambda leader: Enrolment.objects.filter(leader=leader).update(
        status=Enrolment.Status.CANCELLED, cancelled_at=local(2016, 1, 20)
    ),
    "place delete": lambda leader: Enrolment.objects.filter(leader=leader).delete(),
    "attendance update": lambda leader: Attendance.objects.filter(leader=leader).update(
        status=Attendance.Status.ABSENT
    ),
    "attendance bulk_update": lambda leader: Attendance.objects.bulk_update(
        [Attendance(pk=a.pk, status=Attendance.Status.ABSENT) for a in leader.attendances.all()],
        ["status"],
    ),
    "attendance delete": lambda leader: Attendance.objects.filter(leader=leader).delete(),
    "make-up bulk_create": lambda leader: MakeUpBooking.objects.bulk_create(
        [
            MakeUpBooking(
                leader=leader,
                session=Session.objects.get(cohort__name="Hold 2", module__order=2),
                booked_at=local(2016, 1, 20),
            )
        ]
    ),
    "initiative bulk_create": lambda leader: Initiative.objects.bulk_create(
        [
            Initiative(
                leader=leader,
                programme=leader.enrolments.get().programme,
                title="Digital post i bulk",
                it=True,
                created_at=local(2016, 1, 20),
                changed_at=local(2016, 1, 20),
            )
        ]
    ),
    "standing update": lambda leader: Standing.objects.filter(leader=leader).update(
        modules_done=3, completed_at=local(2016, 1, 19), modules={}
    ),
    "session update": lambda leader: Session.objects.filter(
        cohort__name="Hold 1", module__order=2
    ).update(starts_at=local(2016, 2, 10, 9), ends_at=local(2016, 2, 10, 15)),
    "room update": lambda leader: Location.objects.filter(
        sessions__cohort__name="Hold 1", sessions__module__order=2
    ).update(name="Store Sal"),
    "module update": lambda leader: Module.objects.filter(order=2).update(title="Nyt IT"),
}


@pytest.mark.parametrize("write", BARE_BULK_WRITES)
def test_a_bare_bulk_write_to_any_shown_model_leaves_no_kept_page_stale(
    write, signed_in, seated, other_cohort, client, hr, settings
):
    before = page(signed_in)
    assert cache.get(pagecache._page(seated.pk)) is not None  # kept
    BARE_BULK_WRITES[write](seated)
    after = page(signed_in)
    assert after != before  # the write shows on the page...
    assert after == fresh(signed_in, settings)  # ...and the kept page is not behind it


def _place_resaved(leader):
    place = Enrolment.objects.get(leader=leader)
    place.save()


def _place_bulk_updated(leader):
    place = Enrolment.objects.get(leader=leader)
    place.status, place.cancelled_at = Enrolment.Status.CANCELLED, local(2016, 1, 20)
    Enrolment.objects.bulk_update([place], ["status", "cancelled_at"])


def _place_deleted_alone(leader):
    Enrolment.objects.get(leader=leader).delete()


SEAT_WRITES = {
    **{name: BARE_BULK_WRITES[name] for name in ("place update", "place delete")},
    "make-up bulk_create": BARE_BULK_WRITES["make-up bulk_create"],
    "place saved": _place_resaved,
    "place bulk_update": _place_bulk_updated,
    "place deleted": _place_deleted_alone,
    "a leader's rows, unnamed": lambda leader: pagecache.leaders_changed([leader.pk]),
}


@pytest.mark.parametrize("write", SEAT_WRITES)
def test_every_way_of_writing_a_place_or_a_make_up_replaces_the_seats_version(
    write, seated, other_cohort
):
    """The seats left (reports.chances) are kept under SEATS (with OTHERS): every write
    to a place or a make-up booking replaces it, whichever way it is written."""
    before = page_versions.versions([page_versions.SEATS])
    with transaction.atomic():
        SEAT_WRITES[write](seated)
    assert page_versions.versions([page_versions.SEATS]) != before


@pytest.mark.parametrize(
    "write",
    ["attendance update", "attendance bulk_update", "attendance delete", "standing update"],
)
def test_writes_that_take_no_seat_keep_the_seats_version(write, seated, other_cohort):
    keys = [page_versions.SEATS, pagecache.leader_version(seated.pk)]
    before = page_versions.versions(keys)
    BARE_BULK_WRITES[write](seated)
    after = page_versions.versions(keys)
    assert after[keys[1]] != before[keys[1]], "the write was made (the leader's page is stale)"
    assert after[page_versions.SEATS] == before[page_versions.SEATS]


def test_a_bare_bulk_create_of_attendance_leaves_no_kept_page_stale(signed_in, seated, settings):
    record = _present_again(seated)
    before = page(signed_in)
    Attendance.objects.bulk_create([record])
    after = page(signed_in)
    assert after != before
    assert after == fresh(signed_in, settings)


@pytest.mark.parametrize("write", ["leader update", "leader bulk_update", "standing update"])
def test_a_bare_bulk_write_leaves_no_kept_report_stale(write, client, hr, seated, other_cohort):
    client.force_login(hr)
    url = reverse("reports:department", args=[seated.department_id])

    def department() -> str:
        return _TOKEN.sub("", client.get(url).text)

    before = department()
    BARE_BULK_WRITES[write](seated)
    after = department()
    assert after != before
    cache.clear()
    assert after == department()


def test_a_bulk_write_one_step_from_the_owner_replaces_the_owners_version(seated, programme):
    """Answers and an initiative's history name their leader through another row: the
    version rows are found by the same INSERT ... SELECT."""
    key = pagecache.leader_version(seated.pk)
    at = local(2016, 1, 20)
    initiative = Initiative.objects.create(
        leader=seated, programme=programme, title="T", it=True, created_at=at, changed_at=at
    )
    before = pagecache.versions([key])[key]
    InitiativeStatusChange.objects.bulk_create(
        [InitiativeStatusChange(initiative=initiative, status="started", changed_at=at)]
    )
    middle = pagecache.versions([key])[key]
    assert middle != before
    InitiativeStatusChange.objects.filter(initiative=initiative).update(reason="i bulk")
    assert pagecache.versions([key])[key] != middle


def test_a_write_to_one_leader_keeps_another_leaders_page(seated, colleague):
    mine, theirs = (pagecache.leader_version(x.pk) for x in (seated, colleague))
    before = pagecache.versions([mine, theirs, pagecache.OTHERS])
    Attendance.objects.filter(leader=seated).update(status=Attendance.Status.ABSENT)
    after = pagecache.versions([mine, theirs, pagecache.OTHERS])
    assert after[mine] != before[mine]
    assert (after[theirs], after[pagecache.OTHERS]) == (before[theirs], before[pagecache.OTHERS])


def test_a_bulk_write_costs_one_version_statement(seated):
    with CaptureQueriesContext(connection) as queries:
        Attendance.objects.filter(leader=seated).update(status=Attendance.Status.ABSENT)
    names = [query_name(q["sql"]) for q in queries.captured_queries]
    assert names == ["insert programme_pagewrite", "update programme_attendance"]


def test_every_model_a_page_shows_writes_in_bulk_through_the_kept_queryset():
    """Every app of the portal's own, not only the programme's core: a model added later
    without it is refused when the app starts (pagecache.connect)."""
    from django.apps import apps

    shown = [
        model
        for model in apps.get_models()
        if model._meta.app_label in pagecache.PORTAL_APPS and pagecache.kind_of(model) is not None
    ]
    assert len(shown) > 20
    assert {"programme", "mail", "outcomes"} <= {model._meta.app_label for model in shown}
    for model in shown:
        assert issubclass(model._default_manager._queryset_class, pagecache.KeptQuerySet), model


def test_an_app_of_the_portals_own_left_out_of_the_kept_pages_refuses_to_start():
    """A new app beside the others whose writes the kept pages would not notice: the
    portal does not start until it is named in PORTAL_APPS."""
    from django.apps import AppConfig, apps
    from django.core.exceptions import ImproperlyConfigured

    installed = apps.get_app_configs()
    assert {m._meta.label for m in pagecache.portal_models(installed)} >= {"programme.Leader"}
    newcomer = AppConfig.create("tests")  # a package beside the portal's apps
    with pytest.raises(ImproperlyConfigured, match="'tests' is the portal's own"):
        list(pagecache.portal_models([*installed, newcomer]))
    outsider = AppConfig.create("post_office")  # installed into the environment: not ours
    assert list(pagecache.portal_models([outsider])) == []


def test_a_bulk_write_that_matches_nothing_by_construction_is_no_error(seated):
    absent = Attendance.Status.ABSENT
    assert Attendance.objects.filter(pk__in=[]).update(status=absent) == 0
    assert Attendance.objects.none().update(status=absent) == 0
    assert Attendance.objects.bulk_update([], ["status"]) == 0
    assert Attendance.objects.bulk_create([]) == []
    assert InitiativeStatusChange.objects.bulk_create([]) == []
    assert Attendance.objects.filter(pk__in=[]).delete()[0] == 0


# -- One rebuild at a time: the others wait for its copy -----------------------------


def _builder(key: str, tag: str, release: threading.Event, took: threading.Event, copy):
    """A request that takes the rebuild, signals it, and keeps ``copy`` when released."""

    def run():
        with pagecache.rebuilding(key, tag, lambda entry: True) as entry:
            assert entry is None
            took.set()
            release.wait(5)
            if copy is not None:
                cache.set(key, copy, 60)

    return threading.Thread(target=run)


def _waiter(key: str, tag: str, good, answers: list):
    def run():
        started = time.monotonic()
        with pagecache.rebuilding(key, tag, good) as entry:
            answers.append((entry, time.monotonic() - started))

    return threading.Thread(target=run)


def test_while_one_request_rebuilds_a_page_the_others_wait_for_its_copy():
    key, tag = "page:shared:test:wait", "v1:variant"
    release, took, answers = threading.Event(), threading.Event(), []
    builder = _builder(key, tag, release, took, {"version": "v1", "content": "the copy"})
    builder.start()
    assert took.wait(5)
    waiters = [_waiter(key, tag, lambda e: e["version"] == "v1", answers) for _ in range(3)]
    for waiter in waiters:
        waiter.start()
    time.sleep(0.1)
    assert answers == [], "the others wait while the copy is being built"
    release.set()
    for thread in [builder, *waiters]:
        thread.join(5)
    assert [entry for entry, _ in answers] == [{"version": "v1", "content": "the copy"}] * 3


def test_a_waiter_reads_the_copy_once_when_the_builder_has_left():
    """Issue 30: while one request rebuilds a page, the others wait on its mark alone;
    the stale copy under the key is not fetched and judged at every poll (each waiter
    did so a hundred times a second, beside the request rebuilding), but once, when
    the builder has kept its new copy."""
    key, tag = "page:shared:test:once", "v2:variant"
    release, took, answers, judged = threading.Event(), threading.Event(), [], []

    def good(entry):
        judged.append(entry["version"])
        return entry["version"] == "v2"

    builder = _builder(key, tag, release, took, {"version": "v2", "content": "new"})
    builder.start()
    assert took.wait(5)
    cache.set(key, {"version": "v1", "content": "stale"}, 60)  # the copy before the write
    waiter = _waiter(key, tag, good, answers)
    waiter.start()
    time.sleep(0.3)  # some thirty polls
    assert judged == []
    release.set()
    builder.join(5)
    waiter.join(5)
    assert answers[0][0] == {"version": "v2", "content": "new"}
    assert judged == ["v2"]


def test_a_waiter_at_the_limit_takes_a_good_copy_another_request_kept(monkeypatch):
    """The builder is still at work when the wait runs out; meanwhile a request that
    did not wait (a first visit) kept a copy of the same versions: the waiter takes it
    rather than building the page too."""
    monkeypatch.setattr(pagecache, "REBUILD_WAIT_SECONDS", 0.3)
    key, tag = "page:shared:test:limit", "v2:variant"
    release, took, answers = threading.Event(), threading.Event(), []
    builder = _builder(key, tag, release, took, None)
    builder.start()
    assert took.wait(5)
    waiter = _waiter(key, tag, lambda e: e["version"] == "v2", answers)
    waiter.start()
    cache.set(key, {"version": "v2", "content": "kept by another"}, 60)
    waiter.join(5)
    release.set()
    builder.join(5)
    [(entry, waited)] = answers
    assert entry == {"version": "v2", "content": "kept by another"}
    assert waited >= 0.3


def test_a_copy_of_other_versions_is_never_handed_to_a_waiter():
    """The builder read other versions (a write committed in between): its copy is not
    the waiter's, who builds its own once the builder has left."""
    key, tag = "page:shared:test:versions", "v2:variant"
    release, took, answers = threading.Event(), threading.Event(), []
    builder = _builder(key, tag, release, took, {"version": "older", "content": "old"})
    builder.start()
    assert took.wait(5)
    waiter = _waiter(key, tag, lambda e: e["version"] == "v2", answers)
    waiter.start()
    release.set()
    builder.join(5)
    waiter.join(5)
    [(entry, waited)] = answers
    assert entry is None
    assert waited < pagecache.REBUILD_WAIT_SECONDS


def test_a_builder_that_leaves_without_a_copy_lets_the_waiter_build_at_once():
    key, tag = "page:shared:test:failed", "v1:variant"
    release, took, answers = threading.Event(), threading.Event(), []
    builder = _builder(key, tag, release, took, None)  # a 400, or an error: no copy
    builder.start()
    assert took.wait(5)
    waiter = _waiter(key, tag, lambda e: True, answers)
    waiter.start()
    release.set()
    builder.join(5)
    waiter.join(5)
    [(entry, waited)] = answers
    assert entry is None
    assert waited < 1, "it does not wait out the whole limit"
    with pagecache.rebuilding(key, tag, lambda e: True) as entry:
        assert entry is None, "and the next request may build"


def _asked_at_once(client, fetch, built_by: str, n: int = 8) -> tuple[list[str], list[bool]]:
    """``n`` requests with ``client``'s cookies (one person's tabs) fetch a page at the
    same moment: the pages they got, and for each whether it built the page (its queries
    include ``built_by``)."""
    cookies = client.cookies
    pages, builds = [], []

    def ask():
        from django.test import Client

        other = Client()
        other.cookies = cookies
        with CaptureQueriesContext(connections["default"]) as queries:
            pages.append(fetch(other))
        builds.append(built_by in {query_name(q["sql"]) for q in queries.captured_queries})

    at_once(ask, n)
    return pages, builds


@pytest.mark.django_db(transaction=True)
def test_many_requests_for_a_stale_report_build_it_once_and_all_get_that_copy(
    hr_group, client, hr, seated, settings
):
    """Eight connections of one person ask for HR's report the moment a write replaced
    it: one of them builds it (its queries read the leaders), the others are served
    that copy."""
    client.force_login(hr)
    report(client)  # the session's CSRF cookie; the copy then kept
    Leader.objects.filter(pk=seated.pk).update(level=Leader.Level.DIRECTOR)  # a new version
    pages, builds = _asked_at_once(client, report, "select programme_leader")
    assert len(pages) == 8
    assert builds.count(True) == 1, builds
    assert len(set(pages)) == 1
    settings.PAGE_CACHE_SECONDS = 0
    assert pages[0] == report(client), "the copy is the page as it is now"


@pytest.mark.django_db(transaction=True)
def test_many_requests_for_a_stale_dashboard_with_make_ups_build_it_once(
    client, leader, cohort, other_cohort, department_a, settings
):
    """A leader offered make-ups has the dashboard open in eight tabs when another
    leader's booking replaces it (it shows the seats): one request builds it (its
    queries read the modules), the others are served that copy, which is the page as it
    is now."""
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))  # missed the 12th
    client.force_login(leader.user)
    assert "Hold 2" in page(client)  # the CSRF cookie; the copy kept
    (colleague,) = others(department_a, 1)
    booking.enrol(leader=colleague, cohort=other_cohort, now=local(2016, 1, 20))
    pages, builds = _asked_at_once(client, page, "select programme_module")
    assert len(pages) == 8
    assert builds.count(True) == 1, builds
    assert len(set(pages)) == 1
    assert pages[0] == fresh(client, settings)
