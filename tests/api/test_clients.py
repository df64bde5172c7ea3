"""API clients as HR manages them: the token shown once and kept only as a hash, expiry
and revocation (401), scopes (403), every call counted and the limit a minute (429)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.urls import reverse

from api.models import ApiClient, ApiUsage, Scope
from tests.api.conftest import make_client
from tests.conftest import NOW

TOKEN = re.compile(r"dlp_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}")


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = NOW.isoformat()


def add_form(department, **extra) -> dict:
    return {
        "name": "HR-systemet",
        "description": "Lønsystemets nattekørsel",
        "scopes": [Scope.PROGRAMME, Scope.REPORTS],
        "departments": [department.pk],
        "expires_at_0": "",
        "expires_at_1": "",
        **extra,
    }


def test_hr_sees_the_token_once_and_the_database_keeps_only_its_hash(
    client, hr, department_a, api_get
):
    client.force_login(hr)
    page = client.post(reverse("admin:api_apiclient_add"), add_form(department_a))
    assert page.status_code == 200
    shown = TOKEN.findall(page.content.decode())
    assert len(set(shown)) == 1
    token = shown[0]

    created = ApiClient.objects.get()
    assert created.created_by == hr
    assert created.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token.split("_")[1] == created.prefix
    # Not in any column of the row, read as the database holds it.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_apiclient")
        row = cursor.fetchall()
    assert token not in repr(row)
    assert token.split("_", 2)[2] not in repr(row)

    # Never shown again: not on the client's page, not on the list.
    for url in (
        reverse("admin:api_apiclient_change", args=[created.pk]),
        reverse("admin:api_apiclient_changelist"),
    ):
        again = client.get(url)
        assert again.status_code == 200
        assert TOKEN.findall(again.content.decode()) == []
    assert api_get("programmes", token).status_code == 200


def test_a_client_reads_some_departments_or_all_never_none(client, hr, department_a):
    client.force_login(hr)
    page = client.post(reverse("admin:api_apiclient_add"), add_form(department_a, departments=[]))
    assert page.status_code == 200
    assert "Vælg de afdelinger" in page.content.decode()
    assert not ApiClient.objects.exists()


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer not-a-token",
        "Basic dXNlcjpwYXNz",
        "Bearer dlp_00000000_" + "x" * 43,
    ],
    ids=["none", "empty", "garbage", "basic", "unknown"],
)
def test_without_a_valid_token_the_answer_is_401(client, programme, header):
    make_client()
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/api/v1/programmes", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"]


def test_a_token_with_the_right_prefix_and_a_wrong_secret_gets_401(programme, api_get):
    _client, token = make_client()
    assert api_get("programmes", token).status_code == 200
    assert api_get("programmes", token[:-4] + "AAAA").status_code == 401


def test_an_expired_token_gets_401(programme, api_get):
    _client, token = make_client(expires_at=NOW - dt.timedelta(minutes=1))
    assert api_get("programmes", token).status_code == 401
    _client, later = make_client("Later", expires_at=NOW + dt.timedelta(days=1))
    assert api_get("programmes", later).status_code == 200


def test_a_revoked_token_gets_401(programme, api_get):
    _client, token = make_client(revoked_at=NOW - dt.timedelta(days=1))
    assert api_get("programmes", token).status_code == 401


def test_hr_revokes_a_client_and_its_token_stops(client, hr, programme, api_get):
    api_client, token = make_client()
    assert api_get("programmes", token).status_code == 200
    client.force_login(hr)
    client.post(
        reverse("admin:api_apiclient_changelist"),
        {"action": "revoke", ACTION_CHECKBOX_NAME: [api_client.pk]},
    )
    api_client.refresh_from_db()
    assert api_client.revoked_at is not None
    assert api_get("programmes", token).status_code == 401


def test_a_new_token_replaces_the_old_one_and_is_shown_once(client, hr, programme, api_get):
    api_client, old = make_client()
    client.force_login(hr)
    page = client.post(
        reverse("admin:api_apiclient_changelist"),
        {"action": "new_token", ACTION_CHECKBOX_NAME: [api_client.pk]},
    )
    new = TOKEN.findall(page.content.decode())[0]
    assert new != old
    assert api_get("programmes", old).status_code == 401
    assert api_get("programmes", new).status_code == 200


def test_a_client_without_the_scope_gets_403(programme, api_get):
    _client, token = make_client(scopes=[Scope.PROGRAMME])
    assert api_get("programmes", token).status_code == 200
    for path in ("leaders", "attendance"):
        response = api_get(path, token)
        assert response.status_code == 403
        assert "scope" in response.json()["detail"]


def test_calls_over_the_limit_get_429_with_retry_after(settings, programme, api_get):
    settings.API_RATE_PER_MINUTE = 3
    api_client, token = make_client()
    assert [api_get("programmes", token).status_code for _ in range(3)] == [200] * 3
    refused = api_get("programmes", token)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "wait" in refused.json()["detail"]
    # Another client has a limit of its own.
    _other, other_token = make_client("Other")
    assert api_get("programmes", other_token).status_code == 200
    usage = ApiUsage.objects.get(client=api_client)
    assert (usage.calls, usage.refused) == (3, 1)


def test_every_call_is_counted_per_client_endpoint_and_day(programme, api_get):
    api_client, token = make_client()
    for _ in range(2):
        api_get("programmes", token)
    api_get("cohorts", token)
    api_get("leaders", token, cohort=999999)  # 404: counted all the same
    counted = {
        (row.endpoint, row.day, row.calls) for row in ApiUsage.objects.filter(client=api_client)
    }
    day = NOW.date()
    assert counted == {("programmes", day, 2), ("cohorts", day, 1), ("leaders", day, 1)}


def test_hr_reads_the_count_of_calls(client, hr, programme, api_get):
    _api_client, token = make_client()
    api_get("programmes", token)
    client.force_login(hr)
    page = client.get(reverse("admin:api_apiusage_changelist"))
    assert page.status_code == 200
    assert "programmes" in page.content.decode()


def test_no_answer_is_kept_by_a_browser_or_proxy(programme, api_get):
    _client, token = make_client()
    for response in (api_get("leaders", token), api_get("leaders", None)):
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]


def test_hr_reads_the_clients_in_danish(client, hr, programme):
    make_client(scopes=[Scope.REPORTS])
    client.force_login(hr)
    page = client.get(reverse("admin:api_apiclient_changelist")).content.decode()
    assert "Ledere og hvor langt de er" in page
    assert "Alle afdelinger" in page
    assert "reports:read" not in page
