"""HR's start page: what needs doing today, from stored counts, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from approvals import rules as approval
from programme import clock
from programme.models import Attendance, Cohort, Programme, Session, current_programme
from programme.progress import closed_days_in_words, registration_due
from reports import forecast, tallies
from reports.rules import full_scope


def _sessions(programme: Programme):
    """The programme's sessions with ``expected`` (seats taken) and ``recorded`` (attendance)."""
    recorded = (
        Attendance.objects.filter(session=OuterRef("pk"))
        .order_by()
        .values("session")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Session.objects.with_free_seats()
        .filter(module__programme=programme)
        .annotate(
            recorded=Coalesce(Subquery(recorded), 0),
            expected=F("cohort__capacity") - F("free_seats") - F("seats_reserved"),
        )
        .select_related("cohort", "module")
        .order_by("starts_at", "pk")
    )


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    if not request.user.is_hr:
        raise PermissionDenied
    programme = current_programme(request)
    if programme is None:
        return render(request, "hr/start.html", {"programme": None})
    now = clock.now()
    today = timezone.localdate(now)
    midnight = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    week = list(
        _sessions(programme).filter(
            starts_at__gte=midnight, starts_at__lt=midnight + dt.timedelta(days=7)
        )
    )
    unrecorded = list(_sessions(programme).filter(ends_at__lt=now, recorded=0))
    for session in unrecorded:
        # From then on its leaders count as having missed it (programme/progress/).
        session.due = registration_due(session.ends_at)
    waitlists = list(
        Cohort.objects.with_seats()
        .filter(programme=programme, waitlist_length__gt=0)
        .order_by("name", "pk")
    )
    # Requests for a place awaiting an answer, oldest first; HR may decide any of them.
    requests = (
        list(approval.open_requests(full_scope(), request.user)) if approval.required() else []
    )
    for item in requests:
        item.is_unanswered = item.unanswered(now)
    # The report's totals and the forecast's summary, from the same kept counts.
    counted = tallies.whole(programme, now)
    _rows, total = tallies.department_rows(counted, by_unit=True)
    return render(
        request,
        "hr/start.html",
        {
            "programme": programme,
            "forecast": forecast.summary(full_scope(), programme, now, counted=counted),
            "now": now,
            "today": [s for s in week if timezone.localdate(s.starts_at) == today],
            "later": [s for s in week if timezone.localdate(s.starts_at) != today],
            "unrecorded": unrecorded,
            "waitlists": waitlists,
            "asks_approval": approval.required(),
            "place_requests": requests,
            "reminder_days": settings.APPROVAL_REMINDER_DAYS,
            "total": total,
            "grace_days": settings.ATTENDANCE_GRACE_WORKING_DAYS,
            "closed_days": closed_days_in_words(),
        },
    )
