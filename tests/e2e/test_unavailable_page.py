"""The 503 page for a database that cannot be reached, checked as the browser gets it:
axe at both widths and the Nu HTML checker, for a page and for a booking.

It cannot be reached on purpose through the live server (the browser's own requests
would need the database to sign in), so it is rendered as ``portal.middleware``
renders it when the database is away (without the header), on the portal's origin.
"""

from __future__ import annotations

import os

import pytest
from axe_playwright_python.base import AxeResults
from axe_playwright_python.sync_playwright import Axe
from django.template.loader import render_to_string
from django.urls import reverse

from portal.context_processors import hr_contact
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.test_accessibility import axe_report
from tests.e2e.test_crawl import AXE_RUN, java_missing_reason, nu_errors

pytestmark = pytest.mark.e2e

VARIANTS = {
    "page": {"unavailable": True},
    "booking": {"unavailable": True, "sent": True, "booking": True},
}


@pytest.mark.django_db(transaction=True)
def test_the_unavailable_page_passes_axe_and_the_nu_html_checker(page, live_server, tmp_path):
    reason = java_missing_reason()
    if reason is not None:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    axe = Axe()
    problems, files = {}, {}
    for name, context in VARIANTS.items():
        html = render_to_string(
            "503.html", {**context, **hr_contact(None), "programme_name": "Digital ledelse"}
        )
        assert "Portalen kan ikke bruges lige nu" in html
        files[tmp_path / f"{name}.html"] = name
        (tmp_path / f"{name}.html").write_text(html)
        page.goto(live_server.url + reverse("accessibility"))  # the origin of its styles
        page.set_content(html)
        page.evaluate(axe.axe_script)
        for size in (DESKTOP, PHONE):
            page.set_viewport_size(size)
            result = AxeResults(page.evaluate(AXE_RUN))
            if result.violations_count:
                problems.setdefault(name, []).append(axe_report(result))
    for name, errors in nu_errors(files).items():
        problems.setdefault(name, []).extend(errors)
    assert problems == {}, problems
