"""Settings for the load benchmark only: the portal's settings plus one bare view
(bench/urls.py). They exist only under ``DJANGO_SETTINGS_MODULE=bench.site``, never in
production."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
