"""The leader's dashboard: progress, their cohort, attendance and the next step."""

import pytest
from django.urls import reverse

import booking
import demo
from programme.models import Attendance, Enrolment, Facilitator, Leader, User
from programme.progress import annotate_progress
from tests.conftest import local, make_leader, make_user

NOW = "2016-01-20T10:00"
DASHBOARD = "/"


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = NOW


def attend(leader, session, status=Attendance.Status.PRESENT):
    return Attendance.objects.create(leader=leader, session=session, status=status)


def test_an_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_leader_without_a_cohort_is_told_to_choose_one(client, leader, cohort):
    client.force_login(leader.user)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert "0 af 2 moduler gennemført" in response.text
    assert "Vælg et hold" in response.text
    assert reverse("dashboard:cohort_list") in response.text


def test_the_progress_bar_is_a_native_element_without_inline_style(client, leader, cohort):
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    attend(leader, cohort.sessions.get(module__order=1))
    client.force_login(leader.user)
    response = client.get(DASHBOARD)
    assert '<progress id="progress-bar" class="leaders-progress" value="1" max="2"' in response.text
    assert "1 af 2 moduler gennemført" in response.text
    assert "style=" not in response.text


def test_an_enrolled_leader_sees_their_sessions_in_danish(client, leader, cohort):
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    attend(leader, cohort.sessions.get(module__order=1))
    client.force_login(leader.user)
    response = client.get(DASHBOARD)
    assert "Dit hold: Hold 1" in response.text
    assert "tirsdag 9. februar 2016" in response.text
    assert "09:00–15:00" in response.text
    assert "Albertslund Rådhus" in response.text
    assert "Mød op til din næste mødegang: IT den 9. februar 2016 kl. 09:00" in response.text
    assert reverse("dashboard:schedule_ics") in response.text


def test_attendance_is_shown_per_module(client, leader, cohort):
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    attend(leader, cohort.sessions.get(module__order=1), Attendance.Status.LATE)
    client.force_login(leader.user)
    response = client.get(DASHBOARD)
    assert "12.01.2016: Mødt for sent" in response.text
    assert "Gennemført" in response.text


def test_a_leader_who_completed_sees_the_date(client, leader, cohort, settings):
    settings.PORTAL_CLOCK = "2016-03-20T10:00"
    booking.enrol(leader=leader, cohort=cohort, by_staff=True, now=local(2016, 1, 5))
    for session in cohort.sessions.filter(module__required=True):
        attend(leader, session)
    client.force_login(leader.user)
    response = client.get(DASHBOARD)
    assert "2 af 2 moduler gennemført" in response.text
    assert "Du gennemførte forløbet 9. februar 2016." in response.text
    assert "Godt gået" in response.text


def test_a_waitlisted_leader_sees_their_place_in_the_queue(client, leader, colleague, open_cohort):
    cohort = open_cohort
    for n in range(cohort.capacity):
        seat = make_leader(f"s{n}@albertslund.dk", f"S {n}", leader.department, f"8{n}")
        booking.enrol(leader=seat, cohort=cohort, now=local(2016, 1, 5))
    booking.enrol(leader=colleague, cohort=cohort, now=local(2016, 1, 6))
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 7))
    client.force_login(leader.user)
    response = client.get(DASHBOARD)
    assert "Du er nummer 2 på ventelisten til Hold 3" in response.text
    assert "Forlad ventelisten" in response.text


def test_a_colleague_sees_only_their_own_progress(client, leader, colleague, cohort):
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 5))
    client.force_login(colleague.user)
    response = client.get(DASHBOARD)
    assert "Hold 1" not in response.text
    assert leader.name not in response.text
    assert colleague.name in response.text


def test_hr_without_a_leader_profile_lands_on_the_hr_start_page(client, hr, cohort):
    client.force_login(hr)
    response = client.get(DASHBOARD, follow=True)
    assert response.redirect_chain == [(reverse("hr:start"), 302)]
    assert reverse("admin:index") in response.text


def test_staff_without_a_leader_profile_and_not_in_hr_gets_a_helpful_page(client, cohort):
    from tests.conftest import make_user

    client.force_login(make_user("it@albertslund.dk", is_staff=True))
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert "Du er ikke registreret som leder i forløbet" in response.text
    assert reverse("admin:index") in response.text


# -- No dead ends: whoever signs in lands on a page that leads somewhere ---------------


def test_a_facilitator_without_a_leader_profile_lands_on_their_sessions(client, cohort):
    """Repro: the facilitator read "Du er ikke registreret som leder" and no way on."""
    person = make_user("lene@albertslund.dk")
    Facilitator.objects.create(name="Lene Holm", user=person)
    cohort.sessions.update(facilitator=Facilitator.objects.get())
    client.force_login(person)
    response = client.get(DASHBOARD, follow=True)
    assert response.redirect_chain == [(reverse("checkin:sessions"), 302)]
    assert "Kick-off" in response.text


def test_a_manager_who_is_not_a_leader_lands_on_their_team(client, manager_a, cohort):
    client.force_login(manager_a)
    response = client.get(DASHBOARD, follow=True)
    assert response.redirect_chain == [(reverse("managers:team"), 302)]


def test_someone_with_no_role_is_told_whom_to_contact_and_offered_no_empty_page(client, db):
    client.force_login(make_user("ukendt@albertslund.dk"))
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert "hr@albertslund.dk" in response.text
    assert reverse("checkin:sessions") not in response.text


def test_after_the_programme_a_leader_without_a_place_is_told_the_truth(
    client, leader, cohort, other_cohort, settings
):
    """Repro: after 31 July 2016 the leader was told to choose a cohort with free seats,
    and every cohort on the list said "Lukket"."""
    settings.PORTAL_CLOCK = "2016-08-01T09:00"
    client.force_login(leader.user)
    page = client.get(DASHBOARD).text
    assert "Programmet sluttede den 31. juli 2016" in page
    assert "Vælg et hold" not in page
    assert "kontakt HR" in page and "hr@albertslund.dk" in page
    listing = client.get(reverse("dashboard:cohort_list")).text
    assert "Programmet sluttede den 31. juli 2016" in listing
    assert "Åbn et hold for at se dets mødegange og tilmelde dig" not in listing


def test_when_every_deadline_has_passed_the_leader_is_not_sent_to_choose_a_cohort(
    client, leader, cohort, other_cohort, settings
):
    settings.PORTAL_CLOCK = "2016-03-01T09:00"  # after Hold 1's and Hold 2's deadlines
    client.force_login(leader.user)
    page = client.get(DASHBOARD).text
    assert "Intet hold tager imod tilmeldinger lige nu" in page
    assert "Vælg et hold" not in page


def test_a_waitlisted_leader_whose_cohort_began_with_none_open_is_not_sent_on(
    client, leader, colleague, cohort, settings
):
    cohort.capacity = 1
    cohort.save()
    booking.enrol(leader=colleague, cohort=cohort, now=local(2016, 1, 5))
    booking.enrol(leader=leader, cohort=cohort, now=local(2016, 1, 6))
    settings.PORTAL_CLOCK = "2016-02-01T09:00"  # Hold 1 began and its deadline is over
    client.force_login(leader.user)
    page = client.get(DASHBOARD).text
    assert "Hold 1 er gået i gang, så ventelisten er lukket" in page
    assert "Intet hold tager imod tilmeldinger lige nu" in page
    assert "Vælg et hold" not in page


# Query counts: the same ceiling on the demo data and on ten times more.

# Session, user (with leader record and roles), programme, modules, standing,
# enrolment, own sessions, make-ups, attendance, absences reported in advance, make-up
# options, the self-assessment rounds answered, whether an initiative exists and the
# sessions to evaluate: the header reuses the user's roles and the programme
# (tests/test_query_budget.py names each).
DASHBOARD_QUERIES = 14


def _behind_leader() -> Leader:
    programme = demo.Programme.current()
    return (
        annotate_progress(Leader.objects.all(), programme)
        .filter(is_behind=True)
        .order_by("pk")
        .first()
    )


def _assert_dashboard_queries(client, django_assert_max_num_queries):
    newcomer = User.objects.get(email=demo.LEADER_EMAIL)
    behind = _behind_leader()
    enrolled = Enrolment.objects.filter(status="enrolled").order_by("-pk").first().leader
    assert behind is not None
    for user in (newcomer, behind.user, enrolled.user):
        client.force_login(user)
        client.get(DASHBOARD)  # the first request after sign-in writes the session
        with django_assert_max_num_queries(DASHBOARD_QUERIES):
            response = client.get(DASHBOARD)
        assert "moduler gennemført" in response.text


def test_the_dashboard_runs_a_fixed_number_of_queries_on_demo_data(
    client, demo, django_assert_max_num_queries
):
    _assert_dashboard_queries(client, django_assert_max_num_queries)


def test_the_dashboard_runs_as_many_queries_on_ten_times_the_data(
    client, db, django_assert_max_num_queries
):
    demo.seed(leaders=1500)
    _assert_dashboard_queries(client, django_assert_max_num_queries)


def test_the_dashboard_links_to_the_leaders_own_personal_data(client, leader, cohort):
    client.force_login(leader.user)
    response = client.get(DASHBOARD)
    assert reverse("privacy:my_data") in response.text
    assert "Dine personoplysninger" in response.text
