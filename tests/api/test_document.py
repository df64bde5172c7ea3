"""The OpenAPI document is generated from the code and served live, and its page is a
page of the portal: readable with no script, under the Content-Security-Policy."""

from __future__ import annotations

from django.urls import reverse

from tests.test_csp import EVENT_HANDLER, INLINE_SCRIPT, STYLE_ATTRIBUTE

PATHS = {"/api/v1/programmes", "/api/v1/cohorts", "/api/v1/sessions", "/api/v1/leaders"}
PATHS |= {"/api/v1/attendance"}


def test_the_openapi_document_describes_every_endpoint(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == PATHS
    for path in PATHS:
        operation = document["paths"][path]["get"]
        assert {"200", "401", "403", "429"} <= set(operation["responses"])
        assert operation["security"]
    leaders = document["paths"]["/api/v1/leaders"]["get"]
    names = {parameter["name"] for parameter in leaders["parameters"]}
    assert {"department", "area", "cohort", "updated_since", "cursor", "limit"} <= names
    assert document["components"]["securitySchemes"]


def test_the_documentation_page_is_readable_without_scripts(client, db):
    response = client.get(reverse("api:openapi-view"))
    assert response.status_code == 200
    assert "default-src 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    assert INLINE_SCRIPT.findall(html) == []
    assert STYLE_ATTRIBUTE.findall(html) == []
    assert EVENT_HANDLER.findall(html) == []
    assert "API-dokumentation" in html
    for path in PATHS:
        assert path in html
    assert "/api/v1/openapi.json" in html
    assert "swagger" not in html.lower()
