"""Bounded input: no value in any form or URL parameter makes the portal answer 500.

Every URL in the access matrix (``tests/test_access_matrix.py``: the project's URLs,
the admin's lists and our import pages) is opened as a role that may use it; every
form on the page and every parameter its links use, plus the parameters our views
read, get over-long, NUL-byte, wrong-encoding and wrong-type values, sent to where
the form sends them. The test client raises a view's exception,
so a crash fails the test even before its status is looked at.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.test_access_matrix import (  # noqa: F401 - shared_world, world and import_preview are fixtures
    ADMIN_PAGES,
    EXPECTED,
    FOUND,
    OK,
    ROLES,
    admin_expected,
    admin_url_names,
    import_preview,
    shared_world,
    world,
)

LONG = "x" * 20_000
# Values that are not text a person can type, in their raw form for the request body.
JUNK: dict[str, object] = {
    "over-long": LONG,
    "nul-byte": "a\x00b",
    "wrong-type (several values)": ["1", "abc", LONG[:300]],
    "wrong-type (number-like)": "-1e309",
    "wrong-type (markup)": '"><script>alert(1)</script>{{ 7*7 }}',
    "wrong-encoding": b"\xff\xfe\xfd",
}
# Sent to each field on its own; all of JUNK goes to all fields at once.
ONE_FIELD_JUNK = ["over-long", "nul-byte", "wrong-encoding"]
# Parameters our views read that no form or link on the page shows.
READ_BY_VIEWS: dict[str, list[str]] = {
    "dashboard:cohort_list": ["page"],
    "dashboard:enrol": ["next"],
    "dashboard:cancel": ["next"],
    "dashboard:book_makeup": ["next"],
    "dashboard:cancel_makeup": ["next"],
    "reports:overview": ["programme", "department", "cohort", "status", "level", "sort"],
    "reports:department": ["programme", "cohort", "status", "level", "sort", "dialect"],
    "reports:export": ["programme", "department", "cohort", "status", "level", "sort", "dialect"],
    "managers:team": ["department", "status", "sort", "page"],
    "managers:export": ["department", "status", "sort", "dialect"],
    "managers:export_xlsx": ["department", "status", "sort"],
    "dashboard:renew_calendar_feed": ["from"],
    "login": ["next", "username", "password"],
    "logout": ["next"],
    "set_language": ["language", "next"],
    "password_reset": ["email"],
}
# Admin lists: their own parameters (search, order, page, popup, ...).
ADMIN_PARAMETERS = ["q", "o", "p", "e", "_popup", "_to_field", "_changelist_filters", "all"]


class Forms(HTMLParser):
    """Each form on a page (method, action, field names) and the parameters of its links."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.link_parameters: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "method": (attrs.get("method") or "get").lower(),
                    "action": attrs.get("action") or "",
                    "fields": set(),
                }
            )
        elif tag in ("input", "select", "textarea", "button") and self.forms and attrs.get("name"):
            if attrs["name"] != "csrfmiddlewaretoken":
                self.forms[-1]["fields"].add(attrs["name"])
        elif tag == "a" and attrs.get("href"):
            query = urlsplit(attrs["href"]).query
            self.link_parameters.update(name for name, _ in parse_qsl(query))


def encode(fields: set[str], value: object) -> str:
    """A form body or query string with ``value`` in every field, bytes kept as bytes."""
    pairs = []
    for name in sorted(fields):
        values = value if isinstance(value, list) else [value]
        for item in values:
            raw = item if isinstance(item, bytes) else str(item).encode("utf-8")
            pairs.append(f"{quote(name)}={quote(raw)}")
    return "&".join(pairs)


def send(client, method: str, path: str, fields: set[str], junk: str):
    value = JUNK[junk]
    body = encode(fields | {"unexpected"}, value)
    if method == "get":
        return client.get(path, QUERY_STRING=body)
    return client.generic(
        "POST", path, body.encode("ascii"), content_type="application/x-www-form-urlencoded"
    )


def send_file(client, method: str, path: str, fields: set[str]):
    """A file where text is expected (and text where a file is expected)."""
    data = {name: SimpleUploadedFile("x.bin", b"\x00\x01junk") for name in fields}
    if method == "get":
        return client.get(path, dict.fromkeys(fields, "not-a-file"))
    return client.post(path, data)


def role_for(expected: tuple) -> str:
    """The first role that may use the URL (gets the page or is redirected back).

    Signing out sends everyone to the sign-in page: a leader does it.
    """
    allowed = [role for role, status in zip(ROLES, expected, strict=True) if status in (OK, FOUND)]
    return allowed[0] if allowed else "leader"


def assert_no_server_error(response, what: str) -> None:
    assert response.status_code < 500, what


def exercise(client, user, method: str, path: str, declared: list[str]) -> None:
    """Send every kind of junk to the URL and to every form and link parameter on its page."""

    def sign_in():
        client.logout()
        if user is not None:
            client.force_login(user)

    sign_in()
    targets = [(method, path, set(declared))]
    if method == "get":
        page = client.get(path)
        assert_no_server_error(page, f"GET {path}")
        if page.get("Content-Type", "").startswith("text/html"):
            found = Forms()
            found.feed(page.content.decode("utf-8", errors="replace"))
            targets[0][2].update(found.link_parameters)
            for form in found.forms:
                action = urlsplit(form["action"]).path or path
                targets.append((form["method"], action, form["fields"]))
    # These change who is signed in (or the language): start each request afresh.
    changes_session = {reverse("logout"), reverse("login"), reverse("admin:login")}
    for target_method, target, fields in targets:
        # Every field on its own (one bad value must not hide behind another's refusal),
        # then all of them at once.
        for chosen in [{field} for field in sorted(fields)] + [fields]:
            for junk in JUNK if chosen is fields else ONE_FIELD_JUNK:
                if target in changes_session:
                    sign_in()
                response = send(client, target_method, target, chosen, junk)
                what = f"{target_method.upper()} {target} {sorted(chosen)} {junk}"
                assert_no_server_error(response, what)
        sign_in()
        response = send_file(client, target_method, target, fields)
        assert_no_server_error(response, f"{target_method.upper()} {target} file")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_value_in_any_form_or_parameter_gives_a_server_error(client, world, name):  # noqa: F811
    row = EXPECTED[name]
    role = role_for(row.expected)
    kwargs = row.kwargs(world) if row.kwargs else None
    path = reverse(name, kwargs=kwargs)
    exercise(client, world.users[role], row.method, path, READ_BY_VIEWS.get(name, []))


@pytest.mark.parametrize("name", sorted(n for n, row in EXPECTED.items() if row.kwargs))
def test_no_id_in_a_url_gives_a_server_error(client, world, name):  # noqa: F811
    """Ids out of any column's range, zero, and junk where the route takes text."""
    row = EXPECTED[name]
    user = world.users[role_for(row.expected)]
    if user is not None:
        client.force_login(user)
    for junk in (10**30, 2**63, 0):
        kwargs = dict.fromkeys(row.kwargs(world), junk)
        response = getattr(client, row.method)(reverse(name, kwargs=kwargs))
        assert_no_server_error(response, f"{name} {junk}")


@pytest.mark.parametrize("name", admin_url_names())
def test_no_value_in_an_admin_list_gives_a_server_error(client, world, name):  # noqa: F811
    role = "superuser" if admin_expected(name, "hr") != OK else "hr"
    exercise(client, world.users[role], "get", reverse(name), ADMIN_PARAMETERS)


@pytest.mark.parametrize("name", sorted(ADMIN_PAGES))
def test_no_value_in_the_import_pages_gives_a_server_error(client, import_preview, name):  # noqa: F811
    row = ADMIN_PAGES[name]
    path = reverse(name, kwargs=row.kwargs(import_preview) if row.kwargs else None)
    hr = import_preview.users["hr"]
    exercise(client, hr, row.method, path, ["show", "page", "import_file"])
