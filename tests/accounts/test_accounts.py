"""Signing in and out, changing a password, and resetting a forgotten one by e-mail."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import PASSWORD, query_name, queued

NEW_PASSWORD = "Ny-adgangskode-2016"


def test_the_sign_in_page_is_public_and_in_danish(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "<h1" in response.text and "Log ind</h1>" in response.text
    assert "Har du glemt din adgangskode?" in response.text


def test_a_leader_signs_in_with_email_and_password(client, leader):
    response = client.post(
        reverse("login"), {"username": "Soeren@Albertslund.dk", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:dashboard")
    assert client.get("/").context["user"] == leader.user


def test_a_wrong_password_is_refused(client, leader):
    response = client.post(
        reverse("login"), {"username": "soeren@albertslund.dk", "password": "forkert"}
    )
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated
    assert response.context["form"].errors


def test_signing_in_returns_to_the_page_asked_for(client, leader, cohort):
    wanted = cohort.get_absolute_url()
    response = client.get(wanted)
    assert response["Location"] == f"{reverse('login')}?next={wanted}"
    response = client.post(
        f"{reverse('login')}?next={wanted}",
        {"username": "soeren@albertslund.dk", "password": PASSWORD, "next": wanted},
    )
    assert response["Location"] == wanted


def test_signing_out_needs_a_post(client, leader):
    client.force_login(leader.user)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")
    assert client.get("/").status_code == 302


def test_a_leader_changes_their_password(client, leader):
    client.force_login(leader.user)
    page = client.get(reverse("password_change"))
    assert "Skift din adgangskode" in page.text
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        follow=True,
    )
    assert "Din adgangskode er skiftet" in response.text
    leader.user.refresh_from_db()
    assert leader.user.check_password(NEW_PASSWORD)


def test_a_wrong_current_password_is_refused_next_to_the_field(client, leader):
    client.force_login(leader.user)
    response = client.post(
        reverse("password_change"),
        {"old_password": "forkert", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    leader.user.refresh_from_db()
    assert leader.user.check_password(PASSWORD)


def test_a_forgotten_password_is_reset_by_a_link_in_an_e_mail(client, leader):
    response = client.post(
        reverse("password_reset"), {"email": "soeren@albertslund.dk"}, follow=True
    )
    assert "Tjek din e-mail" in response.text
    (message,) = queued()
    assert message.subject == "Vælg en ny adgangskode til portalen for digital ledelse"
    assert "Du logger ind med din e-mailadresse: soeren@albertslund.dk" in message.message
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.message).group(1)

    form = client.get(link, follow=True)
    assert "Vælg en ny adgangskode" in form.text
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "Din adgangskode er gemt" in response.text
    leader.user.refresh_from_db()
    assert leader.user.check_password(NEW_PASSWORD)


def test_a_used_reset_link_is_refused(client, leader):
    client.post(reverse("password_reset"), {"email": "soeren@albertslund.dk"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", queued()[0].message).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    response = client.get(link, follow=True)
    assert "Linket er ikke gyldigt" in response.text


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, db):
    response = client.post(
        reverse("password_reset"), {"email": "ukendt@albertslund.dk"}, follow=True
    )
    assert "Tjek din e-mail" in response.text
    assert queued() == []


def test_a_leader_who_never_had_a_password_gets_a_reset_e_mail(client, leader):
    """The repro from issue 11: an imported leader has an unusable password."""
    from django.contrib.auth.forms import PasswordResetForm

    leader.user.set_unusable_password()
    leader.user.save()
    assert list(PasswordResetForm().get_users("soeren@albertslund.dk")) == []  # Django's own
    client.post(reverse("password_reset"), {"email": "Soeren@Albertslund.dk"})
    (message,) = queued()
    assert message.to == ["soeren@albertslund.dk"]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.message).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    leader.user.refresh_from_db()
    assert leader.user.check_password(NEW_PASSWORD)


def test_a_leader_who_has_left_gets_no_reset_e_mail(client, leader, now):
    leader.left_on = now.date().replace(year=2015)
    leader.save()
    client.post(reverse("password_reset"), {"email": "soeren@albertslund.dk"})
    assert queued() == []


def test_a_known_and_an_unknown_address_run_the_same_queries_and_only_the_known_is_sent(
    client, leader, colleague
):
    """Repro (issue 22): a known address took ~37 ms and an unknown one ~16 ms, the texts
    equal and the work not. Now both look up the login, render the e-mail and write it to
    the outbox; the unknown one's savepoint is rolled back."""
    from post_office.models import Email

    def reset(email: str) -> list[str]:
        client.get(reverse("password_reset"))
        with CaptureQueriesContext(connection) as queries:
            response = client.post(reverse("password_reset"), {"email": email})
        assert response.status_code == 302
        return [query_name(q["sql"]) for q in queries.captured_queries]

    reset(colleague.user.email)  # the first e-mail of a process reads what it caches
    Email.objects.all().delete()
    known = reset(leader.user.email)
    assert Email.objects.count() == 1
    unknown = reset("ukendt@albertslund.dk")
    assert Email.objects.count() == 1
    # Only the end of the savepoint differs: kept for the known, rolled back for the unknown.
    assert known == [
        "select programme_user",
        "savepoint",
        "select programme_emailtext",
        "insert post_office_email",
        "release",
    ]
    assert unknown == [*known[:-1], "rollback", "release"]
