"""An OpenID Connect provider for the tests, in its own process (tests/identity_provider.py
starts it): django-oauth-toolkit (PyPI) with tests/servers/provider_settings.py.

``PROVIDER_CONFIG=config.json PROVIDER_DB=db.sqlite3 python -m tests.servers.provider``
migrates a fresh SQLite database, registers the portal as a confidential client,
creates the people (username, password, claims) and serves on a free port of
127.0.0.1, printing ``PORT <n>`` when it listens.
A person's ``id_token_only`` claims are left out of the UserInfo answer, as Microsoft
Entra ID does with optional claims.
"""

from __future__ import annotations

import json
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.servers.provider_settings")

import django  # noqa: E402

django.setup()  # run as a script, the validator below needs the apps loaded

from oauth2_provider.oauth2_validators import OAuth2Validator  # noqa: E402


def _config() -> dict:
    with open(os.environ["PROVIDER_CONFIG"]) as file:
        return json.load(file)


CONFIG: dict = _config()


class PeopleValidator(OAuth2Validator):
    """Claims from the configuration's people, every one of them (no scope filter)."""

    oidc_claim_scope = None

    def _person(self, request) -> dict:
        return CONFIG["people"].get(request.user.username, {})

    def get_additional_claims(self, request):
        return dict(self._person(request).get("claims", {}))

    def get_userinfo_claims(self, request):
        claims = super().get_userinfo_claims(request)
        for name in self._person(request).get("id_token_only", []):
            claims.pop(name, None)
        return claims


def main() -> None:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import Application
    from werkzeug.serving import make_server

    call_command("migrate", verbosity=0)
    Application.objects.create(
        name="Ledelsesportalen",
        client_id=CONFIG["client_id"],
        client_secret=CONFIG["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(CONFIG["redirect_uris"]),
        post_logout_redirect_uris=" ".join(CONFIG["post_logout_redirect_uris"]),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    for username, person in CONFIG["people"].items():
        User.objects.create_user(username=username, password=person["password"])
    server = make_server("127.0.0.1", 0, get_wsgi_application(), threaded=True)
    print(f"PORT {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
