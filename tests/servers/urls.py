"""The portal's URLs plus two views that fail on purpose, for tests/test_gunicorn.py only."""

import time

from django.contrib.auth.decorators import login_not_required
from django.urls import include, path


@login_not_required
def crash(request):
    raise RuntimeError("a bug, on purpose")


@login_not_required
def hang(request):
    time.sleep(60)  # longer than the worker timeout the test gives gunicorn


urlpatterns = [
    path("test/crash", crash),
    path("test/hang", hang),
    path("", include("portal.urls")),
]
