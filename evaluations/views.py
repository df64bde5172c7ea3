"""The leader's evaluation of a session, and the averages for HR and the facilitator.

A leader's answers are shown to nobody else: the pages for HR and facilitators read
only :mod:`evaluations.rules`' averages over whole blocks."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from evaluations import rules
from evaluations.forms import EvaluationForm
from evaluations.models import Evaluation
from programme import clock
from programme.access import signed_in_leader
from programme.models import current_programme
from reports.disclosure import min_group


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    """A session the leader attended: the form while open, or their own answers (of this
    module: a leader evaluates one session a module)."""
    leader = signed_in_leader(request)
    session = get_object_or_404(rules.attended_sessions(leader), pk=pk)
    now = clock.now()
    own = (
        Evaluation.objects.filter(leader=leader, module=session.module_id)
        .select_related("session__cohort")
        .first()
    )
    is_open = own is None and rules.is_open(session, now)
    form = EvaluationForm(request.POST if request.method == "POST" and is_open else None)
    if form.is_valid():
        try:
            rules.submit(leader=leader, session=session, now=now, **form.cleaned_data)
        except rules.EvaluationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Thank you: your evaluation is saved."))
        return redirect("dashboard:dashboard")
    context = {
        "session": session,
        "own": own,
        "is_open": is_open,
        "closes_at": rules.closes_at(session),
        "form": form,
        "min_group": min_group(),
    }
    return render(request, "evaluations/answer.html", context, status=400 if form.errors else 200)


@require_GET
def hr_overview(request: HttpRequest) -> HttpResponse:
    """HR: the averages per module, facilitator and session of the current programme."""
    if not request.user.is_hr:
        raise PermissionDenied
    programme = current_programme(request)
    overview = None
    if programme is not None:
        sessions = list(rules.ended_sessions(programme, clock.now()))
        overview = rules.overview(programme, sessions, everything=True)
    return render(
        request,
        "evaluations/overview.html",
        {"programme": programme, "overview": overview, "min_group": min_group()},
    )


@require_GET
def facilitator_overview(request: HttpRequest) -> HttpResponse:
    """A facilitator: the averages of their own sessions that have ended, and together."""
    if getattr(request.user, "facilitator", None) is None:
        raise PermissionDenied
    programme = current_programme(request)
    overview = None
    if programme is not None:
        sessions = list(
            rules.ended_sessions(programme, clock.now()).filter(
                facilitator=request.user.facilitator
            )
        )
        overview = rules.overview(programme, sessions, everything=False)
    return render(
        request,
        "evaluations/mine.html",
        {"programme": programme, "overview": overview, "min_group": min_group()},
    )


@require_GET
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One session's averages and texts, to HR and its facilitator; a 404 to others."""
    session = get_object_or_404(rules.sessions_for(request.user), pk=pk)
    return render(
        request,
        "evaluations/session.html",
        {"session": session, "row": rules.session_averages(session), "min_group": min_group()},
    )
