"""*Min profil*: everyone who signs in sees their name, e-mail and roles, a leader their
department, their personal data and their calendar feed with its renew button."""

from __future__ import annotations

import pytest
from django.urls import reverse

from programme.models import Department, Facilitator
from tests.conftest import make_manager, make_user

PROFILE = reverse("accounts:profile")


def test_the_address_is_min_profil():
    assert PROFILE == "/min-profil/"


def test_a_leader_sees_their_name_e_mail_department_role_and_personal_data(
    client, leader, programme
):
    client.force_login(leader.user)
    response = client.get(PROFILE)
    assert response.status_code == 200
    text = response.text
    assert "<h1>Min profil</h1>" in text
    for shown in ("Søren Ærbø", "soeren@albertslund.dk", "Center for Økonomi og Styring"):
        assert shown in text
    assert "Leder i forløbet" in text
    assert reverse("privacy:my_data") in text
    assert "Chef for" not in text
    assert reverse("managers:team") not in text


def test_a_leader_without_a_feed_can_make_one_here_and_comes_back_here(client, leader, programme):
    client.force_login(leader.user)
    text = client.get(PROFILE).text
    assert reverse("dashboard:renew_calendar_feed") in text
    assert 'name="from" value="profile"' in text
    response = client.post(reverse("dashboard:renew_calendar_feed"), {"from": "profile"})
    assert response.status_code == 302
    assert response["Location"] == PROFILE + "#calendar-feed"
    leader.refresh_from_db()
    assert leader.calendar_token
    text = client.get(PROFILE).text
    assert leader.calendar_token in text, "the feed's address is shown"
    assert "Hent en ny adresse" in text


def test_renewing_from_the_dashboard_still_returns_to_the_dashboard(client, leader, programme):
    client.force_login(leader.user)
    response = client.post(reverse("dashboard:renew_calendar_feed"))
    assert response["Location"] == reverse("dashboard:dashboard") + "#calendar-feed"


def test_a_manager_sees_the_departments_they_manage_and_a_link_to_their_team(
    client, manager_a, department_a
):
    client.force_login(manager_a)
    text = client.get(PROFILE).text
    assert "chef.a@albertslund.dk" in text
    assert "Chef for" in text
    assert department_a.name in text
    assert reverse("managers:team") in text
    assert reverse("privacy:my_data") not in text, "the personal data page is a leader's"
    assert reverse("dashboard:renew_calendar_feed") not in text, "so is the calendar feed"


def test_an_area_manager_sees_the_departments_under_the_area(client, department_a, department_b):
    area = Department.objects.create(name="Børne- og Velfærdsforvaltningen", code="BVF")
    department_a.parent = area
    department_a.save()
    client.force_login(make_manager("direktoer@albertslund.dk", area))
    text = client.get(PROFILE).text
    assert area.name in text
    assert department_a.name in text
    assert department_b.name not in text


def test_hr_sees_the_hr_role(client, hr):
    client.force_login(hr)
    text = client.get(PROFILE).text
    assert "HR: du ser alle afdelinger" in text
    assert reverse("hr:start") in text


def test_a_facilitator_sees_the_facilitator_role(client, db):
    person = make_user("lene@albertslund.dk")
    Facilitator.objects.create(name="Lene Holm", user=person)
    client.force_login(person)
    text = client.get(PROFILE).text
    assert "Underviser på mødegange" in text
    assert reverse("checkin:sessions") in text


def test_someone_with_no_role_is_told_whom_to_contact(client, db):
    client.force_login(make_user("ukendt@albertslund.dk"))
    response = client.get(PROFILE)
    assert response.status_code == 200
    assert "Du har endnu ingen rolle i forløbet" in response.text


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(PROFILE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["leader", "manager_a", "hr"])
def test_the_navigation_links_to_the_profile_for_everyone_signed_in(
    client, request, programme, who
):
    person = request.getfixturevalue(who)
    client.force_login(getattr(person, "user", person))
    response = client.get(PROFILE)
    assert f'href="{PROFILE}" aria-current="page"' in response.text
    other = client.get(reverse("dashboard:cohort_list"))
    assert f'href="{PROFILE}"' in other.text


def test_a_manager_turns_the_weekly_digest_off_and_on_again(client, manager_a):
    from mail.models import MailPreference

    client.force_login(manager_a)
    text = client.get(PROFILE).text
    assert "Send mig et ugentligt overblik over mine ledere" in text
    assert 'name="manager_digest"' in text and "checked" in text, "on until turned off"

    response = client.post(PROFILE, {}, follow=True)
    assert response.redirect_chain == [(PROFILE, 302)]
    assert "Du får ikke længere det ugentlige overblik over dine ledere." in response.text
    assert not MailPreference.wants_digest(manager_a)
    assert "checked" not in response.text

    response = client.post(PROFILE, {"manager_digest": "on"}, follow=True)
    assert "Du får det ugentlige overblik over dine ledere." in response.text
    assert MailPreference.wants_digest(manager_a)


def test_only_a_manager_is_asked_about_the_digest(client, leader, programme):
    client.force_login(leader.user)
    assert 'name="manager_digest"' not in client.get(PROFILE).text
    assert client.post(PROFILE, {}).status_code == 403
