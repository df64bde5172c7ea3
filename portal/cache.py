"""A shared cache that is never a single point of failure.

``TolerantRedisCache`` is Django's own Redis backend (``REDIS_URL``) with one
difference: when Redis does not answer, every cache call behaves as a miss (reads
return the default, writes do nothing) instead of raising, and for a few seconds
the process does not even try, so a page does not wait for a connection timeout on
every call. The portal keeps working, only slower: kept pages are rendered again
(their versions are in the database, programme/pagecache.py); sessions never were in
the cache.
"""

from __future__ import annotations

import logging
import time
from functools import wraps

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# After a failure, how long this process treats Redis as gone before trying again.
RETRY_AFTER_SECONDS = 5.0


def _tolerant(answer):
    """``answer(*args, **kwargs)`` is what the call returns when Redis is away."""

    def decorator(method):
        @wraps(method)
        def wrapped(self, *args, **kwargs):
            if time.monotonic() < self._down_until:
                return answer(*args, **kwargs)
            try:
                return method(self, *args, **kwargs)
            except RedisError as exc:
                self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
                logger.warning("cache unavailable, carrying on without it: %s", exc)
                return answer(*args, **kwargs)

        return wrapped

    return decorator


def _miss(key, default=None, version=None):
    return default


def _constant(value):
    return lambda *args, **kwargs: value() if callable(value) else value


class TolerantRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._down_until = 0.0

    def backing_off(self) -> bool:
        """Whether this process treats Redis as gone for now (every call a miss)."""
        return time.monotonic() < self._down_until

    def retry_now(self) -> None:
        """Try Redis again at the next call, as if the seconds of backing off had passed."""
        self._down_until = 0.0

    get = _tolerant(_miss)(RedisCache.get)
    get_many = _tolerant(_constant(dict))(RedisCache.get_many)
    has_key = _tolerant(_constant(False))(RedisCache.has_key)
    add = _tolerant(_constant(False))(RedisCache.add)
    set = _tolerant(_constant(None))(RedisCache.set)
    set_many = _tolerant(_constant(list))(RedisCache.set_many)
    touch = _tolerant(_constant(False))(RedisCache.touch)
    delete = _tolerant(_constant(False))(RedisCache.delete)
    delete_many = _tolerant(_constant(None))(RedisCache.delete_many)
    clear = _tolerant(_constant(None))(RedisCache.clear)

    @_tolerant(_constant(None))
    def incr(self, key, delta=1, version=None):
        # A missing key is not a failure of Redis: Django raises ValueError for it.
        return RedisCache.incr(self, key, delta, version)
