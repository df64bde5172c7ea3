"""Sign-in protection (django-axes): 5 wrong passwords for one account from one address
block that pair for an hour; HR or a superuser can lift the block sooner."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD

EMAIL = "soeren@albertslund.dk"
ADDRESS = "10.1.2.3"


def sign_in(client, password: str, *, email: str = EMAIL, address: str = ADDRESS):
    return client.post(
        reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address
    )


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Dozens of sign-ins per test: a fast hasher keeps the file quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def fail(client, times: int, **kwargs):
    for _ in range(times):
        response = sign_in(client, "wrong-password", **kwargs)
    return response


def test_four_wrong_passwords_do_not_block(client, leader):
    fail(client, 4)
    assert sign_in(client, PASSWORD).status_code == 302


def test_the_fifth_wrong_password_blocks(client, leader):
    assert fail(client, 4).status_code == 200
    assert fail(client, 1).status_code == 429


def test_five_wrong_passwords_block_even_the_right_one(client, leader):
    fail(client, 5)
    response = sign_in(client, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_block_says_so_in_danish(client, leader):
    fail(client, 5)
    page = sign_in(client, PASSWORD).content.decode()
    assert "Log ind er spærret i en time" in page
    assert "kontakt HR" in page


def test_the_block_counts_an_address_written_in_capitals_as_the_same_account(client, leader):
    fail(client, 3)
    fail(client, 2, email=EMAIL.upper())
    assert sign_in(client, PASSWORD).status_code == 429


def test_the_block_is_for_one_address_only(client, leader):
    fail(client, 5)
    assert sign_in(client, PASSWORD, address="10.9.9.9").status_code == 302


def test_the_block_is_for_one_account_only(client, leader, colleague):
    fail(client, 5)
    assert sign_in(client, PASSWORD, email="aase@albertslund.dk").status_code == 302


def test_the_block_ends_after_an_hour(client, leader):
    fail(client, 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=61))
    assert sign_in(client, PASSWORD).status_code == 302


def test_hr_lifts_the_block_from_the_blocked_sign_ins_page(client, leader, hr):
    fail(client, 5)
    client.force_login(hr)
    page = client.get(reverse("privacy:lockouts"))
    assert EMAIL in page.content.decode()
    attempt = AccessAttempt.objects.get()
    assert client.post(reverse("privacy:unlock", args=[attempt.pk])).status_code == 302
    client.logout()
    assert sign_in(client, PASSWORD).status_code == 302


def test_a_manager_cannot_lift_a_block(client, leader, manager_a):
    fail(client, 5)
    client.force_login(manager_a)
    attempt = AccessAttempt.objects.get()
    assert client.post(reverse("privacy:unlock", args=[attempt.pk])).status_code == 403
    assert AccessAttempt.objects.exists()


def test_a_superuser_lifts_the_block_in_the_admin(client, leader, superuser):
    fail(client, 5)
    client.force_login(superuser)
    attempt = AccessAttempt.objects.get()
    changelist = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert EMAIL in changelist.content.decode()
    delete = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    client.logout()
    assert sign_in(client, PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "6.6.6.6", "10.1.2.3"),  # no proxy: the header is the client's own invention
        (1, "6.6.6.6, 192.0.2.7", "192.0.2.7"),  # the proxy appended the real client
        (2, "6.6.6.6, 192.0.2.7, 10.0.0.5", "192.0.2.7"),
    ],
)
def test_the_client_address_trusts_only_the_configured_proxies(
    rf, settings, proxies, forwarded, expected
):
    from portal.middleware import client_ip

    settings.PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_the_superuser_reads_sign_in_records_in_danish(client, leader, superuser):
    """django-axes names its records in English in the code ("Attempted Access: ...");
    the admin names them in Danish wherever it names one."""
    from axes.models import AccessLog
    from django.contrib.admin.models import LogEntry

    fail(client, 5)
    attempt = AccessAttempt.objects.get()
    record = AccessLog.objects.create(
        username=EMAIL, ip_address=ADDRESS, user_agent="Firefox", attempt_time=timezone.now()
    )
    client.force_login(superuser)
    name = f"Loginforsøg fra {ADDRESS}"
    lists = {"accessattempt": name, "accesslog": f"Login: {EMAIL}, "}
    for model, label in lists.items():
        page = client.get(reverse(f"admin:axes_{model}_changelist")).text
        assert f"Vælg dette objekt for en handling - {label}" in page, model
        assert "Attempted Access" not in page and "Access Log for" not in page, model
    for view in ("change", "history", "delete"):
        page = client.get(reverse(f"admin:axes_accessattempt_{view}", args=[attempt.pk])).text
        assert name in page, view
        assert "Attempted Access" not in page, view
    for view in ("change", "history", "delete"):
        page = client.get(reverse(f"admin:axes_accesslog_{view}", args=[record.pk])).text
        assert f"Login: {EMAIL}, " in page, view
        assert "Access Log for" not in page, view

    change = reverse("admin:axes_accessattempt_change", args=[attempt.pk])
    page = client.post(change, {}, follow=True).text
    assert f"{name}</a>" in page  # the message after saving
    assert "Attempted Access" not in page
    assert LogEntry.objects.get().object_repr == name
    LogEntry.objects.all().delete()

    delete = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    page = client.post(delete, {"post": "yes"}, follow=True).text
    assert name in page  # the message after it
    assert "Attempted Access" not in page
    assert LogEntry.objects.get().object_repr == name
