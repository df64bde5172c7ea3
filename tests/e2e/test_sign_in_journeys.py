"""Getting in, in a real browser: an invitation's link, and the work account through a real
OpenID Connect provider (oidc-provider-mock on 127.0.0.1). The new pages pass axe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from hr import import_jobs
from hr.import_views import REFRESH_SECONDS
from programme.models import Leader, User
from tests.conftest import queued
from tests.e2e.conftest import da
from tests.e2e.test_accessibility import check_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Ny-adgangskode-2016"
# How long an import's status page waits before it asks again (milliseconds).
REFRESH = REFRESH_SECONDS * 1000
SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "sample-leaders.csv"


def test_hr_imports_the_sample_with_invitations_and_a_new_leader_gets_in(
    demo_world, page, page_for, live_server, settings
):
    """The sample file through HR's import with invitations on: one invitation per new
    leader in the outbox; one of them follows the link, chooses a password, signs in."""
    settings.PORTAL_URL = live_server.url
    hr = page_for(demo_world.hr)
    hr.clock.install()  # the status pages' timers, moved on by the test (see below)
    known = set(Leader.objects.values_list("employee_number", flat=True))
    hr.goto(live_server.url + reverse("admin:programme_leader_import"))
    hr.set_input_files("input[type=file]", str(SAMPLE))
    with hr.expect_navigation():
        hr.get_by_role("button", name=da("Check the file")).click()
    # The check's status page: the import worker reads and checks the file, and the page
    # notices by itself (js/import-job.js) and leads to the preview.
    status = hr.get_by_role("status")
    expect(status).to_contain_text(da("file waiting to be checked"))
    assert check_page(hr, "import-check-waiting") == []
    assert import_jobs.run_pending() == 1
    # The page asks again after a few seconds, by its own timer: moved on at once here.
    hr.clock.fast_forward(REFRESH)
    to_preview = status.get_by_role("link", name=da("See the preview and confirm the import"))
    expect(to_preview).to_be_visible(timeout=15_000)
    assert check_page(hr, "import-check-done") == []
    with hr.expect_navigation():
        to_preview.click()
    hr.check("#id_send_invitations")
    with hr.expect_navigation():
        hr.get_by_role("button", name=da("Confirm import")).click()
    # The import's status page: waiting for the import worker, which writes it here; the
    # page notices by itself and says what was written.
    status = hr.get_by_role("status")
    expect(status).to_contain_text(da("waiting to start"))
    assert check_page(hr, "import-job-waiting") == []
    assert import_jobs.run_pending() == 1
    hr.clock.fast_forward(REFRESH)
    expect(status).to_contain_text(da("done"), timeout=15_000)
    expect(status).to_contain_text("7 " + da("new leaders"))
    new = Leader.objects.exclude(employee_number__in=known).select_related("user")
    assert new.count() == 7
    invited = {e.to[0]: e for e in queued() if "/accounts/invitation/" in e.message}
    assert set(invited) == {leader.user.email for leader in new}

    leader = new.order_by("employee_number").first()
    link = re.search(r"(http://\S+/accounts/invitation/\S+/)", invited[leader.user.email].message)
    page.goto(link.group(1))
    assert page.locator("h1").inner_text() == da("Choose your password")
    assert check_page(page, "invitation-confirm") == []
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    with page.expect_navigation():
        page.locator("main form [type=submit]").click()
    assert page.locator("h1").inner_text() == da("Your password is saved")
    with page.expect_navigation():
        page.locator("main a.btn").click()
    page.fill("#id_username", leader.user.email)
    page.fill("#id_password", NEW_PASSWORD)
    with page.expect_navigation():
        page.locator("main form [type=submit]").click()
    assert page.url == live_server.url + "/"
    assert page.locator("h1").inner_text() == da("My progress")


def test_hr_sees_a_refused_files_problems_on_its_check_page_without_reloading(
    world, page_for, live_server, tmp_path
):
    """The check's page swaps in the reason and the table of problems by itself."""
    bad = tmp_path / "ledere.csv"
    bad.write_text(
        "Medarbejdernummer;Navn;E-mail;Stilling;Ledelsesniveau;Afdeling\r\n"
        "3001;Anne Holm;ikke-en-adresse;;Teamleder;ØKS\r\n",
        encoding="utf-8",
    )
    hr = page_for(world.hr)
    hr.clock.install()
    hr.goto(live_server.url + reverse("admin:programme_leader_import"))
    hr.set_input_files("input[type=file]", str(bad))
    with hr.expect_navigation():
        hr.get_by_role("button", name=da("Check the file")).click()
    expect(hr.get_by_role("status")).to_contain_text(da("file waiting to be checked"))
    assert import_jobs.run_pending() == 1
    hr.clock.fast_forward(REFRESH)
    expect(hr.get_by_role("status")).to_contain_text(da("not imported"), timeout=15_000)
    problems = hr.get_by_role("table", name=da("Problems by line and column"))
    expect(problems).to_contain_text("ikke-en-adresse")
    assert check_page(hr, "import-check-refused") == []


def test_a_leader_signs_in_with_the_work_account_through_the_provider(
    world, page, live_server, sso
):
    leader = world.colleague
    sso.add_person(
        "aase-sub", email=leader.user.email.upper(), email_verified=True, employee_number=""
    )
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == da("Sign in")
    assert check_page(page, "sign-in-with-work-account") == []
    with page.expect_navigation():
        page.get_by_role("link", name=da("Sign in with your work account")).click()
    assert page.url.startswith(sso.url)
    page.get_by_placeholder("sub").fill("aase-sub")
    with page.expect_navigation(url=re.compile(re.escape(live_server.url))):
        page.get_by_role("button", name="Authorize").click()
    assert page.url == live_server.url + "/"
    assert page.locator("h1").inner_text() == da("My progress")


def test_someone_the_portal_does_not_know_is_refused_in_danish_and_no_user_is_made(
    world, page, live_server, sso
):
    users = User.objects.count()
    sso.add_person("stranger-sub", email="fremmed@albertslund.dk", email_verified=True)
    page.goto(live_server.url + "/accounts/login/")
    with page.expect_navigation():
        page.get_by_role("link", name=da("Sign in with your work account")).click()
    page.get_by_placeholder("sub").fill("stranger-sub")
    with page.expect_navigation(url=re.compile(re.escape(live_server.url))):
        page.get_by_role("button", name="Authorize").click()
    assert page.locator("h1").inner_text() == da("Your work account is not in the portal")
    assert "hr@albertslund.dk" in page.locator("main").inner_text()
    assert check_page(page, "sso-refused") == []
    assert User.objects.count() == users


@pytest.fixture
def provider_with_its_own_session(world, live_server, settings, tmp_path):
    """django-oauth-toolkit's OpenID provider, as an IT department runs one: PKCE
    enforced, a login session of its own, end_session_endpoint (RP-initiated logout)."""
    from tests.identity_provider import CLIENT_ID, TOOLKIT_CLIENT_SECRET, running_toolkit_provider

    people = {
        "soeren": {
            "password": "provider-passw0rd",
            "claims": {"email": world.leader.user.email, "email_verified": True},
        }
    }
    with running_toolkit_provider(people, portal_url=live_server.url, tmp_dir=tmp_path) as idp:
        settings.PORTAL_URL = live_server.url
        settings.OIDC_ISSUER = idp.url
        settings.OIDC_RP_CLIENT_ID = CLIENT_ID
        settings.OIDC_RP_CLIENT_SECRET = TOOLKIT_CLIENT_SECRET
        settings.OIDC_EMPLOYEE_NUMBER_CLAIM = ""
        settings.SSO_ENABLED = True
        yield idp


def test_signing_out_ends_the_providers_session_too_so_the_next_person_must_sign_in(
    world, page, live_server, provider_with_its_own_session
):
    """Repro (issue 22): "Log ud" answered with a redirect to the provider's
    end_session_endpoint, and Chromium blocked it (CSP form-action 'self'): the
    provider's session lived on, and on a shared PC the next person pressing the
    work-account button was the previous leader, without a password."""
    idp = provider_with_its_own_session
    page.goto(live_server.url + "/accounts/login/")
    with page.expect_navigation():
        page.get_by_role("link", name=da("Sign in with your work account")).click()
    assert page.url.startswith(idp.url)
    page.get_by_label("Username").fill("soeren")
    page.get_by_label("Password").fill("provider-passw0rd")
    with page.expect_navigation(url=live_server.url + "/"):
        page.get_by_role("button", name="Sign in at the provider").click()
    assert page.locator("h1").inner_text() == da("My progress")

    with page.expect_navigation(url=re.compile(re.escape(live_server.url + "/accounts/login/"))):
        page.get_by_role("button", name=da("Sign out")).click()
    assert page.locator("h1").inner_text() == da("Sign in")

    with page.expect_navigation():
        page.get_by_role("link", name=da("Sign in with your work account")).click()
    assert page.url.startswith(idp.url), page.url
    assert page.locator("h1").inner_text() == "Test provider: sign in"
