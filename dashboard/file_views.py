"""The leader's files: calendar files (one session, the whole schedule) and the
kursusbevis, with its public check. Objects come through the access helpers of
:mod:`dashboard.views`."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from dashboard.views import get_session
from programme import calendar
from programme.access import signed_in_leader
from programme.models import Certificate, current_programme
from rooms import certificates

# Calendar files.


def _ics_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def session_ics(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session(pk)
    content = calendar.build_calendar([session], name=session.module.title)
    return _ics_response(content, f"digital-ledelse-{session.pk}.ics")


@require_GET
def schedule_ics(request: HttpRequest) -> HttpResponse:
    """The leader's whole schedule: their cohort's sessions and their make-ups."""
    leader = signed_in_leader(request)
    programme = current_programme(request)
    if programme is None:
        raise Http404
    content = calendar.build_calendar(calendar.schedule(leader, programme), name=programme.name)
    return _ics_response(content, "digital-ledelse.ics")


# The kursusbevis.


@require_GET
def certificate_pdf(request: HttpRequest) -> HttpResponse:
    """The signed-in leader's certificate, once they completed the programme."""
    leader = signed_in_leader(request)
    programme = current_programme(request)
    if programme is None:
        raise Http404
    try:
        certificate, progress = certificates.issue(leader=leader, programme=programme)
    except certificates.NotCompleted as exc:
        raise Http404 from exc
    return certificate_response(certificate, progress)


def certificate_response(certificate, progress) -> HttpResponse:
    response = HttpResponse(
        certificates.render_pdf(certificate, progress), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="{certificates.filename(certificate)}"'
    return response


@login_not_required
@require_GET
def verify_certificate(request: HttpRequest, code: str) -> HttpResponse:
    """Public: whether a certificate is genuine, with only name, programme and date."""
    certificate = get_object_or_404(
        Certificate.objects.select_related("leader", "programme"), code=code.upper()
    )
    return render(request, "certificates/verify.html", {"certificate": certificate})
