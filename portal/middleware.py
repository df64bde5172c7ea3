"""Request-level policy: how long a sign-in lasts, who is knocking, and in which language.

A session ends after ``SESSION_IDLE_TIMEOUT`` seconds without a request and, however
active the user is, ``SESSION_ABSOLUTE_TIMEOUT`` seconds after it began. Both
moments are kept in the session itself, so any number of web processes agree.

``client_ip`` and ``login_username`` tell django-axes which address and which
account a failed sign-in belongs to (settings ``AXES_CLIENT_IP_CALLABLE`` and
``AXES_USERNAME_CALLABLE``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import gettext as _

SIGNED_IN_AT = "_portal_signed_in_at"
LAST_SEEN_AT = "_portal_last_seen_at"
# Writing "last seen" on every request would turn every page view into a session
# UPDATE; a minute's precision is plenty for a 30-minute idle timeout.
LAST_SEEN_RESOLUTION = 60


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self._check(request, now=int(time.time()))
        return self.get_response(request)

    def _check(self, request: HttpRequest, *, now: int) -> None:
        session = request.session
        signed_in_at = session.get(SIGNED_IN_AT)
        last_seen_at = session.get(LAST_SEEN_AT)
        if signed_in_at is None or last_seen_at is None:
            session[SIGNED_IN_AT] = now
            session[LAST_SEEN_AT] = now
            return
        if now - signed_in_at > settings.SESSION_ABSOLUTE_TIMEOUT:
            self._sign_out(
                request,
                _("You have been signed out because you signed in more than %(hours)s hours ago.")
                % {"hours": _hours(settings.SESSION_ABSOLUTE_TIMEOUT)},
            )
        elif now - last_seen_at > settings.SESSION_IDLE_TIMEOUT:
            self._sign_out(
                request,
                _("You have been signed out after %(minutes)s minutes without activity.")
                % {"minutes": settings.SESSION_IDLE_TIMEOUT // 60},
            )
        elif now - last_seen_at >= LAST_SEEN_RESOLUTION:
            session[LAST_SEEN_AT] = now

    def _sign_out(self, request: HttpRequest, message: str) -> None:
        logout(request)
        messages.info(request, message)


def _hours(seconds: int) -> str:
    hours = seconds / 3600
    return f"{hours:g}" if hours != int(hours) else str(int(hours))


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, trusting only the ``PROXY_COUNT`` proxies in front of us.

    Each trusted proxy appends the address it received the request from to
    X-Forwarded-For; anything further left was written by the client and is ignored.
    """
    count = settings.PROXY_COUNT
    if count <= 0:
        return request.META.get("REMOTE_ADDR")
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        return request.META.get("REMOTE_ADDR")
    return forwarded[-count]


def login_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The account a sign-in attempt is for, as the login compares it: case-insensitive."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials and field not in credentials and hasattr(request, "sso_email"):
        # A sign-in through the identity provider: the account its claims named.
        username = request.sso_email
    elif credentials:
        username = credentials.get(field)
    else:
        username = getattr(request, "data", request.POST).get(field)
    return username.strip().lower() if isinstance(username, str) else username


class DanishFirstLocaleMiddleware(LocaleMiddleware):
    """Danish unless the person chose English with the language switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a
    municipal PC installed in English would show the portal, and the admin, in
    English. Here only the language cookie that the switch sets counts.
    """

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
