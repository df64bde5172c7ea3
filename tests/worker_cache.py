"""The shared cache as the tests use it when REDIS_URL is set.

The portal's own backend (portal.cache.TolerantRedisCache), except that ``clear()``
deletes only this process's keys (its KEY_PREFIX) where Django's empties the whole
Redis database: the test workers of one run (pytest-xdist), and other runs on the same
machine, share one Redis database, each under a prefix of its own (tests/conftest.py),
and one worker's clean slate must not empty the pages another worker has just kept.
The portal itself never calls ``clear()``.
"""

from __future__ import annotations

import re

from portal.cache import TolerantRedisCache, _constant, _tolerant

_GLOB = re.compile(r"([*?\[\]\\])")


class WorkerRedisCache(TolerantRedisCache):
    @_tolerant(_constant(None))
    def clear(self):
        client = self._cache.get_client(None, write=True)
        pattern = _GLOB.sub(r"\\\1", self.key_prefix) + ":*"
        batch = []
        for key in client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) == 500:
                client.delete(*batch)
                batch.clear()
        if batch:
            client.delete(*batch)
