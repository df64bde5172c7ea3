"""Cohorts: the list, the detail page, and the enrol / waitlist / cancel buttons."""

import pytest
from django.urls import reverse

import booking
import demo
from programme.models import Cohort, Enrolment, User
from tests.conftest import local, make_leader

COHORTS = "/cohorts/"


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = "2016-01-20T10:00"


@pytest.fixture
def full_cohort(open_cohort, department_b):
    """Hold 3: every seat taken, its first session still to come (its waitlist is open)."""
    for n in range(open_cohort.capacity):
        seat = make_leader(f"seat{n}@albertslund.dk", f"Seat {n}", department_b, f"9{n:03d}")
        booking.enrol(leader=seat, cohort=open_cohort, now=local(2016, 1, 5))
    return open_cohort


def enrol_url(cohort):
    return reverse("dashboard:enrol", args=[cohort.pk])


def cancel_url(enrolment):
    return reverse("dashboard:cancel", args=[enrolment.pk])


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


# Pages per role.


@pytest.mark.parametrize("url", [COHORTS, "/cohorts/{pk}/"])
def test_an_anonymous_visitor_is_sent_to_sign_in(client, cohort, url):
    response = client.get(url.format(pk=cohort.pk))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_list_shows_dates_seats_deadline_and_waitlist(client, leader, full_cohort):
    booking.enrol(leader=make_leader("w@a.dk", "W", leader.department, "77"), cohort=full_cohort)
    client.force_login(leader.user)
    response = client.get(COHORTS)
    assert response.status_code == 200
    row = response.text.split(">Hold 3</a>")[1].split("</tr>")[0]
    assert "01.03.2016–19.04.2016" in row
    assert "20. februar 2016" in row
    assert "3 af 3" in row
    assert "<td>1</td>" in row  # one on the waitlist
    assert "Fuldt: venteliste" in row


def test_the_list_marks_the_leaders_own_cohort(client, leader, cohort, other_cohort):
    booking.enrol(leader=leader, cohort=other_cohort)
    client.force_login(leader.user)
    response = client.get(COHORTS)
    assert "Dit hold" in response.text
    assert "Du har en plads på Hold 2" in response.text


def test_the_detail_page_shows_the_sessions_and_an_enrol_button(client, leader, cohort):
    client.force_login(leader.user)
    response = client.get(cohort.get_absolute_url())
    assert response.status_code == 200
    assert "tirsdag 9. februar 2016" in response.text
    assert f'action="{enrol_url(cohort)}"' in response.text
    assert "Tilmeld mig Hold 1" in response.text


def test_a_full_cohort_offers_the_waitlist(client, leader, full_cohort):
    client.force_login(leader.user)
    response = client.get(full_cohort.get_absolute_url())
    assert "Skriv mig på ventelisten" in response.text


def test_a_closed_cohort_offers_no_button(client, leader, cohort, settings):
    settings.PORTAL_CLOCK = "2016-02-02T10:00"
    client.force_login(leader.user)
    response = client.get(cohort.get_absolute_url())
    assert "Tilmeldingen lukkede 31. januar 2016" in response.text
    assert enrol_url(cohort) not in response.text


def test_hr_without_a_leader_profile_sees_cohorts_but_no_buttons(client, hr, cohort):
    client.force_login(hr)
    assert client.get(COHORTS).status_code == 200
    response = client.get(cohort.get_absolute_url())
    assert response.status_code == 200
    assert "Kun ledere i forløbet kan tilmelde sig" in response.text
    assert enrol_url(cohort) not in response.text


def test_an_unknown_cohort_is_not_found(client, leader, cohort):
    client.force_login(leader.user)
    assert client.get("/cohorts/999999/").status_code == 404


# Buttons.


def test_enrolling_gives_a_seat_and_a_confirmation(client, leader, cohort):
    client.force_login(leader.user)
    response = client.post(enrol_url(cohort), follow=True)
    assert response.redirect_chain[-1][0] == reverse("dashboard:dashboard")
    assert messages_of(response) == ["Du er tilmeldt Hold 1. Du får en bekræftelse på e-mail."]
    assert Enrolment.objects.get(leader=leader).status == Enrolment.Status.ENROLLED
    assert "Dit hold: Hold 1" in response.text


def test_enrolling_in_a_full_cohort_gives_a_waitlist_place(client, leader, full_cohort):
    client.force_login(leader.user)
    response = client.post(enrol_url(full_cohort), follow=True)
    assert messages_of(response) == [
        "Hold 3 er fuldt, så du er nummer 1 på ventelisten. "
        "Vi skriver til dig, hvis der bliver en plads ledig."
    ]
    assert Enrolment.objects.get(leader=leader).status == Enrolment.Status.WAITLISTED


def test_enrolling_after_the_deadline_is_refused_with_a_message(client, leader, cohort, settings):
    settings.PORTAL_CLOCK = "2016-02-02T10:00"
    client.force_login(leader.user)
    response = client.post(enrol_url(cohort), follow=True)
    assert response.redirect_chain[-1][0] == cohort.get_absolute_url()
    assert "Tilmeldingsfristen for Hold 1 er overskredet" in messages_of(response)[0]
    assert not Enrolment.objects.filter(leader=leader).exists()


def test_a_second_cohort_is_refused(client, leader, cohort, other_cohort):
    booking.enrol(leader=leader, cohort=cohort)
    client.force_login(leader.user)
    response = client.post(enrol_url(other_cohort), follow=True)
    assert "Hold 1" in messages_of(response)[0]
    assert Enrolment.objects.filter(leader=leader).count() == 1


def test_enrolling_needs_a_post(client, leader, cohort):
    client.force_login(leader.user)
    assert client.get(enrol_url(cohort)).status_code == 405
    assert not Enrolment.objects.exists()


def test_enrolling_needs_a_csrf_token(leader, cohort):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(leader.user)
    assert strict.post(enrol_url(cohort)).status_code == 403
    assert not Enrolment.objects.exists()


def test_hr_without_a_leader_profile_cannot_enrol(client, hr, cohort):
    client.force_login(hr)
    assert client.post(enrol_url(cohort)).status_code == 403


def test_cancelling_frees_the_seat_and_promotes_the_next(client, leader, colleague, full_cohort):
    first = booking.enrol(leader=colleague, cohort=full_cohort)
    seat = full_cohort.enrolments.filter(status=Enrolment.Status.ENROLLED).first()
    client.force_login(seat.leader.user)
    response = client.post(cancel_url(seat), follow=True)
    assert response.redirect_chain[-1][0] == reverse("dashboard:cohort_list")
    assert messages_of(response) == [
        "Din plads på Hold 3 er afmeldt. Du kan vælge et andet hold på denne side."
    ]
    seat.refresh_from_db()
    first.refresh_from_db()
    assert (seat.status, first.status) == ("cancelled", "enrolled")


def test_leaving_the_waitlist_promotes_nobody(client, leader, full_cohort):
    place = booking.enrol(leader=leader, cohort=full_cohort)
    client.force_login(leader.user)
    client.post(cancel_url(place))
    place.refresh_from_db()
    assert place.status == Enrolment.Status.CANCELLED
    assert full_cohort.enrolments.filter(status="enrolled").count() == full_cohort.capacity


def test_cancelling_after_the_deadline_is_refused_with_a_message(client, leader, cohort, settings):
    enrolment = booking.enrol(leader=leader, cohort=cohort)
    settings.PORTAL_CLOCK = "2016-02-02T10:00"
    client.force_login(leader.user)
    response = client.post(cancel_url(enrolment), {"next": "/"}, follow=True)
    assert "Tilmeldingsfristen for Hold 1 er overskredet" in messages_of(response)[0]
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.ENROLLED


def test_another_leaders_enrolment_is_not_found(client, leader, colleague, cohort):
    theirs = booking.enrol(leader=colleague, cohort=cohort)
    client.force_login(leader.user)
    assert client.post(cancel_url(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Enrolment.Status.ENROLLED


def test_a_refusal_never_redirects_off_site(client, leader, cohort, settings):
    enrolment = booking.enrol(leader=leader, cohort=cohort)
    settings.PORTAL_CLOCK = "2016-02-02T10:00"
    client.force_login(leader.user)
    response = client.post(cancel_url(enrolment), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("dashboard:dashboard")


# Query counts: the same ceiling on the demo data and on ten times more.

# Session and user (2), leader, programme or cohort, cohorts or sessions, the
# leader's place, its waitlist position, and the base layout's navigation (2).
COHORT_PAGE_QUERIES = 9


def _assert_cohort_pages_queries(client, django_assert_max_num_queries):
    waiting = Enrolment.objects.filter(status="waitlisted").order_by("pk").first().leader
    for user in (User.objects.get(email=demo.LEADER_EMAIL), waiting.user):
        client.force_login(user)
        client.get(COHORTS)  # the first request after sign-in writes the session
        with django_assert_max_num_queries(COHORT_PAGE_QUERIES):
            response = client.get(COHORTS)
        assert "Ledige pladser" in response.text
        for cohort in Cohort.objects.order_by("pk")[:6]:
            with django_assert_max_num_queries(COHORT_PAGE_QUERIES):
                response = client.get(cohort.get_absolute_url())
            assert "Mødegange" in response.text


def test_the_cohort_pages_run_a_fixed_number_of_queries_on_demo_data(
    client, demo, django_assert_max_num_queries
):
    _assert_cohort_pages_queries(client, django_assert_max_num_queries)


def test_the_cohort_pages_run_as_many_queries_on_ten_times_the_data(
    client, db, django_assert_max_num_queries
):
    summary = demo.seed(leaders=1500)
    assert summary.cohorts == 60
    _assert_cohort_pages_queries(client, django_assert_max_num_queries)


def test_the_list_shows_open_cohorts_first_a_page_at_a_time(client, db):
    demo.seed(leaders=1500)
    client.force_login(User.objects.get(email=demo.LEADER_EMAIL))
    first = client.get(COHORTS)
    cohorts = list(first.context["cohorts"])
    assert len(cohorts) == 20
    today = local(2016, 1, 20).date()
    assert all(c.enrolment_deadline >= today for c in cohorts)
    deadlines = [c.enrolment_deadline for c in cohorts]
    assert deadlines == sorted(deadlines)
    last = client.get(COHORTS, {"page": first.context["page"].paginator.num_pages})
    assert any(c.enrolment_deadline < today for c in last.context["cohorts"])
    assert Cohort.objects.count() == 60
