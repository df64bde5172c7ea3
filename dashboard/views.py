"""The leaders' pages: dashboard, make-ups and absences reported in advance.

The cohort pages, with enrolment, are in :mod:`dashboard.cohort_views`, and the calendar
files and the kursusbevis in :mod:`dashboard.file_views`, built on the access helpers
and shared queries here.

Every view gets its object through the one access helper for its type, calls
:mod:`booking` to change seats, and redirects with a message. The
view decides the queries; the templates only walk what was fetched, so each
page runs the same number of queries however many leaders and cohorts exist.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.models import Exists, F, JSONField, OuterRef, Subquery, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import booking
from approvals import rules as approval
from dashboard import feeds
from dashboard.forms import AbsenceForm
from evaluations import rules as evaluations
from groups.models import GroupMembership
from outcomes import assessment
from outcomes.models import AssessmentResponse, Initiative
from programme import absences, clock, pagecache
from programme.access import signed_in_leader
from programme.models import (
    Attendance,
    Cohort,
    Enrolment,
    Facilitator,
    Leader,
    MakeUpBooking,
    Programme,
    Session,
    Standing,
    current_programme,
)
from programme.progress import ModuleState, progress_from_stored


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """For the load balancer: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


# Access helpers: one per object type. Another leader's objects are a 404, so an
# id changed in a URL reveals nothing (the leader: programme.access).


def get_cohort(pk: int) -> Cohort:
    return get_object_or_404(Cohort.objects.select_related("programme"), pk=pk)


def get_session(pk: int) -> Session:
    return get_object_or_404(
        Session.objects.select_related("module", "cohort", "location", "facilitator"), pk=pk
    )


def get_enrolment_for_leader(request: HttpRequest, pk: int) -> Enrolment:
    leader = signed_in_leader(request)
    return get_object_or_404(Enrolment.objects.select_related("cohort"), pk=pk, leader=leader)


def _get_makeup_for_leader(request: HttpRequest, pk: int) -> MakeUpBooking:
    leader = signed_in_leader(request)
    return get_object_or_404(
        MakeUpBooking.objects.select_related("session__cohort", "session__module"),
        pk=pk,
        leader=leader,
    )


# Queries shared by the pages.


def active_enrolment(leader: Leader | None, programme: Programme | None) -> Enrolment | None:
    """The leader's place, with ``cohort_starts_at`` (its first session) for the waitlist rule,
    and the dates the self-assessment's rounds open and close by."""
    if leader is None or programme is None:
        return None
    first = Session.objects.filter(cohort=OuterRef("cohort")).order_by("starts_at")
    last = Session.objects.filter(cohort=OuterRef("cohort")).order_by("-starts_at")
    return (
        Enrolment.objects.filter(leader=leader, programme=programme, status__in=Enrolment.ACTIVE)
        .annotate(
            cohort_starts_at=Subquery(first.values("starts_at")[:1]),
            # The self-assessment's windows (outcomes.assessment.windows).
            first_session_ends_at=Subquery(first.values("ends_at")[:1]),
            last_session_starts_at=Subquery(last.values("starts_at")[:1]),
        )
        .select_related("cohort")
        .first()
    )


def waitlist_has_closed(enrolment: Enrolment | None, now) -> bool:
    """A waiting place in a cohort that has begun: nobody is promoted any more."""
    return (
        enrolment is not None
        and enrolment.status == Enrolment.Status.WAITLISTED
        and enrolment.cohort_starts_at is not None
        and enrolment.cohort_starts_at <= now
    )


MAKEUP_CHOICES_PER_MODULE = 5


def _makeup_choices(modules: list, enrolment: Enrolment | None, now) -> dict[int, list[Session]]:
    """The first few sessions with a free seat for each module, in other cohorts."""
    options: dict[int, list[Session]] = defaultdict(list)
    if not modules:
        return options
    found = Session.objects.filter(module__in=modules, starts_at__gt=now)
    if enrolment and enrolment.status == Enrolment.Status.ENROLLED:
        found = found.exclude(cohort_id=enrolment.cohort_id)
    # The first few free sessions per module: at national scale there are hundreds.
    found = (
        found.with_free_seats()
        .filter(free_seats__gt=0)
        .annotate(rank=Window(RowNumber(), partition_by=F("module"), order_by=F("starts_at").asc()))
        .filter(rank__lte=MAKEUP_CHOICES_PER_MODULE)
        .select_related("cohort", "module", "location")
        .order_by("starts_at")
    )
    for session in found:
        options[session.module_id].append(session)
    return options


def enrolment_open(programme: Programme, now) -> bool:
    """Whether any cohort of the programme still takes enrolments (its deadline is not
    over): the cohort list's "Closed" is the same test."""
    return Cohort.objects.filter(
        programme=programme, enrolment_deadline__gte=timezone.localdate(now)
    ).exists()


# Pages.


def _start_page_of(user) -> str | None:
    """Where someone without a leader profile starts: their own page, not a dead end."""
    if user.is_hr:
        return "hr:start"  # HR's day starts on its own page
    if Facilitator.objects.filter(user=user).exists():
        return "checkin:sessions"  # the sessions they run, with check-in
    if user.manages_departments:
        return "managers:team"  # their leaders, "Mit team"
    return None


def dashboard(request: HttpRequest) -> HttpResponse:
    leader = getattr(request.user, "leader", None)
    if leader is None and (start := _start_page_of(request.user)):
        return redirect(start)
    now = clock.now()
    # The kept page, in one cache round trip that brings the programme too.
    kept = pagecache.dashboard(request, leader.pk, now) if leader is not None else None
    programme = current_programme(request)
    page = {"leader": leader, "programme": programme, "feed": feeds.addresses(leader)}
    if leader is None or programme is None:
        return render(request, "dashboard/dashboard.html", page)
    if kept is not None and kept.html is not None:
        return render(request, "dashboard/dashboard.html", {**page, "body": mark_safe(kept.html)})  # noqa: S308 - our own rendering
    if kept is None:
        body = _dashboard_body(request, leader, programme, now)
    else:
        # One request at a time builds a stale copy; the others take it when it is kept.
        with kept.rebuilding(now) as body:
            if body is None:
                body = _dashboard_body(request, leader, programme, now, kept)
    return render(request, "dashboard/dashboard.html", {**page, "body": mark_safe(body)})  # noqa: S308 - our own rendering


def _dashboard_body(request, leader, programme, now, kept=None) -> str:
    """The dashboard's body rendered, and kept when ``kept`` (the cache is on)."""
    context, options = _dashboard_context(leader, programme, now)
    body = render_to_string("dashboard/_dashboard_body.html", context, request)
    if kept is not None:
        _keep_dashboard(kept, body, context, options, now)
    return body


def _dashboard_context(
    leader: Leader, programme: Programme, now: dt.datetime
) -> tuple[dict, dict[int, list[Session]]]:
    """The dashboard body's context, and the make-up sessions offered for each module."""
    # Where the leader stands comes from the stored standing, as in every report; it
    # comes with the initiative, the learning group and the rounds answered.
    modules = list(programme.modules.order_by("order"))
    has_initiative, group, answered, stored = _leader_row(leader, programme)
    progress = progress_from_stored(modules, stored, now)
    enrolment = active_enrolment(leader, programme)
    sessions = _cohort_sessions(enrolment)
    makeups = _makeups(leader, programme)
    _add_attendances(progress, leader, programme)
    _add_absence_notices(leader, sessions, makeups)
    booked_modules = {m.session.module_id for m in makeups if m.session.starts_at > now}
    to_make_up = [
        m.module
        for m in progress.modules
        if (m.behind or _excused_ahead(m)) and m.module.pk not in booked_modules
    ]
    options = _makeup_choices(to_make_up, enrolment, now)
    ended = _closed_waitlist_place(leader, programme) if enrolment is None else None
    waitlist_closed = waitlist_has_closed(enrolment, now)
    window = assessment.open_round(programme, _seated(enrolment), now)
    place_request = (
        approval.shown_request(leader, programme)
        if enrolment is None and approval.required()
        else None
    )
    context = {
        "leader": leader,
        "programme": programme,
        "progress": progress,
        "assessment_window": window,
        "assessment_answered": window is not None and window.round in answered,
        "has_follow_up": AssessmentResponse.Round.FOLLOW_UP in answered,
        "has_initiative": has_initiative,
        "evaluations_waiting": evaluations.waiting(leader, now),
        "learning_group": group,
        "group_meets": group is not None
        and group["next_meeting"] is not None
        and group["next_meeting"] > now,
        "enrolment": enrolment,
        # With approval on: the leader's open request, or the last declined one.
        "place_request": place_request,
        "request_decided_by_hr": place_request is not None
        and place_request.is_open
        and not approval.has_deciders(leader),
        "waitlist_position": booking.waitlist_position(enrolment),
        "waitlist_closed": waitlist_closed,
        "closed_waitlist_place": ended,
        # "Choose a cohort" only while one takes enrolments; else the truth, and HR.
        "enrolment_open": (enrolment is not None and not waitlist_closed)
        or enrolment_open(programme, now),
        "programme_ended": programme.ends_on < timezone.localdate(now),
        "sessions": sessions,
        "next_session": next((s for s in sessions if s.starts_at > now), None),
        "makeups": makeups,
        "makeup_choices": [(module, options[module.pk]) for module in to_make_up],
        "awaiting": [m.module for m in progress.modules if m.state == ModuleState.AWAITING],
        "now": now,
    }
    return context, options


def _leader_row(leader: Leader, programme: Programme) -> tuple[bool, dict | None, set[str], dict]:
    """Whether the leader has registered an initiative, their learning group in the
    programme (its id, name, next meeting and place; None: not in one), the
    self-assessment rounds they have answered, and their standing's stored moments
    (:func:`programme.progress.progress_from_stored`), in one query.

    A leader is in at most one group a programme (the membership's unique constraint),
    so the membership's own ordering (by group and the leaders' names: four joins in
    each subquery) is left out: it cost more to plan than the query took to run."""
    membership = GroupMembership.objects.filter(leader=leader, programme=programme).order_by()
    responses = AssessmentResponse.objects.filter(leader=leader, programme=programme)

    def of_group(field: str) -> Subquery:
        return Subquery(membership.values(f"group__{field}")[:1])

    rounds = {f"round_{value}": value for value in AssessmentResponse.Round.values}
    row = (
        Leader.objects.filter(pk=leader.pk)
        .values(
            has_initiative=Exists(Initiative.objects.filter(leader=leader, programme=programme)),
            group_pk=of_group("pk"),
            group_name=of_group("name"),
            group_next_meeting=of_group("next_meeting"),
            group_place=of_group("place"),
            **{name: Exists(responses.filter(round=value)) for name, value in rounds.items()},
            stored=Subquery(
                Standing.objects.filter(leader=leader, programme=programme).values("modules")[:1],
                output_field=JSONField(),
            ),
        )
        .get()
    )
    answered = {value for name, value in rounds.items() if row[name]}
    group = {
        key.removeprefix("group_"): value for key, value in row.items() if key.startswith("group_")
    }
    return (
        row["has_initiative"],
        group if row["group_pk"] is not None else None,
        answered,
        row["stored"],
    )


def _seated(enrolment: Enrolment | None) -> Enrolment | None:
    """The enrolment if it is a seat (not a waiting place)."""
    return enrolment if enrolment and enrolment.status == Enrolment.Status.ENROLLED else None


def _cohort_sessions(enrolment: Enrolment | None) -> list[Session]:
    """The sessions of the leader's cohort, in order."""
    if not enrolment:
        return []
    return list(
        enrolment.cohort.sessions.select_related("module", "location", "facilitator").order_by(
            "starts_at"
        )
    )


def _makeups(leader: Leader, programme: Programme) -> list[MakeUpBooking]:
    return list(
        MakeUpBooking.objects.filter(leader=leader, session__module__programme=programme)
        .select_related(
            "session__cohort", "session__module", "session__location", "session__facilitator"
        )
        .order_by("session__starts_at")
    )


def _add_attendances(progress, leader: Leader, programme: Programme) -> None:
    """Each module's attendance records, on the module's entry in ``progress``."""
    for attendance in Attendance.objects.filter(
        leader=leader, session__module__programme=programme
    ).select_related("session"):
        entry = progress.module(attendance.session.module_id)
        if entry is not None:
            entry.attendances.append(attendance)


def _excused_ahead(entry) -> bool:
    """A required module not done whose session the leader is excused from (an approved
    absence reported in advance): booking takes a make-up for it before the session."""
    return (
        entry.module.required
        and not entry.completed
        and any(a.status == Attendance.Status.EXCUSED for a in entry.attendances)
    )


def _add_absence_notices(leader: Leader, sessions: list[Session], makeups: list) -> None:
    """Each session's absence reported in advance (``absence``: None when there is none)."""
    notices = absences.open_notices(leader)
    for session in [*sessions, *(m.session for m in makeups)]:
        session.absence = notices.get(session.pk)


def _closed_waitlist_place(leader: Leader, programme: Programme) -> Enrolment | None:
    """The leader's last waiting place that ended because its cohort began."""
    return (
        Enrolment.objects.filter(
            leader=leader,
            programme=programme,
            end_reason=Enrolment.EndReason.WAITLIST_CLOSED,
        )
        .select_related("cohort")
        .order_by("-pk")
        .first()
    )


def _keep_dashboard(kept, body: str, context: dict, options, now: dt.datetime) -> None:
    """Keep the rendered body until the clock or someone's booking changes it."""
    enrolment = context["enrolment"]
    seated = _seated(enrolment)
    windows = assessment.windows(context["programme"], seated).values()
    kept.keep(
        body,
        until=_dashboard_changes(context, windows, options, now),
        now=now,
        # Other people's bookings show too: a waiting place's position moves with
        # theirs, and the make-up sessions offered with their seats.
        shared=bool(context["makeup_choices"]) or (enrolment is not None and seated is None),
    )


def _dashboard_changes(context: dict, windows, options, now) -> dt.datetime:
    """When the dashboard next changes by the clock alone."""
    moments = [s.starts_at for choices in options.values() for s in choices]
    if context["enrolment"] is not None:
        moments.append(context["enrolment"].cohort_starts_at)  # a waitlist closes
    for session in context["sessions"]:
        moments += [session.starts_at, session.ends_at]
    for makeup in context["makeups"]:
        moments += [makeup.session.starts_at, makeup.session.ends_at]
    for entry in context["progress"].modules:
        moments += [entry.expected_until, entry.missed_from]
    for window in windows:
        moments += [window.opens_at, window.closes_at]
    # An evaluation stops being asked for when it closes (it opens as its session ends).
    moments += [evaluations.closes_at(session) for session in context["evaluations_waiting"]]
    if context["learning_group"] is not None:  # its next meeting stops being next
        moments.append(context["learning_group"]["next_meeting"])
    return pagecache.next_change(moments, now)


# Buttons: POST only (CSRF by the middleware), then back with a message.


@require_POST
def book_makeup(request: HttpRequest, pk: int) -> HttpResponse:
    leader = signed_in_leader(request)
    session = get_session(pk)
    try:
        booking.book_makeup(leader=leader, session=session)
    except booking.BookingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("You have a seat at %(module)s with %(cohort)s.")
            % {"module": session.module.title, "cohort": session.cohort.name},
        )
    return redirect("dashboard:dashboard")


@require_POST
def cancel_makeup(request: HttpRequest, pk: int) -> HttpResponse:
    makeup = _get_makeup_for_leader(request, pk)
    try:
        booking.cancel_makeup(booking=makeup)
    except booking.BookingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Your make-up seat at %(module)s is cancelled.")
            % {"module": makeup.session.module.title},
        )
    return redirect("dashboard:dashboard")


@require_http_methods(["GET", "POST"])
def report_absence(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Meld afbud": the leader cannot come to one of their sessions; their manager or HR
    answers (``programme/absences.py``). Another leader's session is a 404."""
    leader = signed_in_leader(request)
    session = get_object_or_404(
        absences.reportable_sessions(leader).select_related("module", "cohort", "location"),
        pk=pk,
    )
    form = AbsenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            absences.report(leader=leader, session=session, **form.cleaned_data)
        except absences.AbsenceError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(
                request,
                _(
                    "Your absence from %(module)s on %(date)s is reported. Your manager or HR "
                    "will answer it; you see the answer here."
                )
                % {
                    "module": session.module.title,
                    "date": formats.date_format(
                        timezone.localtime(session.starts_at), "DATE_FORMAT"
                    ),
                },
            )
        return redirect("dashboard:dashboard")
    context = {"session": session, "form": form, "started": session.starts_at <= clock.now()}
    status = 400 if request.method == "POST" else 200
    return render(request, "dashboard/absence.html", context, status=status)
