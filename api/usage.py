"""Every call counted, and a limit on how many a client makes a minute.

The count is one row per client, endpoint and day (:class:`api.models.ApiUsage`),
raised with ``F()`` in a single UPDATE, so concurrent calls never lose one. The limit
(``API_RATE_PER_MINUTE``) is counted in the shared cache: a window of a minute opens
with a client's first call, and a call over the limit is answered 429 with the
seconds until the window closes (``Retry-After``). With the per-process cache (no
``REDIS_URL``) each process counts for itself; with Redis away calls are not limited.
"""

from __future__ import annotations

import datetime as dt
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from api.models import ApiClient, ApiUsage

WINDOW_SECONDS = 60


def wait_seconds(client: ApiClient, now: float | None = None) -> int | None:
    """Count a call of ``client``: None when it is within the limit, else the seconds to
    wait before the next call can succeed."""
    limit = settings.API_RATE_PER_MINUTE
    if limit <= 0:
        return None
    now = time.time() if now is None else now
    start_key, count_key = f"api-rate:{client.pk}:start", f"api-rate:{client.pk}:count"
    cache.add(start_key, now, WINDOW_SECONDS)
    cache.add(count_key, 0, WINDOW_SECONDS)
    try:
        count = cache.incr(count_key)
    except ValueError:  # the window closed between the two calls: a new one
        cache.set(start_key, now, WINDOW_SECONDS)
        cache.set(count_key, 1, WINDOW_SECONDS)
        count = 1
    if count is None or count <= limit:
        return None
    start = cache.get(start_key, now)
    return max(1, math.ceil(start + WINDOW_SECONDS - now))


def count_call(client: ApiClient, endpoint: str, now: dt.datetime, *, refused: bool) -> None:
    """Add one call (or one refused call) to today's row for this client and endpoint."""
    field = "refused" if refused else "calls"
    row = ApiUsage.objects.filter(client=client, endpoint=endpoint, day=timezone.localdate(now))
    if row.update(**{field: F(field) + 1}, last_at=now):
        return
    try:
        with transaction.atomic():
            ApiUsage.objects.create(
                client=client,
                endpoint=endpoint,
                day=timezone.localdate(now),
                last_at=now,
                **{field: 1},
            )
    except IntegrityError:  # another process made today's row first
        row.update(**{field: F(field) + 1}, last_at=now)
