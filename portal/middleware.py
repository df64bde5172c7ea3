"""Request-level policy: how long a sign-in lasts, who is knocking, in which language, and
what happens to bad input, a busy database and private pages.

A session ends after ``SESSION_IDLE_TIMEOUT`` seconds without a request and, however
active the user is, ``SESSION_ABSOLUTE_TIMEOUT`` seconds after it began. Both
moments are kept in the session itself, so any number of web processes agree. A
session whose login may no longer be used (a leader who has left, a closed account:
``accounts.signin.may_sign_in``) ends at its next request, with a message saying why.

``client_ip`` and ``login_username`` tell django-axes which address and which
account a failed sign-in belongs to (settings ``AXES_CLIENT_IP_CALLABLE`` and
``AXES_USERNAME_CALLABLE``).
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import sys
import time
import unicodedata
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ERROR_FLAG
from django.contrib.auth import SESSION_KEY, logout
from django.core.exceptions import ValidationError
from django.db import DatabaseError, DataError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import resolve, reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views import defaults

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
        from accounts.signin import access_ended_message
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


# Path parameters are ids, codes and tokens of at most a few dozen characters, and none
# holds a control or formatting character (NUL, a line break, a right-to-left mark).
# The limit leaves room for views that answer a mangled id themselves (the import's
# "preview no longer exists"), and stops pasted pages of text before any view.
PATH_PARAMETER_MAX_LENGTH = 1000
_UNTYPABLE = ("Zl", "Zp")  # line and paragraph separators; and every category C*


def _unusable_in_a_path(value: object) -> bool:
    if not isinstance(value, str):
        return False  # converted by the route (<int:pk>): a number already
    return len(value) > PATH_PARAMETER_MAX_LENGTH or any(
        unicodedata.category(char).startswith("C") or unicodedata.category(char) in _UNTYPABLE
        for char in value
    )


def _row_keys(view_func: Callable, args: tuple, kwargs: dict) -> list[tuple]:
    """The path parameters an admin page looks a row up by, each with the row's key field.

    Django's admin and django-simple-history take the row's key as text
    (``<path:object_id>``, ``^([^/]+)/history/([^/]+)/$``) and convert it themselves,
    some without catching a bad value. The key field says what a key can be (a number
    for every table but the import's, whose pages take ``batch_id`` and check it).
    """
    model_admin = getattr(view_func, "model_admin", None)
    if model_admin is None:  # the admin's own extra pages: admin_view(self.some_view)
        model_admin = getattr(inspect.unwrap(view_func), "__self__", None)
    if not isinstance(model_admin, ModelAdmin):
        return []
    model = model_admin.model
    keys = [(model._meta.pk, kwargs[name]) for name in ("object_id", "id") if name in kwargs]
    if args:  # simple-history's revision page: the row's key, then the revision's
        fields = [model._meta.pk]
        manager = getattr(model._meta, "simple_history_manager_attribute", None)
        if manager:
            fields.append(getattr(model, manager).model._meta.pk)
        keys += list(zip(fields, args, strict=False))
    return keys


def _names_a_row(field, value: str) -> bool:
    try:
        field.to_python(unquote(value))
    except ValidationError:
        return False
    return True


API_PATH = "/api/"


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

    And 404, for every view in one place, to a path parameter no address of ours holds
    (``process_view``): a control or formatting character (NUL, which PostgreSQL cannot
    compare; right-to-left marks), more than ``PATH_PARAMETER_MAX_LENGTH`` characters,
    or, where the admin looks a row up by it, a value its key cannot have ("abc" for a
    number). 404 rather than 400: the address names a page that does not exist, as an
    unknown address does, and ``<int:pk>`` routes already answer 404 to "abc".
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request.GET) and request.path.startswith(API_PATH):
            # The API answers in JSON, as its OpenAPI document says (api/endpoints.py).
            return JsonResponse({"detail": "A parameter holds a NUL character."}, status=400)
        if _has_nul(request.GET) or self._bad_admin_selection(request):
            return render(request, "400.html", status=400)
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable, view_args: tuple, view_kwargs: dict
    ) -> None:
        values = [*view_args, *view_kwargs.values()]
        if any(_unusable_in_a_path(value) for value in values) or not all(
            _names_a_row(field, value)
            for field, value in _row_keys(view_func, view_args, view_kwargs)
        ):
            logger.info("path parameter refused: %r", request.path[:200])
            raise Http404
        return None

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
# PostgreSQL away: a connection exception (class 08), too many connections or no
# memory (53), a system error (58), and the server shutting down, crashed, starting up
# or restarting (57P01-57P05). psycopg gives no SQLSTATE when no server answered at all
# (connection refused, reset, closed under a query).
UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "58", "57P0")
# SQLite (development): the file cannot be opened or read.
UNAVAILABLE_SQLITE_ERRORS = ("SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_NOTADB")


def database_was_busy(exception: BaseException) -> bool:
    """Did the database give up waiting (a lock or statement timeout), not fail?"""
    if not isinstance(exception, OperationalError):
        return False
    if getattr(exception.__cause__, "sqlstate", None) in BUSY_SQLSTATES:
        return True
    # SQLite (development) after its busy timeout.
    return "database is locked" in str(exception)


def database_unavailable(exception: BaseException) -> bool:
    """Could the request not reach the database: refused, restarting, gone mid-request?

    Not a bug in the page, and nothing the person did: the same request works again
    once the database is back. (A query the database refused is a bug, and stays 500.)
    """
    if isinstance(exception, InterfaceError):
        return True  # the connection was closed under the request
    if not isinstance(exception, OperationalError) or database_was_busy(exception):
        return False
    cause = exception.__cause__
    if hasattr(cause, "sqlstate"):  # psycopg
        return cause.sqlstate is None or cause.sqlstate.startswith(UNAVAILABLE_SQLSTATE_CLASSES)
    return getattr(cause, "sqlite_errorname", "").startswith(UNAVAILABLE_SQLITE_ERRORS)


def database_trouble_page(request: HttpRequest, exception: BaseException) -> HttpResponse | None:
    """The portal's own 503 page when the database was busy or away, else None.

    Whatever was sent has been rolled back by then (a transaction that cannot reach the
    database does not commit), so nothing is half-saved. For a busy database the page
    can promise that nothing happened; for one that went away it cannot know whether
    the answer to a commit was lost on the way, and says where to look.
    """
    busy = database_was_busy(exception)
    if not busy and not database_unavailable(exception):
        return None
    logger.warning(
        "database %s, answered 503: %s %s (%s)",
        "busy" if busy else "unavailable",
        request.method,
        request.path,
        exception,
    )
    match = request.resolver_match or _resolve(request.path_info)
    context = {
        "unavailable": not busy,
        "sent": request.method not in ("GET", "HEAD", "OPTIONS"),
        "booking": request.method == "POST"
        and match is not None
        and match.namespace == "dashboard",
    }
    response = None
    if busy:
        with contextlib.suppress(DatabaseError):  # too busy even for the page's header
            response = render(request, "503.html", context, status=503)
    if response is None:
        # The page without its header (who is signed in, the programme: the database
        # again), but with whom to ask.
        from portal.context_processors import hr_contact

        context.update(hr_contact(request), programme_name=_("Digital leadership"))
        response = HttpResponse(render_to_string("503.html", context), status=503)
    seconds = (
        DatabaseBusyMiddleware.RETRY_AFTER_SECONDS
        if busy
        else DatabaseBusyMiddleware.RETRY_AFTER_UNAVAILABLE_SECONDS
    )
    response["Retry-After"] = str(seconds)
    patch_cache_control(response, no_store=True)
    return response


def _resolve(path: str):
    """The route of a request that failed before Django resolved it (in a middleware)."""
    try:
        return resolve(path)
    except Http404:
        return None


class DatabaseBusyMiddleware:
    """A Danish 503 page when the database gave up waiting or could not be reached.

    The web process's timeouts (``DB_LOCK_TIMEOUT``, ``DB_STATEMENT_TIMEOUT``) make a
    request give up instead of holding a worker until gunicorn kills it. The transaction
    has been rolled back by then, so the page can promise that nothing happened - for a
    leader's booking above all, who must know whether they have a seat.

    While PostgreSQL restarts or cannot be reached, every page answers the same 503 page
    ("try again in a moment"), never the 500 page that calls it a bug. A view's
    exception comes here; one raised before or after the view (loading the session in
    the middleware above, saving it on the way out) reaches Django's last resort
    instead, ``handler500`` = :func:`server_error`, which answers the same page.
    """

    RETRY_AFTER_SECONDS = 5
    RETRY_AFTER_UNAVAILABLE_SECONDS = 10

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return database_trouble_page(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the 503 page when the error was the database being away or busy
    (wherever it was raised), else Django's own, ``templates/500.html``.

    Django calls it inside the ``except`` block that caught the error, so
    ``sys.exc_info()`` holds it.
    """
    exception = sys.exc_info()[1]
    if exception is not None:
        response = database_trouble_page(request, exception)
        if response is not None:
            return response
    return defaults.server_error(request)


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
