"""A real OpenID Connect provider for the tests: oidc-provider-mock on 127.0.0.1.

The provider (a Flask app from PyPI) runs in a thread with its own HTTP server; the
portal talks to it over HTTP exactly as it talks to Microsoft Entra ID. The provider
does not verify PKCE itself, so every request it receives is recorded, and the tests
check the code challenge against the verifier the portal sent.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote

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
