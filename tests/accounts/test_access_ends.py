"""Leaving ends access on every way in, from the day after ``left_on`` (the last working
day): a password, an invitation link, a reset link, single sign-on (test_sso.py) and a
session already open. Staff keep their rights: they never have a leader record.

Repro (issue 22): with ``left_on`` in the past, an invitation sent earlier still set a
password and signed in, a password set earlier still signed in, and a session opened
earlier kept answering 200 on the dashboard, the cohorts, the personal data and the
self-assessment.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.sessions.models import Session as StoredSession
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts import invitations
from programme.models import Leader, User
from tests.conftest import PASSWORD, make_user, queued

LAST_DAY = dt.date(2016, 1, 15)
NEW_PASSWORD = "Ny-adgangskode-2016"
PAGES = ["/", "/cohorts/", "/me/data/", "/self-assessment/"]


def on(settings, day: dt.date) -> None:
    settings.PORTAL_CLOCK = f"{day.isoformat()}T10:00"


@pytest.fixture
def leaving(leader, settings, programme):
    """The leader's last day is 15 January; the tests start on it."""
    leader.left_on = LAST_DAY
    leader.save()
    on(settings, LAST_DAY)
    return leader


def sign_in(client, email: str, password: str = PASSWORD):
    return client.post(reverse("login"), {"username": email, "password": password})


def signed_in_user(client):
    return client.get(reverse("login")).wsgi_request.user


def test_a_password_signs_in_on_the_last_day_and_not_the_day_after(client, leaving, settings):
    assert sign_in(client, leaving.user.email).status_code == 302
    client.post(reverse("logout"))
    on(settings, LAST_DAY + dt.timedelta(days=1))
    response = sign_in(client, leaving.user.email)
    assert response.status_code == 200
    assert "Din adgang til portalen ophørte efter 15. januar 2016" in response.text
    assert "hr@albertslund.dk" in response.text
    assert not signed_in_user(client).is_authenticated


def test_a_wrong_password_of_a_leader_who_has_left_says_nothing_about_leaving(
    client, leaving, settings
):
    on(settings, LAST_DAY + dt.timedelta(days=1))
    response = sign_in(client, leaving.user.email, "not-the-password")
    assert "ophørte" not in response.text
    assert "Indtast venligst korrekt e-mailadresse og adgangskode" in response.text


def test_an_open_session_ends_at_its_next_request_the_day_after(client, leaving, settings):
    sign_in(client, leaving.user.email)
    for page in PAGES:
        assert client.get(page).status_code == 200, page
    key = client.cookies["sessionid"].value
    on(settings, LAST_DAY + dt.timedelta(days=1))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    page = client.get(response["Location"])
    assert "Din adgang til portalen ophørte efter 15. januar 2016" in page.text
    assert not StoredSession.objects.filter(session_key=key).exists()
    for path in PAGES:
        assert client.get(path).status_code == 302, path


def test_a_session_ended_by_leaving_stays_ended_when_hr_takes_the_leaver_back(
    client, leaving, settings
):
    sign_in(client, leaving.user.email)
    old_cookie = client.cookies["sessionid"].value
    on(settings, LAST_DAY + dt.timedelta(days=1))
    client.get("/")
    leaving.left_on = None  # HR's decision: the leader comes back
    leaving.save()
    client.cookies["sessionid"] = old_cookie
    assert client.get("/").status_code == 302
    assert sign_in(client, leaving.user.email).status_code == 302  # a new sign-in works


def test_an_invitation_sent_before_leaving_sets_no_password_after(client, leaving, settings):
    leaving.user.set_unusable_password()
    leaving.user.save()
    invitations.invite(leaving)
    link = re.search(r"http://testserver(/accounts/invitation/\S+/)", queued()[0].message)[1]
    on(settings, LAST_DAY + dt.timedelta(days=1))
    page = client.get(link, follow=True)
    assert "Din adgang til portalen ophørte efter 15. januar 2016" in page.text
    assert "new_password1" not in page.text
    form_url = link.rsplit("/", 2)[0] + "/set-password/"
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    leaving.user.refresh_from_db()
    assert not leaving.user.has_usable_password()
    assert not signed_in_user(client).is_authenticated


def test_an_invitation_link_opened_on_the_last_day_cannot_be_used_the_day_after(
    client, leaving, settings
):
    invitations.invite(leaving)
    link = re.search(r"http://testserver(/accounts/invitation/\S+/)", queued()[0].message)[1]
    form_url = client.get(link).headers["Location"]  # the token now waits in the session
    assert "new_password1" in client.get(form_url).text
    on(settings, LAST_DAY + dt.timedelta(days=1))
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert "Din adgang til portalen ophørte" in response.text
    leaving.user.refresh_from_db()
    assert leaving.user.check_password(PASSWORD)


def test_a_reset_link_asked_for_before_leaving_sets_no_password_after(client, leaving, settings):
    client.post(reverse("password_reset"), {"email": leaving.user.email})
    (message,) = queued()
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.message)[1]
    on(settings, LAST_DAY + dt.timedelta(days=1))
    page = client.get(link, follow=True)
    assert "Din adgang til portalen ophørte efter 15. januar 2016" in page.text
    assert "new_password1" not in page.text
    form_url = link.rsplit("/", 2)[0] + "/set-password/"
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    leaving.user.refresh_from_db()
    assert leaving.user.check_password(PASSWORD)


def test_a_forged_link_of_a_leader_who_has_left_says_only_that_it_is_not_valid(
    client, leaving, settings
):
    on(settings, LAST_DAY + dt.timedelta(days=1))
    uid = re.search(r"/accounts/invitation/([^/]+)/", invitations.invitation_link(leaving.user))
    page = client.get(f"/accounts/reset/{uid[1]}/abc-123/", follow=True)
    assert "Linket er ikke gyldigt" in page.text
    assert "ophørte" not in page.text


def test_the_reset_request_of_a_leader_who_has_left_sends_nothing(client, leaving, settings):
    on(settings, LAST_DAY + dt.timedelta(days=1))
    response = client.post(reverse("password_reset"), {"email": leaving.user.email}, follow=True)
    assert "Tjek din e-mail" in response.text
    assert queued() == []


def test_staff_keep_their_rights_whatever_the_leavers(client, hr, leaving, settings):
    on(settings, LAST_DAY + dt.timedelta(days=400))
    assert sign_in(client, hr.email).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("reports:overview")).status_code == 200
    client.post(reverse("logout"))
    client.post(reverse("password_reset"), {"email": hr.email})
    assert len(queued()) == 1


@pytest.mark.django_db
# The department is only read; every example makes logins of its own.
@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    left_on=st.none() | st.dates(dt.date(2015, 11, 1), dt.date(2016, 8, 31)),
    anonymised=st.booleans(),
    active=st.booleans(),
    today=st.dates(dt.date(2015, 11, 1), dt.date(2016, 8, 31)),
)
def test_may_sign_in_agrees_with_the_leavers_query_and_never_touches_staff(
    department_a, left_on, anonymised, active, today
):
    """One rule in two forms, the login's (every way in) and the query's (lists, the
    reset's former filter, booking): they agree for every leaving day, and a login
    without a leader record is refused only when closed."""
    from accounts.signin import may_sign_in

    user = make_user(f"p{User.objects.count()}@albertslund.dk", is_active=active)
    staff = make_user(f"s{User.objects.count()}@albertslund.dk", is_staff=True, is_active=active)
    Leader.objects.create(
        user=user,
        employee_number=f"H{user.pk}",
        name="Hypo",
        level=Leader.Level.TEAM,
        department=department_a,
        left_on=left_on,
        anonymised_at=dt.datetime(2016, 1, 1, tzinfo=dt.UTC) if anonymised else None,
    )
    loaded = User.objects.select_related("leader").get(pk=user.pk)
    in_query = User.objects.filter(
        Leader.here_on(today, prefix="leader__"), pk=user.pk, is_active=True
    ).exists()
    assert may_sign_in(loaded, today) == in_query
    assert may_sign_in(User.objects.select_related("leader").get(pk=staff.pk), today) == active
