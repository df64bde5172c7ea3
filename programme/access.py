"""Who the signed-in person is to the leaders' pages.

Each page finds its objects through the signed-in leader, so another leader's object is
a 404 and an id changed in a URL reveals nothing.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from programme.models import Leader


def signed_in_leader(request: HttpRequest) -> Leader:
    """The signed-in user's leader profile; HR and others without one may not book."""
    leader = getattr(request.user, "leader", None)
    if leader is None:
        raise PermissionDenied
    return leader
