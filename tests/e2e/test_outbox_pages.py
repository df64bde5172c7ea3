"""HR's outbox pages in a real browser: axe (WCAG 2.1 A and AA) at both widths, the Nu HTML
checker, and no English, for e-mails that were sent, are waiting and failed - as the
crawl (test_crawl.py) checks every page, here with outbox rows it may not have.
"""

from __future__ import annotations

import os

import pytest
from axe_playwright_python.base import AxeResults
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from tests.e2e.conftest import DESKTOP, PHONE, session_cookie
from tests.e2e.test_accessibility import axe_report
from tests.e2e.test_crawl import AXE_RUN, PAGE_TEXT, english_in, java_missing_reason, nu_errors
from tests.hr.test_outbox_admin import make_emails

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_outbox_pages_pass_axe_and_the_nu_html_checker_in_danish(
    settings, hr, leader, colleague, cohort, context, page, live_server, tmp_path
):
    reason = java_missing_reason()
    if reason is not None:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    settings.PORTAL_CLOCK = "2016-01-20T10:00"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    emails = make_emails(leader, colleague, cohort)
    pages = [reverse("admin:post_office_email_changelist")] + [
        reverse("admin:post_office_email_change", args=[email.pk]) for email in emails.values()
    ]
    axe = Axe()
    problems: dict[str, list[str]] = {}
    html_files = {}
    # As HR, who works there (a superuser's pages add only the delete link).
    context.add_cookies([session_cookie(hr, live_server)])
    for index, path in enumerate(pages):
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        html_file = tmp_path / f"{index}.html"
        html_file.write_text(response.text())  # as the server sent it
        html_files[html_file] = path
        if english := english_in(page.evaluate(PAGE_TEXT)):
            problems.setdefault(path, []).append("English: " + "; ".join(english))
        page.evaluate(axe.axe_script)
        for size in (DESKTOP, PHONE):
            page.set_viewport_size(size)
            result = AxeResults(page.evaluate(AXE_RUN))
            if result.violations_count:
                problems.setdefault(path, []).append(
                    f"axe at {size['width']} px:\n{axe_report(result)}"
                )
        page.set_viewport_size(DESKTOP)
    for name, errors in nu_errors(html_files).items():
        problems.setdefault(name, []).append("Nu HTML checker:\n- " + "\n- ".join(errors))
    report = "\n\n".join(f"{name}:\n" + "\n".join(found) for name, found in problems.items())
    assert problems == {}, report
