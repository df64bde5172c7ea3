"""Single sign-on through a real OpenID Connect provider (oidc-provider-mock on 127.0.0.1).

The portal's test client plays the browser on the portal's side; ``requests`` plays it
at the provider (its sign-in form). Nothing in mozilla-django-oidc is mocked: the
discovery document, the token exchange and the ID token's signature are real.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import socket
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from axes.models import AccessAttempt
from django.urls import reverse

from portal.middleware import LAST_SEEN_AT
from programme.models import User
from tests.conftest import PASSWORD, make_user


def start(client, next_url: str = "") -> str:
    """Press the work-account button; returns where the portal sends the browser."""
    url = reverse("sso_start") + (f"?next={next_url}" if next_url else "")
    response = client.get(url)
    assert response.status_code == 302
    return response["Location"]


def authorize_at_provider(authorize_url: str, sub: str) -> str:
    """Sign in at the provider's form as ``sub``; returns the callback path with code and state."""
    response = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["Location"])
    assert location.path == reverse("sso_callback")
    return f"{location.path}?{location.query}"


def sign_in(client, provider, sub: str, **claims):
    """The provider vouches for the e-mail address unless a test says otherwise."""
    if "email" in claims:
        claims.setdefault("email_verified", True)
    provider.add_person(sub, **claims)
    return client.get(authorize_at_provider(start(client), sub))


def signed_in_user(client):
    return client.get(reverse("privacy:my_data")).wsgi_request.user


def test_a_leader_signs_in_with_the_e_mail_in_another_case_and_lands_on_the_dashboard(
    client, sso, leader
):
    response = sign_in(client, sso, "sub-soeren", email="SOEREN@Albertslund.DK")
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:dashboard")
    assert client.get("/").context["user"] == leader.user


def test_the_employee_number_claim_finds_the_leader_whatever_the_e_mail(client, sso, leader):
    sign_in(client, sso, "sub-1001", email="s.aerboe@nyt-domaene.dk", employee_number="1001")
    assert signed_in_user(client) == leader.user


def test_an_unknown_person_is_refused_with_the_danish_page_and_no_user_is_made(client, sso, leader):
    users = User.objects.count()
    response = sign_in(client, sso, "sub-ukendt", email="ukendt@albertslund.dk")
    assert response.status_code == 403
    assert "Din arbejdskonto er ikke i portalen" in response.text
    assert "HR-udvikling" in response.text and "hr@albertslund.dk" in response.text
    assert "43 68 68 68" in response.text
    assert User.objects.count() == users
    assert not signed_in_user(client).is_authenticated


def test_a_leader_who_has_left_is_refused(client, sso, leader, now):
    leader.left_on = dt.date.today() - dt.timedelta(days=1)
    leader.save()
    response = sign_in(client, sso, "sub-left", email=leader.user.email, employee_number="1001")
    assert response.status_code == 403
    assert "Din adgang til portalen er ophørt" in response.text
    assert not signed_in_user(client).is_authenticated


def test_an_anonymised_leader_is_refused(client, sso, leader):
    from accounts.privacy import anonymise_leader

    leader.left_on = dt.date(2015, 12, 1)
    leader.save()
    anonymise_leader(leader)
    response = sign_in(client, sso, "sub-anon", employee_number="1001", email="x@y.dk")
    assert response.status_code == 403
    assert not signed_in_user(client).is_authenticated


def test_hr_staff_without_a_leader_record_sign_in_with_their_existing_login(client, sso, hr):
    sign_in(client, sso, "sub-hr", email="HR@albertslund.dk")
    assert signed_in_user(client) == hr


def test_a_tampered_state_is_refused(client, sso, leader):
    sso.add_person("sub-state", email=leader.user.email, email_verified=True)
    callback = authorize_at_provider(start(client), "sub-state")
    path, query = callback.split("?")
    params = {k: v[0] for k, v in parse_qs(query).items()}
    params["state"] = params["state"][:-1] + ("A" if params["state"][-1] != "A" else "B")
    response = client.get(path, params)
    assert response.status_code == 400
    assert "Log ind med din arbejdskonto mislykkedes" in response.text
    assert not signed_in_user(client).is_authenticated


def test_a_nonce_that_does_not_match_is_refused(client, sso, leader):
    sso.add_person("sub-nonce", email=leader.user.email, email_verified=True)
    callback = authorize_at_provider(start(client), "sub-nonce")
    session = client.session
    states = session["oidc_states"]
    for entry in states.values():
        entry["nonce"] = "not-the-nonce-the-provider-put-in-the-token"
    session["oidc_states"] = states
    session.save()
    response = client.get(callback)
    assert response.status_code == 400
    assert not signed_in_user(client).is_authenticated


def test_pkce_state_and_nonce_go_to_the_provider(client, sso, leader):
    sign_in(client, sso, "sub-pkce", email=leader.user.email)
    (authorize,) = [p for p in sso.received("/oauth2/authorize") if "code_challenge" in p][:1]
    (token,) = sso.received("/oauth2/token")
    assert authorize["code_challenge_method"] == "S256"
    digest = hashlib.sha256(token["code_verifier"].encode("ascii")).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == authorize["code_challenge"]
    assert len(authorize["state"]) >= 32 and len(authorize["nonce"]) >= 32
    assert signed_in_user(client) == leader.user


def test_a_blocked_account_is_blocked_through_the_provider_too(client, sso, leader, settings):
    AccessAttempt.objects.create(
        username=leader.user.email,
        ip_address="127.0.0.1",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
    )
    response = sign_in(client, sso, "sub-blocked", email=leader.user.email)
    assert response.status_code == 429
    assert "Log ind er spærret i en time" in response.text
    assert not signed_in_user(client).is_authenticated


def test_refused_sign_ins_count_towards_the_block(client, sso, db, settings):
    sso.add_person("sub-guess", email="gaet@albertslund.dk", email_verified=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.get(authorize_at_provider(start(client), "sub-guess"))
    assert AccessAttempt.objects.get(username="gaet@albertslund.dk").failures_since_start == (
        settings.AXES_FAILURE_LIMIT
    )


def test_a_session_from_the_provider_ends_after_half_an_hour_idle(client, sso, leader):
    sign_in(client, sso, "sub-idle", email=leader.user.email)
    assert client.get(reverse("privacy:my_data")).status_code == 200
    session = client.session
    session[LAST_SEEN_AT] = int(time.time()) - 31 * 60
    session.save()
    response = client.get(reverse("privacy:my_data"))
    assert response["Location"].startswith(reverse("login"))


def test_signing_out_ends_the_session_at_the_provider_too(client, sso, leader, settings):
    sign_in(client, sso, "sub-out", email=leader.user.email)
    response = client.post(reverse("logout"))
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}" == sso.url
    assert target.path == "/oauth2/end_session"
    params = parse_qs(target.query)
    assert params["post_logout_redirect_uri"] == [settings.PORTAL_URL + reverse("login")]
    assert params["id_token_hint"][0].count(".") == 2  # the ID token the provider issued
    assert not signed_in_user(client).is_authenticated


def test_the_sign_in_page_leads_with_the_work_account(client, sso, settings, db):
    page = client.get(reverse("login"))
    assert "Log ind med din arbejdskonto" in page.text
    assert reverse("sso_start") in page.text
    assert "Har du glemt din adgangskode?" in page.text  # password sign-in stays on
    settings.SSO_BUTTON_LABEL = "Log ind med Albertslund-konto"
    assert "Log ind med Albertslund-konto" in client.get(reverse("login")).text


def test_with_password_sign_in_off_only_superusers_use_a_password(
    client, sso, settings, leader, superuser
):
    settings.PASSWORD_SIGN_IN = False
    response = client.post(reverse("login"), {"username": leader.user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "Log ind med din arbejdskonto" in response.text
    assert not signed_in_user(client).is_authenticated
    response = client.post(reverse("login"), {"username": superuser.email, "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in_user(client) == superuser


def test_without_single_sign_on_its_addresses_are_not_there(client, db):
    assert client.get(reverse("sso_start")).status_code == 404
    assert client.get(reverse("sso_callback")).status_code == 404


def test_an_inactive_login_without_a_leader_is_refused(client, sso, db):
    make_user("vikar@albertslund.dk", is_active=False)
    response = sign_in(client, sso, "sub-vikar", email="vikar@albertslund.dk")
    assert response.status_code == 403


@pytest.mark.parametrize("claims", [{}, {"name": "Ingen E-mail"}])
def test_claims_without_e_mail_or_employee_number_are_refused(client, sso, db, claims):
    response = sign_in(client, sso, "sub-empty", **claims)
    assert response.status_code in (400, 403)
    assert not signed_in_user(client).is_authenticated


def test_a_provider_that_does_not_answer_gives_a_try_again_page(client, sso, settings, db):
    with socket.socket() as s:  # a port on which nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.OIDC_ISSUER = f"http://127.0.0.1:{port}"
    settings.OIDC_TIMEOUT = 2
    response = client.get(reverse("sso_start"))
    assert response.status_code == 503
    assert "Log ind-tjenesten svarer ikke" in response.text
    assert client.get(reverse("login")).status_code == 200  # password sign-in unaffected


def test_an_employee_number_the_portal_does_not_know_is_refused_even_with_a_leaders_e_mail(
    client, sso, leader
):
    # The number identifies the person; a leader's e-mail on someone else's number is
    # not enough (an address can be reused). HR corrects the number, then it works.
    response = sign_in(
        client, sso, "sub-other-number", email=leader.user.email, employee_number="9999"
    )
    assert response.status_code == 403
    assert not signed_in_user(client).is_authenticated


# -- Issue 22: what an IT department's provider does ---------------------------------


def test_an_address_the_provider_has_not_verified_matches_nobody(client, sso, hr, leader):
    """Repro: a provider account with email=hr@albertslund.dk, email_verified=false
    signed in as HR (a staff account)."""
    for sub, email in (("sub-fake-hr", hr.email), ("sub-fake-leader", leader.user.email)):
        response = sign_in(client, sso, sub, email=email, email_verified=False)
        assert response.status_code == 403
        assert "Log ind-tjenesten har ikke bekræftet din e-mailadresse" in response.text
        assert not signed_in_user(client).is_authenticated
    response = sign_in(client, sso, "sub-no-claim", email=hr.email, email_verified=None)
    assert response.status_code == 403


def test_a_provider_that_never_says_can_be_trusted_by_setting(client, sso, hr, settings):
    settings.OIDC_EMAIL_VERIFIED_CLAIM = ""
    sign_in(client, sso, "sub-hr-plain", email=hr.email, email_verified=None)
    assert signed_in_user(client) == hr


def test_entra_ids_domain_verified_claim_can_stand_for_email_verified(client, sso, hr, settings):
    settings.OIDC_EMAIL_VERIFIED_CLAIM = "xms_edov"
    sign_in(client, sso, "sub-entra", email=hr.email, email_verified=None, xms_edov=True)
    assert signed_in_user(client) == hr


def test_the_employee_number_needs_no_verified_address(client, sso, leader):
    sign_in(client, sso, "sub-number", email="x@y.dk", email_verified=False, employee_number="1001")
    assert signed_in_user(client) == leader.user


def test_a_leader_is_refused_the_day_after_the_leaving_day(client, sso, leader, settings):
    leader.left_on = dt.date(2016, 1, 15)
    leader.save()
    settings.PORTAL_CLOCK = "2016-01-15T16:00"
    sign_in(client, sso, "sub-last-day", employee_number="1001")
    assert signed_in_user(client) == leader.user
    client.post(reverse("logout"))
    settings.PORTAL_CLOCK = "2016-01-16T08:00"
    response = sign_in(client, sso, "sub-day-after", employee_number="1001")
    assert response.status_code == 403
    assert "Din adgang til portalen er ophørt" in response.text
    assert not signed_in_user(client).is_authenticated


@pytest.fixture(scope="module")
def toolkit(tmp_path_factory):
    """django-oauth-toolkit's provider: Søren's employee number only in the ID token."""
    from tests.identity_provider import running_toolkit_provider

    people = {
        "soeren": {
            "password": "provider-passw0rd",
            "claims": {
                "email": "s.aerboe@nyt-domaene.dk",
                "email_verified": True,
                "employee_number": "1001",
            },
            "id_token_only": ["employee_number"],
        }
    }
    with running_toolkit_provider(people, tmp_dir=tmp_path_factory.mktemp("toolkit")) as provider:
        yield provider


@pytest.fixture
def toolkit_sso(settings, toolkit):
    from tests.identity_provider import CLIENT_ID, TOOLKIT_CLIENT_SECRET

    settings.OIDC_ISSUER = toolkit.url
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = TOOLKIT_CLIENT_SECRET
    settings.OIDC_EMPLOYEE_NUMBER_CLAIM = "employee_number"
    settings.SSO_ENABLED = True
    return toolkit


def test_a_claim_only_in_the_id_token_signs_the_person_in(client, toolkit_sso, leader):
    """Repro: claims were read from UserInfo only; Entra ID puts optional claims (and a
    mapped employee number) in the ID token, and its UserInfo has only a few."""
    callback = toolkit_sso.sign_in(requests.Session(), start(client), "soeren")
    response = client.get(callback)
    assert response.status_code == 302, response.text[:500]
    assert signed_in_user(client) == leader.user


def test_a_wrong_client_secret_says_the_set_up_is_wrong_and_logs_why(
    client, toolkit_sso, leader, settings, caplog
):
    """Repro: a wrong or expired secret (invalid_client) showed "try again in a few
    minutes"; only the server log had the cause."""
    settings.OIDC_RP_CLIENT_SECRET = "an-expired-secret"
    callback = toolkit_sso.sign_in(requests.Session(), start(client), "soeren")
    response = client.get(callback)
    assert response.status_code == 500
    assert "Portalens forbindelse til log ind-tjenesten er sat forkert op" in response.text
    assert "Kontakt kommunens IT-afdeling" in response.text
    assert "prøv igen om et par minutter" not in response.text
    assert any("invalid_client" in r.getMessage() for r in caplog.records if r.levelname == "ERROR")
    assert not signed_in_user(client).is_authenticated


def test_a_pkce_verifier_the_provider_rejects_says_the_set_up_is_wrong(
    client, toolkit_sso, leader, caplog
):
    callback = toolkit_sso.sign_in(requests.Session(), start(client), "soeren")
    session = client.session
    for entry in session["oidc_states"].values():
        entry["code_verifier"] = "x" * 64  # not the one the challenge was made from
    session.save()
    response = client.get(callback)
    assert response.status_code == 500
    assert "Portalens forbindelse til log ind-tjenesten er sat forkert op" in response.text
    assert any("invalid_grant" in r.getMessage() for r in caplog.records)


def test_signing_out_allows_the_providers_sign_out_as_the_pages_form_target(
    client, toolkit_sso, leader
):
    client.get(toolkit_sso.sign_in(requests.Session(), start(client), "soeren"))
    policy = client.get(reverse("dashboard:dashboard"))["Content-Security-Policy"]
    form_action = next(p for p in policy.split(";") if p.strip().startswith("form-action"))
    assert form_action.split() == ["form-action", "'self'", toolkit_sso.url]
    response = client.post(reverse("logout"))
    assert response["Location"].startswith(toolkit_sso.url + "/logout/")
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    assert toolkit_sso.url not in policy  # signed out: 'self' only again
