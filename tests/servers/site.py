"""Settings for tests that start the portal in a real gunicorn (tests/test_gunicorn.py):
the portal's settings plus two views that misbehave on purpose (tests/servers/urls.py)."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "tests.servers.urls"
