"""Single sign-on with the municipality's identity provider (OpenID Connect).

mozilla-django-oidc does the protocol: the authorization-code flow with ``state``,
``nonce`` and PKCE (S256), the token exchange, the ID token's signature (JWKS). Here:

- the endpoints come from the provider's discovery document
  (``OIDC_ISSUER/.well-known/openid-configuration``), read once per process and only
  when someone signs in through the provider, so a provider that is down never stops a
  page or a password sign-in;
- the ID token must come from that issuer and be meant for our client;
- a person is matched to a leader by the employee-number claim when the provider
  sends one, else by e-mail (any letter case). Someone the portal does not know, or
  who has left (``left_on`` passed) or was anonymised, is refused with a page that
  says whom to contact, and no user is created. Staff and managers who are not
  leaders get in when they already have an active login with that e-mail;
- the sign-in lockout (django-axes) counts refused sign-ins here too, and a blocked
  account is blocked whichever way it comes in;
- signing out ends the session at the provider too, when it offers that.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import requests
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from . import clock
from .accounts import may_sign_in
from .models import Leader, User

logger = logging.getLogger(__name__)

# mozilla-django-oidc's endpoint settings, and where discovery documents them.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
_discovery_cache: dict[str, dict] = {}


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
        return discovery()[DISCOVERED[attr]]
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

    Employee number first (it survives a change of e-mail address), else e-mail.
    A login that belongs to a leader is that leader's, and the leader must still be
    with the municipality; a login without a leader (HR, managers, facilitators)
    must exist and be active. Nobody is created.
    """
    email = str(claims.get(settings.OIDC_EMAIL_CLAIM) or "").strip().lower()
    number_claim = settings.OIDC_EMPLOYEE_NUMBER_CLAIM
    number = str(claims.get(number_claim) or "").strip() if number_claim else ""
    leaders = Leader.objects.select_related("user")
    leader = None
    if number:
        leader = leaders.filter(employee_number=number).first()
    elif email:
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
        from .accounts import active_user

        return active_user(user_id)


REFUSALS = {"unknown": 403, "left": 403, "error": 400, "unavailable": 503}


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
