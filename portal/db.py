"""Database session limits beyond the web's defaults (see the timeouts in settings)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import wraps

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse


def _postgresql() -> list:
    """The connections the view may read through: the primary, and a replica if any."""
    return [
        connections[alias]
        for alias in settings.DATABASES
        if connections[alias].vendor == "postgresql"
    ]


def _reset() -> None:
    for connection in _postgresql():
        with connection.cursor() as cursor:
            # Back to what the connection opened with (settings.DB_STATEMENT_TIMEOUT).
            cursor.execute("RESET statement_timeout")


def _then_reset(chunks) -> Iterator[bytes]:
    try:
        yield from chunks
    finally:
        _reset()


def statement_timeout(setting: str) -> Callable:
    """Give a view's queries the statement timeout in ``settings.<setting>`` (seconds).

    For a streamed response the longer limit lasts until the last chunk is sent: the
    rows are read while streaming. PostgreSQL only; elsewhere the view runs as it is.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not _postgresql():
                return view(request, *args, **kwargs)
            milliseconds = int(getattr(settings, setting) * 1000)
            for connection in _postgresql():
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT set_config('statement_timeout', %s, false)", [str(milliseconds)]
                    )
            try:
                response = view(request, *args, **kwargs)
            except BaseException:
                _reset()
                raise
            if response.streaming:
                response.streaming_content = _then_reset(response.streaming_content)
            else:
                _reset()
            return response

        return wrapped

    return decorator
