"""The learning group's page: who is in it, what they have shared, and when and where it
meets next."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from groups.access import visible_group
from outcomes import catalogue
from programme import clock
from programme.models import Leader


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    group = visible_group(request, pk)
    # Members who have left the municipality are no longer shown to the group (nor what
    # they shared); their membership stays for HR's history until they are anonymised.
    here = Leader.here_on(clock.today())
    members = (
        group.memberships.filter(leader__in=Leader.objects.filter(here))
        .select_related("leader__department__parent")
        .order_by("leader__name", "pk")
    )
    rows = [
        {
            "leader": m.leader,
            "department": m.leader.department,
            "area": m.leader.department.parent or m.leader.department,
            "is_me": m.leader.user_id == request.user.pk,
        }
        for m in members
    ]
    shared = catalogue.shared_by(group.programme, [row["leader"].pk for row in rows])
    return render(
        request,
        "groups/detail.html",
        {"group": group, "members": rows, "initiatives": shared},
    )
