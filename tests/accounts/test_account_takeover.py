"""No account takeover through data: an administrator's login is never a leader's to change.

The outside tester, as HR (not a superuser), imported a leader with the superuser's
e-mail address, got the superuser's login attached to the new leader, set *left on*
and anonymised: the superuser lost its rights, its password and its address. Each
path to a login is tested here: the import (more in test_admin_import.py), the admin's
leader form and its login search, the admin's user pages, and anonymisation - by
function, by HR's page, by the admin action and by the nightly command.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.privacy import AnonymisationError, anonymise_leader
from hr import import_jobs
from programme.models import Leader, User
from tests.conftest import NOW, PASSWORD, make_leader, make_user

ADD_LEADER = reverse("admin:programme_leader_add")


@pytest.fixture
def hr_colleague(hr) -> User:
    colleague = make_user("hr2@albertslund.dk", is_staff=True)
    colleague.groups.set(hr.groups.all())
    return colleague


def leader_form(user: User, department, **extra) -> dict:
    return {
        "user": user.pk,
        "employee_number": "99001",
        "name": "Rod Bruger",
        "title": "",
        "level": Leader.Level.TEAM,
        "department": department.pk,
        "left_on": "",
        **extra,
    }


def test_the_testers_import_and_anonymisation_leave_the_superuser_untouched(
    client, hr, superuser, department_a
):
    """The repro end to end: the row is refused, so there is nothing to anonymise."""
    superuser.email = "root@example.invalid"
    superuser.save()
    client.force_login(hr)
    text = (
        "Medarbejdernummer;Navn;E-mail;Stilling;Ledelsesniveau;Afdeling\r\n"
        "99001;Rod Bruger;ROOT@example.invalid;;Teamleder;ØKS\r\n"
    )
    response = client.post(
        reverse("admin:programme_leader_import"),
        {"import_file": SimpleUploadedFile("ledere.csv", text.encode())},
    )
    assert response.status_code == 302  # to the check's status page
    import_jobs.run_pending()  # the import worker checks the file
    response = client.get(response["Location"])
    [error] = response.context["errors"]  # the problems, not a preview to confirm
    assert (error.line, error.column) == (2, "E-mail")
    assert "kan derfor ikke blive en leders login" in error.message
    assert not Leader.objects.filter(user=superuser).exists()
    superuser.refresh_from_db()
    assert superuser.is_superuser and superuser.is_staff and superuser.is_active
    assert superuser.has_usable_password() and superuser.email == "root@example.invalid"


# --- The admin's leader form and its login search -----------------------------------


@pytest.mark.parametrize("who", ["hr", "superuser"])
def test_a_leader_cannot_be_given_an_administrators_login_in_the_admin(
    client, request, hr, hr_colleague, superuser, department_a, who
):
    client.force_login(request.getfixturevalue(who))
    for login in (superuser, hr_colleague):
        response = client.post(ADD_LEADER, leader_form(login, department_a))
        assert response.status_code == 200
        assert "Dette login kan ikke være en leders" in str(response.context["adminform"].errors)
    assert not Leader.objects.exists()


def test_a_leader_cannot_be_given_another_leaders_login_in_the_admin(client, hr, leader, colleague):
    client.force_login(hr)
    url = reverse("admin:programme_leader_change", args=[colleague.pk])
    form = leader_form(leader.user, colleague.department, employee_number="1002", name="Åse")
    response = client.post(url, form)
    assert response.status_code == 200
    colleague.refresh_from_db()
    assert colleague.user.email == "aase@albertslund.dk"


def test_hr_can_still_edit_a_leader_whose_login_is_an_administrators(client, hr, leader):
    """An old link to an administrator's login stays valid; HR changes only the leader."""
    leader.user.is_staff = True
    leader.user.save()
    client.force_login(hr)
    url = reverse("admin:programme_leader_change", args=[leader.pk])
    form = leader_form(leader.user, leader.department, employee_number="1001", title="Direktør")
    assert client.post(url, form).status_code == 302
    leader.refresh_from_db()
    assert (leader.title, leader.user.is_staff) == ("Direktør", True)


def test_a_plain_login_of_no_one_elses_can_be_a_new_leaders(client, hr, manager_b, department_a):
    client.force_login(hr)
    assert client.post(ADD_LEADER, leader_form(manager_b, department_a)).status_code == 302
    assert Leader.objects.get(employee_number="99001").user == manager_b


def test_the_login_search_of_the_leader_form_offers_only_logins_a_leader_may_have(
    client, hr, hr_colleague, superuser, leader, manager_b
):
    client.force_login(hr)
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "programme",
            "model_name": "leader",
            "field_name": "user",
            "term": "albertslund",
        },
    )
    found = {result["text"] for result in json.loads(response.content)["results"]}
    assert found == {"chef.b@albertslund.dk"}


# --- The admin's user pages -----------------------------------------------------------


@pytest.fixture
def user_manager(db) -> User:
    """Staff who may change logins (a superuser could grant this), but is no superuser."""
    user = make_user("brugeradmin@albertslund.dk", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_user", "change_user", "delete_user"])
    )
    return user


def test_only_a_superuser_changes_an_administrators_login(
    client, user_manager, superuser, hr_colleague
):
    client.force_login(user_manager)
    for admin_login in (superuser, hr_colleague):
        change = reverse("admin:programme_user_change", args=[admin_login.pk])
        form = {"email": "ejer@example.invalid", "first_name": "", "last_name": ""}
        assert client.post(change, form).status_code == 403
        password = reverse("admin:auth_user_password_change", args=[admin_login.pk])
        new = {"password1": "Nyt-kodeord-2016", "password2": "Nyt-kodeord-2016"}
        assert client.post(password, new).status_code == 403
        delete = reverse("admin:programme_user_delete", args=[admin_login.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
    superuser.refresh_from_db()
    assert superuser.email == "admin@albertslund.dk" and superuser.check_password(PASSWORD)


def test_only_a_superuser_gives_administrator_rights(client, user_manager, leader, superuser):
    change = reverse("admin:programme_user_change", args=[leader.user.pk])
    form = {
        "email": leader.user.email,
        "first_name": "Søren",
        "last_name": "Ærbø",
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "date_joined_0": "2015-11-01",
        "date_joined_1": "09:00:00",
    }
    client.force_login(user_manager)
    assert client.post(change, form).status_code == 302
    leader.user.refresh_from_db()
    assert (leader.user.first_name, leader.user.is_staff, leader.user.is_superuser) == (
        "Søren",
        False,
        False,
    )
    client.force_login(superuser)
    assert client.post(change, form).status_code == 302
    leader.user.refresh_from_db()
    assert (leader.user.is_staff, leader.user.is_superuser) == (True, True)


# --- Anonymisation never touches an administrator's login ---------------------------


@pytest.fixture
def leaver_with_admin_login(department_a) -> Leader:
    """A leader who has left and signs in with a staff login (made before this rule)."""
    leader = make_leader("staffleder@albertslund.dk", "Stine Staff", department_a, "5001")
    leader.user.is_staff = True
    leader.user.save()
    leader.left_on = dt.date(2015, 12, 31)
    leader.save()
    return leader


def assert_untouched(leader: Leader) -> None:
    leader.refresh_from_db()
    leader.user.refresh_from_db()
    assert (leader.name, leader.anonymised_at) == ("Stine Staff", None)
    user = leader.user
    assert (user.email, user.is_staff, user.is_active) == ("staffleder@albertslund.dk", True, True)
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize("rights", [{"is_staff": True}, {"is_superuser": True}])
def test_anonymising_refuses_a_leader_with_an_administrators_login(leaver_with_admin_login, rights):
    User.objects.filter(pk=leaver_with_admin_login.user_id).update(**rights)
    with pytest.raises(AnonymisationError, match="ændrer anonymisering aldrig"):
        anonymise_leader(leaver_with_admin_login, now=NOW)
    leaver_with_admin_login.refresh_from_db()
    assert leaver_with_admin_login.anonymised_at is None
    assert User.objects.filter(pk=leaver_with_admin_login.user_id, is_active=True, **rights)


def test_hrs_anonymise_page_says_why_and_changes_nothing(client, hr, leaver_with_admin_login):
    client.force_login(hr)
    url = reverse("privacy:anonymise", args=[leaver_with_admin_login.pk])
    response = client.post(url, follow=True)
    assert "En superbruger skal først fjerne administratorrettighederne" in response.text
    assert_untouched(leaver_with_admin_login)


def test_the_admin_action_refuses_the_administrator_and_anonymises_the_others(
    client, hr, leaver_with_admin_login, leader
):
    leader.left_on = dt.date(2015, 12, 31)
    leader.save()
    client.force_login(hr)
    response = client.post(
        reverse("admin:programme_leader_changelist"),
        {
            "action": "anonymise_leavers",
            "_selected_action": [leaver_with_admin_login.pk, leader.pk],
        },
        follow=True,
    )
    text = [str(m) for m in response.context["messages"]]
    assert "1 leder er anonymiseret." in text
    assert any(m.startswith("Stine Staff: Lederen logger ind med en administrators") for m in text)
    assert_untouched(leaver_with_admin_login)
    leader.refresh_from_db()
    assert leader.anonymised_at is not None


def test_the_nightly_command_anonymises_the_others_and_fails_loudly_on_the_administrator(
    settings, leaver_with_admin_login, leader
):
    settings.PORTAL_CLOCK = NOW.isoformat()
    leader.left_on = leaver_with_admin_login.left_on = NOW.date() - dt.timedelta(days=400)
    leader.save()
    leaver_with_admin_login.save()
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 leader"):
        call_command("anonymise_leavers", stdout=out, stderr=err)
    assert "Anonymised 1 leader" in out.getvalue()
    assert f"leader {leaver_with_admin_login.pk} not anonymised" in err.getvalue()
    leader.refresh_from_db()
    assert leader.anonymised_at is not None
    leaver_with_admin_login.refresh_from_db()
    assert leaver_with_admin_login.anonymised_at is None
