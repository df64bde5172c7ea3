"""The shared cache (REDIS_URL): never the home of a session, and the portal carrying on
when it goes away (tests/test_redis_outages.py: Redis killed and restarted with its data).

A real Redis server is started on a free port for these tests (Debian's redis-server,
as on the servers). The whole suite also runs once with REDIS_URL set in CI.
"""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
import redis
from django.core.cache import cache
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.servers.ports import free_port

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None, reason="redis-server is not installed (apt-get install redis-server)"
)


class RedisProcess:
    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)

    def stored_keys(self) -> list[bytes]:
        return redis.Redis.from_url(self.url).keys("*")


@pytest.fixture
def shared_cache(settings):
    server = RedisProcess()
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.cache.TolerantRedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "test",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
    yield server
    if server.process.poll() is None:
        server.stop()


def sign_in(client, leader):
    response = client.post(reverse("login"), {"username": leader.user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]


def test_sessions_are_never_kept_in_the_shared_cache(
    client, leader, programme, shared_cache, settings
):
    """A sign-out deletes the session's row; a copy in Redis could bring it back."""
    settings.PAGE_CACHE_SECONDS = 300
    sign_in(client, leader)
    assert client.get(reverse("dashboard:dashboard")).status_code == 200
    session_key = client.cookies["sessionid"].value
    assert shared_cache.stored_keys()  # the cache is in use
    assert not any(session_key.encode() in key for key in shared_cache.stored_keys())


def test_the_portal_carries_on_when_the_cache_goes_away(client, leader, programme, shared_cache):
    sign_in(client, leader)
    shared_cache.stop()

    started = time.monotonic()
    page = client.get(reverse("dashboard:dashboard"))
    assert page.status_code == 200, "still signed in: the session is in the database"
    assert leader.name in page.text
    assert cache.get("anything", "fallback") == "fallback"
    client.post(reverse("logout"))
    sign_in(client, leader)
    assert client.get(reverse("dashboard:dashboard")).status_code == 200
    assert time.monotonic() - started < 5, "a missing cache is skipped, not waited for"


def test_the_cache_is_used_again_when_it_comes_back(client, leader, programme, shared_cache):
    shared_cache.stop()
    assert cache.get("k") is None
    shared_cache.start()
    from portal import cache as tolerant

    cache.retry_now()  # as if the few seconds of backing off had passed
    assert tolerant.RETRY_AFTER_SECONDS <= 10
    cache.set("k", "v")
    assert cache.get("k") == "v"


def test_a_write_while_redis_pauses_is_never_hidden_by_a_page_kept_before(
    client, leader, programme, shared_cache, settings
):
    """Redis stops answering but keeps its data (a network pause, not a restart): the
    write's version is in the database, so the page kept before it is not served once
    Redis answers again (programme/pagecache.py)."""
    settings.PAGE_CACHE_SECONDS = 300
    client.force_login(leader.user)
    dashboard = reverse("dashboard:dashboard")
    for _ in range(2):  # the first visit gets the CSRF cookie; kept for it from then on
        assert client.get(dashboard).status_code == 200
    assert any(b"page:dashboard" in key for key in shared_cache.stored_keys())

    redis.Redis.from_url(shared_cache.url).client_pause(1500)  # no answers for 1.5 s
    assert cache.get("anything") is None  # times out: the process backs off
    assert cache.backing_off()
    leader.name = "Søren Nyt-Navn"
    leader.save()
    time.sleep(1.6)
    cache.retry_now()  # as if the few seconds of backing off had passed

    page = client.get(dashboard)
    assert page.status_code == 200
    assert "Søren Nyt-Navn" in page.text


def test_with_the_cache_away_nobody_waits_for_another_requests_rebuild(shared_cache):
    """The mark that says "another request is building this page" lives in the cache: with
    Redis gone, a request cannot know, so it builds at once instead of waiting."""
    from programme import pagecache

    shared_cache.stop()
    started = time.monotonic()
    with pagecache.rebuilding("page:shared:1:x", "v:variant", lambda entry: True) as entry:
        assert entry is None
    with pagecache.rebuilding("page:shared:1:x", "v:variant", lambda entry: True) as entry:
        assert entry is None
    assert time.monotonic() - started < 1
