"""Settings for tests that start the portal in a real gunicorn (tests/test_gunicorn.py):
the portal's settings plus two views that misbehave on purpose (tests/servers/urls.py).

The portal refuses to run with DEBUG off on anything but PostgreSQL. This test server
runs on a throwaway SQLite file, so it loads the settings as for development and then
turns DEBUG off: the error pages, headers and timeouts it checks do not depend on the
database, and `make test` needs no PostgreSQL.
"""

import os

os.environ["DEBUG"] = "true"

from portal.settings import *  # noqa: E402, F403

DEBUG = False
ROOT_URLCONF = "tests.servers.urls"
