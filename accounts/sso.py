"""Single sign-on with the municipality's identity provider (OpenID Connect).

mozilla-django-oidc does the protocol: the authorization-code flow with ``state``,
``nonce`` and PKCE (S256), the token exchange, the ID token's signature (JWKS). Here:

- the endpoints come from the provider's discovery document
  (``OIDC_ISSUER/.well-known/openid-configuration``), read once per process and only
  when someone signs in through the provider, so a provider that is down never stops a
  page or a password sign-in;
- the ID token must come from that issuer and be meant for our client;
- the claims come from the validated ID token first; the UserInfo endpoint only fills
  in claims the ID token lacks (Microsoft Entra ID puts optional claims in the ID
  token, and its UserInfo answers only the name claims, the subject and e-mail), and
  its subject must be the ID token's;
- a person is matched to a leader by the employee-number claim when the provider
  sends one, else by e-mail (any letter case), and then only when the provider says
  the address is verified (``OIDC_EMAIL_VERIFIED_CLAIM``, ``email_verified`` unless
  set). Someone the portal does not know, or who may no longer sign in
  (:func:`accounts.signin.may_sign_in`: left, anonymised, closed), is refused with
  a page that says whom to contact, and no user is created. Staff and managers who
  are not leaders get in when they already have an active login with that e-mail;
- a provider that refuses the portal itself (a wrong or expired client secret, a
  grant it rejects) gets a page of its own that says to contact IT, and a log line
  naming the error; a provider that does not answer, a "try again" page;
- the sign-in lockout (django-axes) counts refused sign-ins here too, and a blocked
  account is blocked whichever way it comes in;
- signing out ends the session at the provider too, when it offers that: the
  browser is sent to its ``end_session_endpoint``, whose origin the pages of such a
  session allow as a form's target (:class:`ProviderSignOutCSPMiddleware`), so a
  browser that enforces ``form-action`` follows the sign-out there.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode, urlsplit

import requests
from axes.handlers.proxy import AxesProxyHandler
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from accounts.signin import may_sign_in
from programme import clock
from programme.models import Leader, User

logger = logging.getLogger(__name__)

# mozilla-django-oidc's endpoint settings, and where discovery documents them.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
_discovery_cache: dict[str, dict] = {}
# Errors of the token endpoint (RFC 6749, 5.2) that mean the portal's own set-up is wrong.
REJECTED = {"invalid_client", "unauthorized_client", "invalid_grant"}
END_SESSION_ORIGIN = "oidc_end_session_origin"


def discovery() -> dict:
    """The provider's discovery document, fetched once per process."""
    issuer = settings.OIDC_ISSUER
    if issuer not in _discovery_cache:
        response = requests.get(
            f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT
        )
        response.raise_for_status()
        _discovery_cache[issuer] = response.json()
    return _discovery_cache[issuer]


def get_setting(attr: str, *default):
    """mozilla-django-oidc's settings, with the endpoints taken from discovery."""
    if attr in DISCOVERED:
        return discovery().get(DISCOVERED[attr])
    return import_from_settings(attr, *default)


def signed_in_through_provider(request: HttpRequest) -> bool:
    return settings.SSO_ENABLED and bool(request.session.get("oidc_id_token"))


def provider_logout_url(request: HttpRequest) -> str | None:
    """Where to send the browser to end the provider's session; None if it offers none."""
    try:
        endpoint = discovery().get("end_session_endpoint")
    except requests.RequestException:
        logger.warning("Could not read the identity provider's discovery document")
        return None
    if not endpoint:
        return None
    params = {
        "id_token_hint": request.session.get("oidc_id_token", ""),
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "post_logout_redirect_uri": settings.PORTAL_URL + reverse("login"),
    }
    return f"{endpoint}?{urlencode(params)}"


class Refused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def match_user(claims: dict) -> User:
    """The login for these claims, or :class:`Refused` with the reason.

    Employee number first (it survives a change of e-mail address), else e-mail, if
    the provider says it verified it. A login that belongs to a leader is that
    leader's, and must still be allowed to sign in; a login without a leader (HR,
    managers, facilitators) must exist and be active. Nobody is created.
    """
    email = str(claims.get(settings.OIDC_EMAIL_CLAIM) or "").strip().lower()
    number_claim = settings.OIDC_EMPLOYEE_NUMBER_CLAIM
    number = str(claims.get(number_claim) or "").strip() if number_claim else ""
    leaders = Leader.objects.select_related("user")
    leader = None
    if number:
        leader = leaders.filter(employee_number=number).first()
    elif email:
        if not email_verified(claims):
            raise Refused("unverified")
        leader = leaders.filter(user__email__iexact=email).first()
    if leader is not None:
        if not may_sign_in(leader.user, clock.today()):
            raise Refused("left")
        return leader.user
    user = (
        get_user_model()
        .objects.filter(email__iexact=email, is_active=True, leader__isnull=True)
        .first()
        if email
        else None
    )
    if user is None:
        raise Refused("unknown")
    return user


def email_verified(claims: dict) -> bool:
    """Whether the provider vouches for the e-mail address (a JSON true, or "true")."""
    claim = settings.OIDC_EMAIL_VERIFIED_CLAIM
    if not claim:
        return True  # a provider that never says (OIDC_EMAIL_VERIFIED_CLAIM empty)
    value = claims.get(claim)
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


class ClientRejected(Exception):
    """The provider's token endpoint refused the portal itself (RFC 6749, 5.2)."""

    def __init__(self, error: str, description: str):
        super().__init__(f"{error}: {description}")
        self.error = error


class PortalOIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, matching people to the portal's own logins."""

    get_settings = staticmethod(get_setting)

    def __init__(self, *args, **kwargs):
        # Every sign-in loads every backend: read nothing from the provider here.
        self.UserModel = get_user_model()

    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: get_setting("OIDC_OP_TOKEN_ENDPOINT"))
    OIDC_OP_USER_ENDPOINT = property(lambda self: get_setting("OIDC_OP_USER_ENDPOINT"))
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: get_setting("OIDC_OP_JWKS_ENDPOINT"))
    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_RP_CLIENT_ID)
    OIDC_RP_CLIENT_SECRET = property(lambda self: settings.OIDC_RP_CLIENT_SECRET)
    OIDC_RP_SIGN_ALGO = property(lambda self: settings.OIDC_RP_SIGN_ALGO)
    OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request, **kwargs):
        # Password sign-ins come here too: leave before any network.
        if not settings.SSO_ENABLED or request is None or "code" not in request.GET:
            return None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        # mozilla-django-oidc checks the signature and the nonce, not who issued the
        # token nor for whom: a token from another issuer or client must not sign in here.
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if payload.get("iss") != discovery().get("issuer"):
            raise SuspiciousOperation("The ID token comes from another issuer.")
        if settings.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token is meant for another client.")
        return payload

    def raise_token_response_error(self, response):
        if response.status_code in (400, 401):
            try:
                answer = response.json()
            except ValueError:
                answer = {}
            error = str(answer.get("error") or "") if isinstance(answer, dict) else ""
            if error in REJECTED:
                raise ClientRejected(error, str(answer.get("error_description") or ""))
        super().raise_token_response_error(response)

    def get_userinfo(self, access_token, id_token, payload):
        """The validated ID token's claims; UserInfo (when the provider has it) only adds
        what the token lacks, and must be about the same person."""
        claims = dict(payload)
        if get_setting("OIDC_OP_USER_ENDPOINT"):
            extra = super().get_userinfo(access_token, id_token, payload)
            if extra.get("sub") != payload.get("sub"):
                raise SuspiciousOperation("UserInfo is about another subject than the ID token.")
            claims.update({k: v for k, v in extra.items() if k not in claims})
        return claims

    def store_tokens(self, access_token, id_token):
        super().store_tokens(access_token, id_token)
        # The sign-out's destination, for this session's pages' form-action (CSP).
        endpoint = discovery().get("end_session_endpoint")
        if endpoint:
            parts = urlsplit(endpoint)
            self.request.session[END_SESSION_ORIGIN] = f"{parts.scheme}://{parts.netloc}"

    def verify_claims(self, claims):
        number_claim = settings.OIDC_EMPLOYEE_NUMBER_CLAIM
        return bool(
            claims.get(settings.OIDC_EMAIL_CLAIM) or (number_claim and claims.get(number_claim))
        )

    def filter_users_by_claims(self, claims):
        request = self.request
        request.sso_email = str(claims.get(settings.OIDC_EMAIL_CLAIM) or "").strip().lower()
        try:
            user = match_user(claims)
        except Refused as refusal:
            request.sso_refusal = refusal.reason
            return []
        # A block (too many failed sign-ins for this account from this address) holds
        # for this way in too.
        if AxesProxyHandler.is_locked(request, credentials={"username": user.email}):
            request.sso_refusal = "locked"
            request.sso_email = user.email
            return []
        return [user]

    def get_user(self, user_id):
        # As for passwords: a login closed since (anonymised) ends its sessions.
        from accounts.signin import active_user

        return active_user(user_id)


REFUSALS = {
    "unknown": 403,
    "left": 403,
    "unverified": 403,
    "error": 400,
    "unavailable": 503,
    # The portal's own set-up is wrong: a server error, for IT's monitoring too.
    "misconfigured": 500,
}


def refused(request: HttpRequest, reason: str) -> HttpResponse:
    """The Danish page that says why the work account did not get in, and whom to ask."""
    return render(
        request,
        "registration/sso_refused.html",
        {"reason": reason},
        status=REFUSALS.get(reason, 400),
    )


@method_decorator(login_not_required, name="dispatch")
class StartView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider, with state, nonce and a PKCE challenge."""

    get_settings = staticmethod(get_setting)
    OIDC_OP_AUTH_ENDPOINT = property(lambda self: get_setting("OIDC_OP_AUTHORIZATION_ENDPOINT"))
    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_RP_CLIENT_ID)

    def __init__(self, **kwargs):
        # mozilla-django-oidc reads the endpoint when the view is made; we read it per
        # request, from discovery.
        View.__init__(self, **kwargs)

    def get(self, request):
        if not settings.SSO_ENABLED:
            raise Http404
        try:
            return super().get(request)
        except requests.RequestException:
            logger.exception("The identity provider did not answer")
            return refused(request, "unavailable")


@method_decorator(login_not_required, name="dispatch")
class CallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back: check state, get the tokens, sign in."""

    get_settings = staticmethod(get_setting)

    def get(self, request):
        if not settings.SSO_ENABLED:
            raise Http404
        try:
            return super().get(request)
        except SuspiciousOperation as exc:
            # A state we did not issue, a nonce that does not match, a token that is not
            # for us: refuse, and say so in words rather than with Django's bare 400.
            logger.warning("Refused a sign-in through the identity provider: %s", exc)
            return refused(request, "error")
        except ClientRejected as exc:
            logger.error(
                "The identity provider refused the portal's client (%s): check "
                "OIDC_CLIENT_ID, OIDC_CLIENT_SECRET and the redirect URI. %s",
                exc.error,
                exc,
            )
            return refused(request, "misconfigured")
        except requests.RequestException:
            logger.exception("The identity provider did not answer")
            return refused(request, "unavailable")

    def login_failure(self):
        reason = getattr(self.request, "sso_refusal", None) or "error"
        if reason == "locked":
            # django-axes answers with its lockout page (AxesMiddleware).
            self.request.axes_locked_out = True
            return refused(self.request, "error")
        return refused(self.request, reason)


class ProviderSignOutCSPMiddleware(CSPMiddleware):
    """django-csp's middleware; the pages of a session that came through the provider
    also allow its sign-out origin as a form's target.

    "Log ud" is a form posted to the portal, answered with a redirect to the provider's
    ``end_session_endpoint``. A browser checks that redirect against the ``form-action``
    of the page the form was on, so it is that page's policy, not the answer's, that
    must allow it; with ``form-action 'self'`` alone Chromium stops at the portal, and
    the provider's own session lives on.
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        session = getattr(request, "session", None)
        origin = session.get(END_SESSION_ORIGIN) if session is not None else None
        if origin and not report_only:
            update = dict(parts.update or {})
            update["form-action"] = [*update.get("form-action", []), origin]
            parts.update = update
        return parts


@login_not_required
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """Sign out here, and at the identity provider when the person came through it."""
    target = provider_logout_url(request) if signed_in_through_provider(request) else None
    auth.logout(request)
    return redirect(target or reverse(settings.LOGOUT_REDIRECT_URL))
