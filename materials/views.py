"""The leader's materials page and a material's file."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from materials import rules
from materials.models import Material
from programme import clock
from programme.access import signed_in_leader


@require_GET
def material_list(request: HttpRequest) -> HttpResponse:
    leader = signed_in_leader(request)
    now = clock.now()
    shown = rules.for_leader(leader)
    return render(
        request,
        "materials/list.html",
        {
            "visible": [s for s in shown if s.visible(now)],
            "coming": [s for s in shown if not s.visible(now)],
        },
    )


@require_GET
def material_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The file, to a leader it is shown to now and to HR; a 404 to any other leader."""
    material = get_object_or_404(Material, pk=pk)
    if not request.user.is_hr:
        leader = getattr(request.user, "leader", None)
        if leader is None:
            raise PermissionDenied
        if not rules.may_open(leader, material, clock.now()):
            raise Http404("No such material for you.")
    if not material.file:
        raise Http404("This material is a link.")
    name = material.file.name.rsplit("/", 1)[-1]
    return FileResponse(material.file.open("rb"), as_attachment=True, filename=name)
