"""The portal's URLs plus a bare view for the load benchmark (bench/load.py).

The bare view answers a fixed response through the same middleware as every page
(sessions, authentication, CSP, axes, ...): the framework's floor on this machine.
"""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import include, path


@login_not_required
def bare(request):
    return HttpResponse(b"ok\n", content_type="text/plain")


urlpatterns = [
    path("bench/bare", bare),
    path("", include("portal.urls")),
]
