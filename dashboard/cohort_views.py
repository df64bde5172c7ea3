"""The cohort pages: the list of a programme's cohorts, one cohort, and the buttons that
take and give up a place in one.

Built on the leaders' pages' access helpers and shared queries (:mod:`dashboard.views`),
so the cohort pages and the dashboard tell a leader the same about their place; seats
change only through :mod:`booking`.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, F, OuterRef, QuerySet, Subquery, When
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

import booking
from approvals import rules as approval
from dashboard.views import (
    active_enrolment,
    enrolment_open,
    get_cohort,
    get_enrolment_for_leader,
    waitlist_has_closed,
)
from programme import clock, pagecache
from programme.access import signed_in_leader
from programme.models import Cohort, Enrolment, Programme, Session, current_programme


def _cohorts_with_dates(programme: Programme, today) -> QuerySet[Cohort]:
    """The programme's cohorts, open ones first (soonest deadline first), then closed ones."""
    last = Session.objects.filter(cohort=OuterRef("pk")).order_by("-ends_at")
    return (
        Cohort.objects.filter(programme=programme)
        .with_seats()
        .annotate(
            seats_free=F("capacity") - F("seats_taken"),
            first_session=F("starts_at"),
            last_session=Subquery(last.values("ends_at")[:1]),
            closed=Case(When(enrolment_deadline__lt=today, then=1), default=0),
        )
        .order_by("closed", "enrolment_deadline", "pk")
    )


def _redirect_back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    """Back to the page the button was on, if it is one of ours."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return redirect(fallback)


COHORTS_PER_PAGE = 20


@pagecache.kept_page
def cohort_list(request: HttpRequest) -> HttpResponse:
    leader = getattr(request.user, "leader", None)
    programme = current_programme(request)
    today = clock.today()
    now = clock.now()
    cohorts = _cohorts_with_dates(programme, today) if programme else Cohort.objects.none()
    page = Paginator(cohorts, COHORTS_PER_PAGE).get_page(request.GET.get("page"))
    enrolment = active_enrolment(leader, programme)
    waitlist_closed = waitlist_has_closed(enrolment, now)
    return render(
        request,
        "dashboard/cohort_list.html",
        {
            "leader": leader,
            "programme": programme,
            "cohorts": page.object_list,
            "page": page,
            "enrolment": enrolment,
            "waitlist_closed": waitlist_closed,
            # Asked only of a leader who would be told to choose a cohort.
            "enrolment_open": leader is None
            or programme is None
            or (enrolment is not None and not waitlist_closed)
            or enrolment_open(programme, now),
            "programme_ended": programme is not None and programme.ends_on < today,
            "today": today,
            "now": now,
        },
    )


@pagecache.kept_page
def cohort_detail(request: HttpRequest, pk: int) -> HttpResponse:
    leader = getattr(request.user, "leader", None)
    cohort = get_object_or_404(
        Cohort.objects.with_seats()
        .annotate(seats_free=F("capacity") - F("seats_taken"))
        .select_related("programme"),
        pk=pk,
    )
    now = clock.now()
    enrolment = active_enrolment(leader, cohort.programme)
    return render(
        request,
        "dashboard/cohort_detail.html",
        {
            "leader": leader,
            "cohort": cohort,
            "sessions": cohort.sessions.select_related(
                "module", "location", "facilitator"
            ).order_by("starts_at"),
            "enrolment": enrolment,
            "waitlist_position": booking.waitlist_position(enrolment),
            "waitlist_closed": waitlist_has_closed(enrolment, now),
            "deadline_passed": cohort.deadline_passed(now),
            "started": cohort.has_started(now),
            "asks_approval": approval.required(),
            "now": now,
        },
    )


# Buttons: POST only (CSRF by the middleware), then back with a message.


@require_POST
def enrol(request: HttpRequest, pk: int) -> HttpResponse:
    leader = signed_in_leader(request)
    cohort = get_cohort(pk)
    if approval.required():
        return _ask_for_place(request, leader, cohort)
    try:
        enrolment = booking.enrol(leader=leader, cohort=cohort)
    except booking.BookingError as exc:
        messages.error(request, str(exc))
        return redirect(cohort)
    if enrolment.status == Enrolment.Status.ENROLLED:
        messages.success(
            request,
            _("You are enrolled in %(cohort)s. A confirmation is on its way to your e-mail.")
            % {"cohort": cohort.name},
        )
    else:
        messages.info(
            request,
            _(
                "%(cohort)s is full, so you are number %(position)s on its waitlist. "
                "We will write to you if a seat becomes free."
            )
            % {"cohort": cohort.name, "position": enrolment.position},
        )
    return redirect("dashboard:dashboard")


def _ask_for_place(request: HttpRequest, leader, cohort: Cohort) -> HttpResponse:
    """With approval on, "Tilmeld mig" asks the leader's manager (approvals.rules)."""
    try:
        approval.request_place(leader=leader, cohort=cohort, now=clock.now())
    except approval.ApprovalError as exc:
        messages.error(request, str(exc))
        return redirect(cohort)
    messages.success(
        request,
        _(
            "You have asked for a place in %(cohort)s. Your manager decides, and we will "
            "write to you; you hold no seat until the request is approved."
        )
        % {"cohort": cohort.name},
    )
    return redirect("dashboard:dashboard")


@require_POST
def withdraw_request(request: HttpRequest, pk: int) -> HttpResponse:
    leader = signed_in_leader(request)
    place_request = approval.request_of_leader(leader, pk)
    try:
        approval.withdraw(request=place_request, now=clock.now())
    except approval.ApprovalError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Your request for a place in %(cohort)s is withdrawn.")
            % {"cohort": place_request.cohort.name},
        )
    return redirect("dashboard:dashboard")


@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = get_enrolment_for_leader(request, pk)
    try:
        booking.cancel(enrolment=enrolment)
    except booking.BookingError as exc:
        messages.error(request, str(exc))
    else:
        if enrolment.status == Enrolment.Status.WAITLISTED:
            text = _("You have left the waitlist for %(cohort)s. Choose a cohort on this page.")
        else:
            text = _(
                "Your place in %(cohort)s is cancelled. You can choose another cohort on this page."
            )
        messages.success(request, text % {"cohort": enrolment.cohort.name})
        return redirect("dashboard:cohort_list")
    return _redirect_back(request, "dashboard:dashboard")
