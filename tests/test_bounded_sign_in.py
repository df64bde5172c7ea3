"""Bounded input at the sign-in pages: the outside tester's 256 characters, and more.

Beside tests/test_bounded_input.py, whose tests share one world for the module: these
make people of their own."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests.conftest import PASSWORD


@pytest.mark.parametrize("url", [reverse("login"), reverse("admin:login")])
@pytest.mark.parametrize("length", [256, 1000, 100_000])
def test_signing_in_with_an_over_long_name_is_refused_at_the_field(client, leader, url, length):
    username = "a" * (length - len("@albertslund.dk")) + "@albertslund.dk"
    response = client.post(url, {"username": username, "password": PASSWORD})
    assert response.status_code == 200
    assert "Denne værdi må højst have 254 tegn" in " ".join(
        response.context["form"].errors["username"]
    )
    assert not AccessAttempt.objects.exists()


@pytest.mark.parametrize("url", [reverse("login"), reverse("admin:login")])
def test_signing_in_with_a_nul_byte_is_refused_at_the_field(client, leader, url):
    response = client.post(url, {"username": "soeren\x00@albertslund.dk", "password": PASSWORD})
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert not AccessAttempt.objects.exists()


def test_the_lockout_never_stores_more_than_its_column_holds(rf):
    from portal.middleware import login_username

    request = rf.post("/", {"username": "A\x00" + "b" * 400})
    assert login_username(request) == "a" + "b" * 254


def test_a_nul_byte_in_the_address_gets_the_danish_bad_request_page(client, leader):
    client.force_login(leader.user)
    response = client.get(reverse("dashboard:cohort_list"), {"page": "1\x00"})
    assert response.status_code == 400
    assert "Forespørgslen kunne ikke bruges" in response.text
