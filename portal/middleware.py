"""Request-level policy: how long a sign-in lasts, who is knocking, in which language, and
what happens to bad input, a busy database and private pages.

A session ends after ``SESSION_IDLE_TIMEOUT`` seconds without a request and, however
active the user is, ``SESSION_ABSOLUTE_TIMEOUT`` seconds after it began. Both
moments are kept in the session itself, so any number of web processes agree. A
session whose login may no longer be used (a leader who has left, a closed account:
``programme.accounts.may_sign_in``) ends at its next request, with a message saying why.

``client_ip`` and ``login_username`` tell django-axes which address and which
account a failed sign-in belongs to (settings ``AXES_CLIENT_IP_CALLABLE`` and
``AXES_USERNAME_CALLABLE``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import ERROR_FLAG
from django.contrib.auth import SESSION_KEY, logout
from django.core.exceptions import ValidationError
from django.db import DatabaseError, DataError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

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
        elif SESSION_KEY in request.session:
            self._refused(request)
        return self.get_response(request)

    def _refused(self, request: HttpRequest) -> None:
        """The session names a login that may no longer sign in: end it for good."""
        from programme.accounts import access_ended_message
        from programme.models import User

        user = User.objects.select_related("leader").filter(pk=request.session[SESSION_KEY])
        user = user.first()
        self._sign_out(request, access_ended_message(user) if user is not None else "")

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
        if message:
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


# django-axes keeps the username in a column of 255 characters.
AXES_USERNAME_MAX_LENGTH = 255


def login_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The account a sign-in attempt is for, as the login compares it: case-insensitive.

    Cut to what axes can store, without NUL characters: the sign-in forms refuse such
    input, and this keeps any other path from failing on axes' log table.
    """
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials and field not in credentials and hasattr(request, "sso_email"):
        # A sign-in through the identity provider: the account its claims named.
        username = request.sso_email
    elif credentials:
        username = credentials.get(field)
    else:
        username = getattr(request, "data", request.POST).get(field)
    if not isinstance(username, str):
        return username
    return username.replace("\x00", "").strip().lower()[:AXES_USERNAME_MAX_LENGTH]


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


# --- Hardening: bad input, a busy database, private pages --------------------------


def _has_nul(params) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in params.lists())


def _is_row_number(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) < 19  # within a bigint


class BadInputMiddleware:
    """Answer 400 to input no person can type and no view of ours can use.

    - A NUL character in the address's parameters: PostgreSQL cannot compare text
      containing one, so a search or filter would fail in the database. (Forms already
      refuse NUL in posted fields, next to the field.)
    - Rows picked in an admin list that are not row numbers: Django's admin would fail
      looking them up.
    - A filter value an admin list cannot use (text where a list filter compares ids):
      back to the unfiltered list, as Django's admin does with its own filters' bad
      values. Only once, and only with parameters: a list that fails without them is a
      bug, and answers 500 as bugs must.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request.GET) or self._bad_admin_selection(request):
            return render(request, "400.html", status=400)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        match = request.resolver_match
        if (
            request.method == "GET"
            and isinstance(exception, ValueError | ValidationError | DataError)
            and match is not None
            and match.namespace == "admin"
            and match.url_name.endswith("_changelist")
            and request.GET
            and ERROR_FLAG not in request.GET
        ):
            logger.info("admin list refused its parameters: %s (%s)", request.path, exception)
            return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
        return None

    def _bad_admin_selection(self, request: HttpRequest) -> bool:
        if request.method != "POST" or not request.path.startswith(reverse("admin:index")):
            return False
        return not all(_is_row_number(v) for v in request.POST.getlist(ACTION_CHECKBOX_NAME))


# PostgreSQL giving up as told: lock_timeout (55P03) and statement_timeout (57014).
BUSY_SQLSTATES = {"55P03", "57014"}


def database_was_busy(exception: BaseException) -> bool:
    """Did the database give up waiting (a lock or statement timeout), not fail?"""
    if not isinstance(exception, OperationalError):
        return False
    if getattr(exception.__cause__, "sqlstate", None) in BUSY_SQLSTATES:
        return True
    # SQLite (development) after its busy timeout.
    return "database is locked" in str(exception)


class DatabaseBusyMiddleware:
    """A Danish 503 page when the database gave up waiting: nothing was saved, try again.

    The web process's timeouts (``DB_LOCK_TIMEOUT``, ``DB_STATEMENT_TIMEOUT``) make a
    request give up instead of holding a worker until gunicorn kills it. The transaction
    has been rolled back by then, so the page can promise that nothing happened - for a
    leader's booking above all, who must know whether they have a seat.
    """

    RETRY_AFTER_SECONDS = 5

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not database_was_busy(exception):
            return None
        logger.warning(
            "database busy, answered 503: %s %s (%s)", request.method, request.path, exception
        )
        match = request.resolver_match
        context = {
            "sent": request.method not in ("GET", "HEAD", "OPTIONS"),
            "booking": request.method == "POST"
            and match is not None
            and match.namespace == "programme",
        }
        try:
            response = render(request, "503.html", context, status=503)
        except DatabaseError:
            # Too busy even for the page's header: the page without it (but whom to ask).
            from programme.context_processors import hr_contact

            context.update(hr_contact(request), programme_name=_("Digital leadership"))
            response = HttpResponse(render_to_string("503.html", context), status=503)
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        return response


class PrivateCacheMiddleware:
    """Pages for a signed-in person hold their data: no browser or proxy cache may keep them.

    ``Cache-Control: private, no-store`` on every response to a signed-in request (the
    dashboard, the reports, the CSV, the admin), so a shared PC's back button or a
    caching proxy never shows one person's page to another.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        signed_in = request.user.is_authenticated
        response = self.get_response(request)
        if signed_in or request.user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
