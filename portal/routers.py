"""Reading the reports from a read replica (``DATABASE_REPLICA_URL``), all else from the primary.

A view wrapped in :func:`reads_from_replica` reads through the ``replica`` alias,
for as long as it runs and, for a streamed download, until its last chunk: the
completion report, its drill-down and the exports, whose aggregate queries over
every leader are the heaviest reads and can trail the primary by a second. Nothing
else reads there: not the middleware (session, user), not a leader's own pages, and
no write at all. Without a replica configured everything uses the primary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextvars import ContextVar
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
_reading_reports: ContextVar[bool] = ContextVar("reading_reports", default=False)


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str | None:
        if _reading_reports.get() and REPLICA in settings.DATABASES:
            return REPLICA
        return None

    def db_for_write(self, model, **hints) -> str:
        return "default"

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == "default"


def _streamed(chunks) -> Iterator:
    token = _reading_reports.set(True)
    try:
        yield from chunks
    finally:
        _reading_reports.reset(token)


def reads_from_replica(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        token = _reading_reports.set(True)
        try:
            response = view(request, *args, **kwargs)
        finally:
            _reading_reports.reset(token)
        if response.streaming:
            response.streaming_content = _streamed(response.streaming_content)
        return response

    return wrapped
