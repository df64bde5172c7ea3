"""No value in any path parameter of any URL makes the portal answer 500, for anyone.

Every URL pattern of the project (``get_resolver().url_patterns``, walked to the end:
ours, the admin's, django-simple-history's and the other apps') gets, in each of its
path parameters in turn, a NUL, 10,000 characters, right-to-left marks and
non-numbers, while its other parameters hold "1"; each address is requested with GET
and POST by an anonymous visitor, a leader, a manager, HR, a facilitator and a
superuser. The outside tester's two 500s are named tests of their own below.

Path parameters are screened in one place (``portal.middleware.BadInputMiddleware``,
``process_view``): what no address of ours holds answers 404.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from programme.models import Facilitator, Leader
from tests.conftest import make_user

SLOT = "\x01"
ROUTE_PARAMETER = re.compile(r"<[^>]+>")
REGEX_GROUP = re.compile(r"\((?:\?P<\w+>)?[^()]*\)")
JUNK = {
    "NUL": "1\x00",
    "10,000 characters": "x" * 10_000,
    "right-to-left marks": "\u202e1\u200f",
    "not a number": "abc",
}


def templates(patterns=None, prefix: str = "") -> list[tuple[str, URLPattern]]:
    """Every URL pattern as a path, with SLOT where each path parameter goes."""
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        own = _template(entry.pattern)
        if isinstance(entry, URLResolver):
            found += templates(entry.url_patterns, prefix + own)
        elif isinstance(entry, URLPattern):
            found.append((prefix + own, entry))
    return found


def _template(pattern) -> str:
    text = str(pattern)
    if not hasattr(pattern, "regex") or not text.startswith("^") and "(" not in text:
        return ROUTE_PARAMETER.sub(SLOT, text)
    text = REGEX_GROUP.sub(SLOT, text.removeprefix("^").removesuffix("$"))
    assert not set(text) & set("()[]\\^$*+?|"), f"a pattern this test cannot fill: {pattern}"
    return text


ADMIN_MODEL = re.compile(r"^admin/\w+/\w+/")


def shape(template: str, pattern: URLPattern) -> tuple:
    """Django's admin gives every model the same pages (change, delete, history, ...):
    they are one shape per view and per kind of primary key, so a model admin of ours
    that changes a page (its own ``change_view``) is a shape of its own. Every other
    pattern is a shape by itself."""
    model_admin = getattr(pattern.callback, "model_admin", None)
    if model_admin is None or not ADMIN_MODEL.match(template):
        return (template,)
    return (
        ADMIN_MODEL.sub("admin/*/*/", template),
        pattern.callback.__qualname__,
        type(model_admin.model._meta.pk).__name__,
    )


def addresses() -> list[tuple[str, str]]:
    """(what, path) for each parameter of each pattern's shape and each kind of junk."""
    found, shapes = [], set()
    for template, pattern in sorted(templates(), key=lambda found: found[0]):
        slots = template.count(SLOT)
        if not slots or shape(template, pattern) in shapes:
            continue
        shapes.add(shape(template, pattern))
        for index in range(slots):
            for what, junk in JUNK.items():
                values = ["1"] * slots
                values[index] = quote(junk, safe="")
                pieces = template.split(SLOT)
                path = pieces[0] + "".join(
                    v + rest for v, rest in zip(values, pieces[1:], strict=True)
                )
                found.append((f"{template!r} parameter {index + 1}: {what}", "/" + path))
    return found


@pytest.fixture
def people(leader, manager_a, hr, superuser, cohort):
    facilitator = Facilitator.objects.create(name="Lene Holm", user=make_user("lene@ab.dk"))
    cohort.sessions.update(facilitator=facilitator)
    return {
        "anonymous": None,
        "leader": leader.user,
        "manager": manager_a,
        "hr": hr,
        "facilitator": facilitator.user,
        "superuser": superuser,
    }


def test_every_pattern_with_a_path_parameter_is_fuzzed():
    """The walk reaches ours, the admin's and django-simple-history's patterns."""
    walked = {template for template, _ in templates()}
    for expected in (
        f"verify/{SLOT}/",
        f"cohorts/{SLOT}/enrol/",
        f"accounts/invitation/{SLOT}/{SLOT}/",
        f"admin/programme/leader/{SLOT}/history/{SLOT}/",
        f"admin/programme/leader/{SLOT}/change/",
        f"admin/post_office/email/{SLOT}/send-again/",
        f"admin/r/{SLOT}/{SLOT}/",
        f"admin/{SLOT}",
    ):
        assert expected in walked, expected
    fuzzed = {what.split(" parameter")[0] for what, _ in addresses()}
    assert "'admin/programme/leader/\\x01/history/\\x01/'" in fuzzed
    assert "'admin/post_office/email/\\x01/change/'" in fuzzed  # its own change_view
    assert len(fuzzed) > 40


@pytest.mark.parametrize(
    "role", ["anonymous", "leader", "manager", "hr", "facilitator", "superuser"]
)
def test_no_path_parameter_gives_a_server_error(people, role):
    client = Client(raise_request_exception=False)
    if people[role] is not None:
        client.force_login(people[role])
    errors = []
    for what, path in addresses():
        for method in (client.get, client.post):
            response = method(path)
            if response.status_code >= 500:
                errors.append(
                    f"{method.__name__.upper()} {path[:120]} ({what}): {response.status_code}"
                )
    assert errors == [], f"{len(errors)} server errors as {role}:\n" + "\n".join(errors[:40])


# --- The outside tester's two ---------------------------------------------------------


def test_a_nul_in_the_certificate_check_address_is_not_found(client, db):
    """Public, no sign-in: PostgreSQL refused to compare the code (DataError, 500)."""
    response = client.get("/verify/%00/")
    assert response.status_code == 404
    assert "Siden findes ikke" in response.text


def test_a_revision_that_is_not_a_number_is_not_found(client, superuser, leader):
    """simple-history's revision page converted "abc" with int() (ValueError, 500)."""
    client.force_login(superuser)
    revision = leader.history.latest().history_id
    url = reverse("admin:programme_leader_simple_history", args=[leader.pk, revision])
    assert client.get(url).status_code == 200
    response = client.get(f"/admin/programme/leader/{leader.pk}/history/abc/")
    assert response.status_code == 404
    response = client.get(f"/admin/programme/leader/abc/history/{revision}/")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "value",
    ["\u202eDL-2016", "DL\u200f2016", "DL\t2016", "D" * 1001],
    ids=["right-to-left override", "right-to-left mark", "tab", "1,001 characters"],
)
def test_an_address_no_certificate_can_have_is_not_found(client, db, value):
    assert client.get(f"/verify/{quote(value, safe='')}/").status_code == 404


def test_the_screen_lets_every_real_address_through(client, superuser, leader):
    client.force_login(superuser)
    for url in (
        reverse("admin:programme_leader_change", args=[leader.pk]),
        reverse("admin:programme_leader_history", args=[leader.pk]),
        reverse("admin:programme_user_change", args=[leader.user.pk]),
        reverse("admin:auth_user_password_change", args=[leader.user.pk]),
    ):
        assert client.get(url).status_code == 200, url
    assert Leader.objects.count() == 1
