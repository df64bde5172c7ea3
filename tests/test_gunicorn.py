"""The portal in a real gunicorn, as ``make serve`` runs it: what gunicorn itself sends.

No ``Server: gunicorn`` header, and the portal's own Danish error page - never
gunicorn's bare English "Internal Server Error" - when a view fails or when gunicorn
stops a worker that ran past its timeout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.servers.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def fetch(url: str, timeout: float = 20):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    database = tmp_path_factory.mktemp("gunicorn") / "db.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.servers.site",
        "DEBUG": "false",
        "SECRET_KEY": "gunicorn-test-" + "k3y" * 20,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"sqlite:///{database}",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_TIMEOUT": "2",
        "GUNICORN_ACCESS_LOG": "/dev/null",
        "LOG_LEVEL": "warning",
    }
    env.pop("DJANGO_ENV", None)
    process = subprocess.Popen(
        [str(GUNICORN), "--config", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if fetch(url + "/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail(f"gunicorn did not start: {process.stderr.read1().decode()}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_gunicorn_does_not_name_itself(server):
    status, headers, _body = fetch(server + "/healthz")
    assert status == 200
    assert "gunicorn" not in headers.get("Server", "").lower()


def test_a_failing_view_gets_the_portals_danish_error_page(server):
    status, _headers, body = fetch(server + "/test/crash")
    assert status == 500
    assert "Der opstod en fejl" in body.decode()


def test_a_worker_stopped_for_running_too_long_answers_with_the_portals_page(server):
    started = time.monotonic()
    status, headers, body = fetch(server + "/test/hang")
    assert status == 500
    assert "Der opstod en fejl" in body.decode()
    assert "Internal Server Error" not in body.decode()
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert time.monotonic() - started < 30
