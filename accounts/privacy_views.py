"""Pages for personal data and account safety.

A leader sees what the portal holds about them and downloads it (JSON, CSV). HR
anonymises a leader who has left, and lifts a sign-in block (django-axes) before
its hour is over. Routes live in ``portal/urls.py`` under the ``privacy`` namespace.
"""

from __future__ import annotations

import csv

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.personal_data import CSV_HEADER, personal_data, personal_data_rows
from accounts.privacy import AnonymisationError, anonymise_leader
from programme import clock
from programme.models import Leader


def _get_own_leader(request: HttpRequest) -> Leader:
    """The signed-in user's own leader profile; nobody reaches another's data."""
    leader = Leader.objects.select_related("user", "department").filter(user=request.user).first()
    if leader is None:
        raise PermissionDenied
    return leader


def _require_hr(request: HttpRequest) -> None:
    if not request.user.is_hr:
        raise PermissionDenied


def _filename(leader: Leader, extension: str) -> str:
    return f"personal-data-{leader.employee_number}-{clock.today():%Y-%m-%d}.{extension}"


@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    leader = _get_own_leader(request)
    return render(
        request,
        "privacy/my_data.html",
        {"leader": leader, "retention_days": settings.ANONYMISE_AFTER_DAYS},
    )


@never_cache
@require_GET
def my_data_json(request: HttpRequest) -> HttpResponse:
    leader = _get_own_leader(request)
    response = JsonResponse(
        personal_data(leader), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(leader, "json")}"'
    return response


@never_cache
@require_GET
def my_data_csv(request: HttpRequest) -> HttpResponse:
    leader = _get_own_leader(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(leader, "csv")}"'
    response.write("\ufeff")  # so Excel reads the file as UTF-8 (æ, ø, å)
    writer = csv.writer(response, delimiter=";")
    writer.writerow([str(title) for title in CSV_HEADER])
    writer.writerows(personal_data_rows(personal_data(leader)))
    return response


@require_http_methods(["GET", "POST"])
def anonymise(request: HttpRequest, pk: int) -> HttpResponse:
    _require_hr(request)
    leader = get_object_or_404(Leader.objects.select_related("user", "department"), pk=pk)
    if request.method == "POST":
        name = leader.name
        try:
            anonymise_leader(leader)
        except AnonymisationError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("%(name)s has been anonymised.") % {"name": name})
            return redirect("admin:programme_leader_change", leader.pk)
    return render(request, "privacy/anonymise.html", {"leader": leader})


def _locked_out_attempts():
    # axes counts in real time, not the portal's clock.
    return AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME,
    ).order_by("-attempt_time")


@require_GET
def lockouts(request: HttpRequest) -> HttpResponse:
    _require_hr(request)
    return render(request, "privacy/lockouts.html", {"attempts": _locked_out_attempts()})


@require_POST
def unlock(request: HttpRequest, pk: int) -> HttpResponse:
    _require_hr(request)
    attempt = get_object_or_404(_locked_out_attempts(), pk=pk)
    axes_reset(ip=attempt.ip_address, username=attempt.username)
    messages.success(request, _("%(username)s can sign in again.") % {"username": attempt.username})
    return redirect("privacy:lockouts")
