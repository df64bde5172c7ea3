"""gunicorn's workers, answering with the portal's own error page (``gunicorn.conf.py``).

When gunicorn itself must answer 500 - a view's exception that escaped Django, or, above
all, a worker stopped for running past ``timeout`` - its worker writes a bare English
"Internal Server Error". These workers send templates/500.html instead (plain HTML, no
template tags, so it is sent as it is), through ``handle_error``, the worker's hook for a
request that failed. Answers to malformed HTTP (gunicorn's parse errors) stay gunicorn's:
no browser sends those.

Chosen with gunicorn's ``worker_class`` setting, which takes a subclass of
``gunicorn.workers.base.Worker``: the synchronous worker, or the threaded one when
``GUNICORN_THREADS`` is above 1 (gunicorn makes that switch itself only for its own
``sync`` class).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from ssl import SSLError

from gunicorn import util
from gunicorn.http.errors import InvalidResponseHeader, InvalidResponseHeaderName, ParseException
from gunicorn.http.wsgi import Response, default_environ
from gunicorn.workers.gthread import ThreadWorker
from gunicorn.workers.sync import SyncWorker

ERROR_PAGE = (Path(__file__).resolve().parent.parent / "templates" / "500.html").read_bytes()
STATUS = "500 Internal Server Error"


def is_the_requests_fault(exc: BaseException) -> bool:
    """gunicorn could not read the request: it answers that itself (400, 403, 414...).
    A bad header the application tried to send is the application's fault."""
    if isinstance(exc, (InvalidResponseHeader, InvalidResponseHeaderName)):
        return False
    return isinstance(exc, (ParseException, SSLError))


class PortalErrorPage:
    """The worker's error hook: the portal's page for gunicorn's own 500s."""

    def handle_error(self, req, client, addr, exc):
        if is_the_requests_fault(exc):
            return super().handle_error(req, client, addr, exc)
        started = datetime.now()
        addr = addr or ("", -1)  # a unix socket
        # Logged as gunicorn logs it, and as a 500 in the access log.
        if req is not None and hasattr(req, "uri"):
            self.log.exception("Error handling request %s %s", req.method, req.uri)
        else:
            self.log.exception("Error handling request (no URI read)")
        if req is not None:
            environ = default_environ(req, client, self.cfg)
            environ["REMOTE_ADDR"] = addr[0]
            environ["REMOTE_PORT"] = str(addr[1])
            response = Response(req, client, self.cfg)
            response.status = STATUS
            response.response_length = len(ERROR_PAGE)
            self.log.access(response, req, environ, datetime.now() - started)
        head = (
            f"HTTP/1.1 {STATUS}\r\n"
            "Connection: close\r\n"
            "Content-Type: text/html; charset=utf-8\r\n"
            "Cache-Control: no-store\r\n"
            f"Content-Length: {len(ERROR_PAGE)}\r\n\r\n"
        )
        try:
            util.write_nonblock(client, head.encode("latin-1") + ERROR_PAGE)
        except Exception:
            self.log.debug("Failed to send error message.")


class PortalSync(PortalErrorPage, SyncWorker):
    """gunicorn's synchronous worker (``sync``), with the portal's error page."""


class PortalThreads(PortalErrorPage, ThreadWorker):
    """gunicorn's threaded worker (``gthread``), with the portal's error page."""
