"""API clients for the API's tests: made as HR's admin makes them (``api.tokens.issue``)."""

from __future__ import annotations

import datetime as dt

import pytest

from api import tokens
from api.models import ApiClient, Scope
from programme.models import Department

ALL_SCOPES = [Scope.PROGRAMME, Scope.REPORTS, Scope.ATTENDANCE]


def make_client(
    name: str = "BI",
    scopes: list[str] | None = None,
    departments: list[Department] | None = None,
    *,
    expires_at: dt.datetime | None = None,
    revoked_at: dt.datetime | None = None,
) -> tuple[ApiClient, str]:
    """A client and its token; all departments unless ``departments`` are given."""
    client = ApiClient(
        name=name,
        scopes=list(ALL_SCOPES if scopes is None else scopes),
        all_departments=departments is None,
        expires_at=expires_at,
        revoked_at=revoked_at,
    )
    token = tokens.issue(client)
    client.save()
    if departments:
        client.departments.set(departments)
    return client, token


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def api_get(client):
    """GET an API path with a token: the response's status and JSON."""

    def get(path: str, token: str | None, **params):
        headers = bearer(token) if token is not None else {}
        return client.get(f"/api/v1/{path}", params, **headers)

    return get
