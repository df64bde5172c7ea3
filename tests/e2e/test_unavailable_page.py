"""The 503 page for a database that cannot be reached, checked as the browser gets it:
axe at both widths and the Nu HTML checker, for a page, a booking and a saved form.

It cannot be reached on purpose through the live server (the browser's own requests
would need the database to sign in), so it is rendered as ``portal.middleware``
renders it when even the page's header cannot be read, on the portal's origin.
"""

from __future__ import annotations

import os

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from programme.context_processors import hr_contact

from .test_accessibility import check_page
from .test_crawl import java_missing_reason, nu_errors

pytestmark = pytest.mark.e2e

VARIANTS = {
    "page": {"unavailable": True},
    "booking": {"unavailable": True, "sent": True, "booking": True},
    "saved form": {"unavailable": True, "sent": True},
}


@pytest.mark.django_db(transaction=True)
def test_the_unavailable_page_passes_axe_and_the_nu_html_checker(page, live_server, tmp_path):
    reason = java_missing_reason()
    if reason is not None:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    problems, files = {}, {}
    for name, context in VARIANTS.items():
        html = render_to_string(
            "503.html", {**context, **hr_contact(None), "programme_name": "Digital ledelse"}
        )
        assert "Portalen kan ikke bruges lige nu" in html
        files[tmp_path / f"{name.replace(' ', '-')}.html"] = name
        (tmp_path / f"{name.replace(' ', '-')}.html").write_text(html)
        page.goto(live_server.url + reverse("accessibility"))
        page.set_content(html)
        if found := check_page(page, f"503-unavailable-{name.replace(' ', '-')}"):
            problems[name] = found
    for name, errors in nu_errors(files).items():
        problems.setdefault(name, []).extend(errors)
    assert problems == {}, problems
