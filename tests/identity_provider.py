"""Real OpenID Connect providers for the tests, on 127.0.0.1.

oidc-provider-mock (below, in a thread) for most tests, and django-oauth-toolkit's
provider (:func:`running_toolkit_provider`, in a process of its own) where the provider
must behave as a real one: PKCE enforced, a client secret checked, a login session of
its own that RP-initiated logout ends, claims in the ID token that UserInfo lacks.

The provider (a Flask app from PyPI) runs in a thread with its own HTTP server; the
portal talks to it over HTTP exactly as it talks to Microsoft Entra ID. The provider
does not verify PKCE itself, so every request it receives is recorded, and the tests
check the code challenge against the verifier the portal sent.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import oidc_provider_mock
import requests
import werkzeug.serving
from werkzeug.wrappers import Request

CLIENT_ID = "ledelsesportal"
CLIENT_SECRET = "test-client-secret"  # noqa: S105


@dataclass
class Provider:
    url: str
    requests: list[tuple[str, dict]] = field(default_factory=list)

    def add_person(self, sub: str, **claims) -> None:
        """The provider's directory: who can sign in there, with which claims."""
        response = requests.put(f"{self.url}/users/{quote(sub)}", json=claims, timeout=10)
        assert response.status_code == 204, response.text

    def received(self, path: str) -> list[dict]:
        return [params for seen, params in self.requests if seen == path]


class Recorder:
    """WSGI middleware: remember each request's path and parameters (query and form)."""

    def __init__(self, app, provider: Provider):
        self.app = app
        self.provider = provider

    def __call__(self, environ, start_response):
        request = Request(environ)
        params = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":
            body = request.get_data()
            # The provider reads the body again: give it a fresh stream.
            environ["wsgi.input"] = io.BytesIO(body)
            params.update({k: v[-1] for k, v in parse_qs(body.decode()).items()})
        self.provider.requests.append((request.path, params))
        return self.app(environ, start_response)


@contextmanager
def running_provider() -> Iterator[Provider]:
    # The provider speaks plain HTTP on loopback; authlib refuses that unless told.
    os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
    provider = Provider(url="")
    app = oidc_provider_mock.app(require_nonce=True)
    server = werkzeug.serving.make_server("127.0.0.1", 0, Recorder(app, provider), threaded=True)
    provider.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


# -- A provider as an IT department runs one: django-oauth-toolkit, in its own process ---

TOOLKIT_CLIENT_SECRET = "toolkit-client-secret"  # noqa: S105
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class ToolkitProvider:
    """django-oauth-toolkit's OpenID provider (tests/servers/provider.py): enforces PKCE,
    keeps its own login session, offers ``end_session_endpoint``, signs with RS256."""

    url: str
    people: dict

    def sign_in(self, browser: requests.Session, authorize_url: str, username: str) -> str:
        """At the provider, as a browser: its sign-in form, then back to the portal.
        Returns the callback path with code and state."""
        form = browser.get(authorize_url, timeout=10)
        assert "Test provider: sign in" in form.text, form.text[:500]
        token = browser.cookies["provider_csrftoken"]
        response = browser.post(
            form.url,
            {
                "username": username,
                "password": self.people[username]["password"],
                "csrfmiddlewaretoken": token,
                "next": parse_qs(urlsplit(form.url).query)["next"][0],
            },
            headers={"Referer": form.url},
            timeout=10,
            allow_redirects=False,
        )
        assert response.status_code == 302, response.text[:500]
        back = browser.get(self.url + response.headers["Location"], allow_redirects=False)
        assert back.status_code == 302, back.text[:500]
        location = urlsplit(back.headers["Location"])
        return f"{location.path}?{location.query}"


@contextmanager
def running_toolkit_provider(
    people: dict, *, portal_url: str = "http://testserver", tmp_dir: Path
) -> Iterator[ToolkitProvider]:
    """``people``: username -> {"password", "claims", "id_token_only": [claim names]}."""
    config = tmp_dir / "provider.json"
    config.write_text(
        json.dumps(
            {
                "client_id": CLIENT_ID,
                "client_secret": TOOLKIT_CLIENT_SECRET,
                "redirect_uris": [portal_url + "/accounts/sso/callback/"],
                "post_logout_redirect_uris": [portal_url + "/accounts/login/"],
                "people": people,
            }
        )
    )
    env = {
        **os.environ,
        "PROVIDER_CONFIG": str(config),
        "PROVIDER_DB": str(tmp_dir / "provider.sqlite3"),
        "DJANGO_SETTINGS_MODULE": "tests.servers.provider_settings",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.servers.provider"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("PORT "), f"the provider did not start: {line!r}"
        yield ToolkitProvider(url=f"http://127.0.0.1:{line.split()[1]}", people=people)
    finally:
        process.terminate()
        process.wait(timeout=10)
