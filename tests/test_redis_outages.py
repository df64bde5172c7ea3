"""Redis goes away and comes back with its data: a signed-out session stays signed out, and
no kept page is older than a write made meanwhile, in every process.

A real redis-server with persistence (``appendonly yes``) is killed (SIGKILL) and started
again on the same files; two real gunicorn processes serve the portal against the
test's PostgreSQL database, as two nodes would. The test process itself writes too, as
a management command would.

Repros (issue 22): with Redis killed, a sign-out deleted the session's row but not its
cached copy, and after the restart the old cookie opened the dashboard again (4 of 4
tries); a leader who enrolled while Redis was down saw "Du har endnu ikke en plads" on
the other process after the restart, until the process that owed the version bump
served a request; a command's write during the outage never reached the kept pages.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
import requests
from django.db import connection

from tests.conftest import PASSWORD
from tests.servers.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
REDIS_SERVER = shutil.which("redis-server")
CLOCK = "2016-01-18T09:00"
NOT_ENROLLED = "Du har endnu ikke en plads"

pytestmark = [
    pytest.mark.postgres,  # two processes share the test's database
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed"),
]


class PersistentRedis:
    """redis-server writing every command to its append-only file in ``directory``."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        for _ in range(200):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stored_keys(self) -> list[bytes]:
        return redis.Redis.from_url(self.url).keys("*")


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


class Node:
    """One gunicorn process with one worker: a node of its own."""

    def __init__(self, redis_url: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DEBUG": "true",
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "CACHE_KEY_PREFIX": "outage",
            "PAGE_CACHE_SECONDS": "300",
            "PORTAL_CLOCK": CLOCK,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": "1",
            "GUNICORN_ACCESS_LOG": "/dev/null",
            "LOG_LEVEL": "warning",
        }
        env.pop("DJANGO_ENV", None)
        self.process = subprocess.Popen(
            [str(GUNICORN), "--config", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(150):
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture
def persistent_redis(tmp_path, settings):
    server = PersistentRedis(tmp_path)
    server.start()
    # This process writes as a management command would: with the same cache.
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.cache.TolerantRedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "outage",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
    settings.PAGE_CACHE_SECONDS = 300
    yield server
    if server.process.poll() is None:
        server.kill()


@pytest.fixture
def nodes(persistent_redis):
    started = [Node(persistent_redis.url), Node(persistent_redis.url)]
    yield started
    for node in started:
        node.stop()


def csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]


def sign_in(browser: requests.Session, node: Node, user, settings) -> None:
    # The servers know the portal's own password hashers, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    user.set_password(PASSWORD)
    user.save()
    email = user.email
    page = browser.get(node.url + "/accounts/login/", timeout=10)
    response = browser.post(
        node.url + "/accounts/login/",
        {"username": email, "password": PASSWORD, "csrfmiddlewaretoken": csrf_token(page.text)},
        headers={"Referer": node.url + "/accounts/login/"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]


def dashboard(browser: requests.Session, node: Node) -> requests.Response:
    return browser.get(node.url + "/", allow_redirects=False, timeout=10)


def test_a_signed_out_session_never_comes_back_when_redis_does(
    leader, programme, persistent_redis, nodes, settings
):
    first, second = nodes
    browser = requests.Session()
    sign_in(browser, first, leader.user, settings)
    page = dashboard(browser, first)
    assert page.status_code == 200
    cookie = browser.cookies["sessionid"]

    persistent_redis.kill()
    signed_out = browser.post(
        first.url + "/accounts/logout/",
        {"csrfmiddlewaretoken": csrf_token(page.text)},
        headers={"Referer": first.url + "/"},
        allow_redirects=False,
        timeout=10,
    )
    assert signed_out.status_code == 302
    persistent_redis.start()

    for _ in range(4):
        for node in nodes:
            response = requests.get(
                node.url + "/",
                headers={"Cookie": f"sessionid={cookie}"},
                allow_redirects=False,
                timeout=10,
            )
            assert response.status_code == 302, "the old cookie opened the dashboard again"
            assert response.headers["Location"].startswith("/accounts/login/")


def test_a_write_during_an_outage_shows_on_every_node_when_redis_comes_back(
    leader, open_cohort, persistent_redis, nodes, settings
):
    first, second = nodes
    browser = requests.Session()
    sign_in(browser, first, leader.user, settings)
    for node in (first, second, first, second):  # kept by each node, for this cookie
        page = dashboard(browser, node)
        assert NOT_ENROLLED in page.text
    assert any(b"page:dashboard" in key for key in persistent_redis.stored_keys())

    persistent_redis.kill()
    enrolled = browser.post(
        f"{first.url}/cohorts/{open_cohort.pk}/enrol/",
        {"csrfmiddlewaretoken": csrf_token(page.text)},
        headers={"Referer": first.url + "/"},
        allow_redirects=False,
        timeout=10,
    )
    assert enrolled.status_code == 302
    # A command writes meanwhile too (this process, with the same settings).
    leader.name = "Søren Omdøbt"
    leader.save()
    persistent_redis.start()
    assert any(b"page:dashboard" in key for key in persistent_redis.stored_keys()), "data kept"

    # Past the few seconds a node backs off after a failed call, on the node that made
    # no write as on the one that did.
    deadline = time.monotonic() + 7
    while time.monotonic() < deadline:
        for node in (second, first):
            page = dashboard(browser, node)
            assert page.status_code == 200
            assert NOT_ENROLLED not in page.text, f"{node.url} served the page from before"
            assert "Søren Omdøbt" in page.text
        time.sleep(0.5)
